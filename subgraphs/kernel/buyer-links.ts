import { Column, Entity, Index, PrimaryColumn, In, type DataSource, type EntityManager } from "typeorm";
import DataLoader from "dataloader";
import type { Subscription } from "./events";
import type { Principal } from "./principal";
import type { Channel } from "./types";

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

  @Index("ix_customer_aliases_survivor")
  @Column({ type: "int" })
  survivorKey!: number;
}

export const BUYER_LINK_ENTITIES = [BuyerLinkRow, CustomerAliasRow];

/** A customer principal as the survivor of any merge; everyone else unchanged. */
export async function resolveCustomerPrincipal(ds: DataSource, principal: Principal | null): Promise<Principal | null> {
  if (!principal?.customerKey) return principal;
  const alias = await ds.getRepository(CustomerAliasRow).findOneBy({ aliasKey: principal.customerKey });
  return alias ? { ...principal, customerKey: alias.survivorKey } : principal;
}

export function buyerKey(channel: string, channelCustomerId: string): string {
  return `${channel}:${channelCustomerId}`;
}

export function buyerLinkSubscriptions(consumer: string): Subscription[] {
  return [
    {
      consumer: `${consumer}.aliases`,
      types: ["customer.merged", "customer.unmerged"],
      async apply(em, event) {
        const p = event.payload as { survivorKey?: number; absorbedKeys?: number[]; restoredKeys?: number[] };
        if (event.type === "customer.merged" && p.survivorKey && p.absorbedKeys?.length) {
          // Aliases of the absorbed customers now lead to the survivor, and so do the absorbed themselves.
          await em.update(CustomerAliasRow, { survivorKey: In(p.absorbedKeys) }, { survivorKey: p.survivorKey });
          await em.upsert(CustomerAliasRow, p.absorbedKeys.map((aliasKey) => ({ aliasKey, survivorKey: p.survivorKey! })), ["aliasKey"]);
        }
        if (event.type === "customer.unmerged" && p.restoredKeys?.length) await em.delete(CustomerAliasRow, { aliasKey: In(p.restoredKeys) });
      },
    },
    {
      consumer,
      types: ["customer.identity_linked"],
      async apply(em, event) {
        const p = event.payload as { channel: Channel; channelCustomerId: string; customerKey: number; tier?: string };
        await upsertBuyerLink(em, { ...p, tier: p.tier ?? null });
      },
    },
  ];
}

async function upsertBuyerLink(em: EntityManager, link: { channel: Channel; channelCustomerId: string; customerKey: number; tier: string | null }) {
  const existing = await em.findOneBy(BuyerLinkRow, { channel: link.channel, channelCustomerId: link.channelCustomerId });
  if (existing) {
    await em.update(BuyerLinkRow, { channel: link.channel, channelCustomerId: link.channelCustomerId }, { customerKey: link.customerKey, tier: link.tier ?? existing.tier });
  } else {
    await em.insert(BuyerLinkRow, link);
  }
}

/** Loader: "<CHANNEL>:<channelCustomerId>" to the buyer's link (owning customer and tier), or null. */
export function buyerLinkLoader(ds: DataSource) {
  return new DataLoader<string, BuyerLinkRow | null>(async (keys) => {
    const ids = [...new Set(keys.map((k) => k.slice(k.indexOf(":") + 1)))];
    const rows = await ds.getRepository(BuyerLinkRow).findBy({ channelCustomerId: In(ids) });
    const links = new Map(rows.map((r) => [buyerKey(r.channel, r.channelCustomerId), r]));
    return keys.map((k) => links.get(k) ?? null);
  });
}

/** Loader: "<CHANNEL>:<channelCustomerId>" to the owning customer key, or null. */
export function buyerOwnerLoader(ds: DataSource, links = buyerLinkLoader(ds)) {
  return new DataLoader<string, number | null>(async (keys) => (await links.loadMany([...keys])).map((l) => (l && !(l instanceof Error) ? l.customerKey : null)));
}
