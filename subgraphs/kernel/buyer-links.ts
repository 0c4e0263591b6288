import { Column, Entity, Index, PrimaryColumn, In, type DataSource, type EntityManager } from "typeorm";
import DataLoader from "dataloader";
import { writeLock } from "./database";
import type { HubEvent, Subscription } from "./events";
import { findIn } from "./hot-reads";
import { MAX_BATCH } from "./prepared-reads";
import type { Principal } from "./principal";
import { CHANNELS, idsOfChannelKeys, type Channel } from "./types";

/**
 * A projection of customers' identity links: which golden customer a channel buyer is.
 * Subgraphs that must answer "is this the signed-in shopper's?" keep it, fed by
 * customer.identity_linked events, since they may not read the customers tables.
 */
@Entity("buyer_links")
export class BuyerLinkRow {
  @PrimaryColumn({ type: "varchar", length: 10 })
  channel!: Channel;

  @PrimaryColumn({ type: "varchar", length: 100 })
  channelCustomerId!: string;

  @Index("ix_buyer_links_customer")
  @Column({ type: "int" })
  customerKey!: number;

  /** The golden customer's hub-wide tier, for rules such as order priority. */
  @Column({ type: "varchar", length: 10, nullable: true })
  tier!: string | null;

  /** The event this row was last written from: a projection never goes back to an older one (see isNewerSource). */
  @Column({ type: "varchar", length: 100, nullable: true })
  sourceAggregateId!: string | null;

  @Column({ type: "int", nullable: true })
  sourceSequence!: number | null;

  @Column({ type: "varchar", length: 36, nullable: true })
  sourceEventId!: string | null;
}

/**
 * Absorbed customer keys and their survivors, from customer.merged / customer.unmerged,
 * so a shopper whose token names an absorbed customer still sees everything that is
 * theirs.
 */
@Entity("customer_aliases")
export class CustomerAliasRow {
  @PrimaryColumn({ type: "int" })
  aliasKey!: number;

  /** Equal to aliasKey once the customer was unmerged: it stands for itself again (kept, so an older merge cannot come back). */
  @Index("ix_customer_aliases_survivor")
  @Column({ type: "int" })
  survivorKey!: number;

  /** The event this row was last written from: a projection never goes back to an older one (see isNewerSource). */
  @Column({ type: "varchar", length: 100, nullable: true })
  sourceAggregateId!: string | null;

  @Column({ type: "int", nullable: true })
  sourceSequence!: number | null;

  @Column({ type: "varchar", length: 36, nullable: true })
  sourceEventId!: string | null;
}

export const BUYER_LINK_ENTITIES = [BuyerLinkRow, CustomerAliasRow];

/** A customer principal as the survivor of any merge; everyone else unchanged. */
export async function resolveCustomerPrincipal(ds: DataSource, principal: Principal | null): Promise<Principal | null> {
  if (!principal?.customerKey) return principal;
  const [alias] = await findIn(ds, CustomerAliasRow, { aliasKey: [principal.customerKey] });
  return alias ? { ...principal, customerKey: alias.survivorKey } : principal;
}

export function buyerKey(channel: string, channelCustomerId: string): string {
  return `${channel}:${channelCustomerId}`;
}

interface SourceOf {
  sourceAggregateId: string | null;
  sourceSequence: number | null;
  sourceEventId: string | null;
}

const sourceOf = (event: HubEvent): SourceOf => ({ sourceAggregateId: event.aggregateId, sourceSequence: event.sequence, sourceEventId: event.id });

/**
 * Pure: is `event` newer than the one a projection row was last written from? Events of
 * one aggregate are ordered by their sequence. A buyer link or an alias can be written by
 * events of different customers (an identity linked to A, then moved to B by a merge
 * under B's aggregate), whose sequences are unrelated; those two writes are serialized
 * in customers by the locks on both customers, so the later one's event id (a UUIDv7,
 * taken after those locks) is the later one. A row from before sources were kept
 * yields to any event.
 */
export function isNewerSource(kept: SourceOf | null, event: Pick<HubEvent, "id" | "aggregateId" | "sequence">): boolean {
  if (!kept || kept.sourceAggregateId === null) return true;
  if (kept.sourceAggregateId === event.aggregateId) return event.sequence > Number(kept.sourceSequence);
  return event.id > (kept.sourceEventId ?? "");
}

/**
 * The projections of buyer links and customer aliases. Each row keeps the event it was
 * written from and takes only newer ones, so a late or retried older event never turns
 * it back.
 */
export function buyerLinkSubscriptions(consumer: string): Subscription[] {
  return [
    {
      consumer: `${consumer}.aliases`,
      types: ["customer.merged", "customer.unmerged"],
      async apply(em, event) {
        const p = event.payload as { survivorKey?: number; absorbedKeys?: number[]; restoredKeys?: number[] };
        if (event.type === "customer.merged" && p.survivorKey && p.absorbedKeys?.length) {
          // Aliases of the absorbed customers now lead to the survivor, and so do the absorbed themselves.
          const chained = await em.find(CustomerAliasRow, { where: { survivorKey: In(p.absorbedKeys) }, lock: writeLock(em) });
          const keys = [...new Set([...chained.map((r) => r.aliasKey), ...p.absorbedKeys])].filter((k) => k !== p.survivorKey);
          await setAliases(em, keys, () => p.survivorKey!, event);
        }
        if (event.type === "customer.unmerged" && p.restoredKeys?.length) {
          // Each restored customer stands for itself again.
          await setAliases(em, p.restoredKeys, (aliasKey) => aliasKey, event);
        }
      },
    },
    {
      consumer,
      types: ["customer.identity_linked"],
      async apply(em, event) {
        const p = event.payload as { channel: Channel; channelCustomerId: string; customerKey: number; tier?: string };
        await upsertBuyerLink(em, { channel: p.channel, channelCustomerId: p.channelCustomerId, customerKey: p.customerKey, tier: p.tier ?? null }, event);
      },
    },
  ];
}

async function setAliases(em: EntityManager, aliasKeys: number[], survivorOf: (aliasKey: number) => number, event: HubEvent) {
  if (aliasKeys.length === 0) return;
  const kept = new Map((await em.find(CustomerAliasRow, { where: { aliasKey: In(aliasKeys) }, lock: writeLock(em) })).map((r) => [r.aliasKey, r]));
  for (const aliasKey of aliasKeys) {
    const row = kept.get(aliasKey) ?? null;
    if (!isNewerSource(row, event)) continue;
    const values = { survivorKey: survivorOf(aliasKey), ...sourceOf(event) };
    if (row) await em.update(CustomerAliasRow, { aliasKey }, values);
    else await em.insert(CustomerAliasRow, { aliasKey, ...values });
  }
}

async function upsertBuyerLink(em: EntityManager, link: { channel: Channel; channelCustomerId: string; customerKey: number; tier: string | null }, event: HubEvent) {
  const key = { channel: link.channel, channelCustomerId: link.channelCustomerId };
  const existing = await em.findOne(BuyerLinkRow, { where: key, lock: writeLock(em) });
  if (!isNewerSource(existing, event)) return;
  if (existing) {
    await em.update(BuyerLinkRow, key, { customerKey: link.customerKey, tier: link.tier ?? existing.tier, ...sourceOf(event) });
  } else {
    await em.insert(BuyerLinkRow, { ...link, ...sourceOf(event) });
  }
}

/** Loader: "<CHANNEL>:<channelCustomerId>" to the buyer's link (owning customer and tier), or null. */
export function buyerLinkLoader(ds: DataSource) {
  return new DataLoader<string, BuyerLinkRow | null>(
    async (keys) => {
      // Every channel, so the read uses the primary key with one text whatever the mix of
      // channels; only the pairs asked for count.
      const rows = await findIn(ds, BuyerLinkRow, { channel: CHANNELS, channelCustomerId: idsOfChannelKeys(keys) });
      const links = new Map(rows.map((r) => [buyerKey(r.channel, r.channelCustomerId), r]));
      return keys.map((k) => links.get(k) ?? null);
    },
    { maxBatchSize: MAX_BATCH },
  );
}

/** Loader: "<CHANNEL>:<channelCustomerId>" to the owning customer key, or null. */
export function buyerOwnerLoader(ds: DataSource, links = buyerLinkLoader(ds)) {
  return new DataLoader<string, number | null>(async (keys) => (await links.loadMany([...keys])).map((l) => (l && !(l instanceof Error) ? l.customerKey : null)));
}
