import { In, type EntityManager } from "typeorm";
import { TEXT_LIMITS, truncateChars } from "../kernel/bounds";
import { writeLock } from "../kernel/database";
import { appendEvent, appendEvents } from "../kernel/events";
import { notFound } from "../kernel/errors";
import { toGlobalId } from "../kernel/global-id";
import { updateVersioned } from "../kernel/row-version";
import { ChannelIdentityRow, CustomerRow, SpendRow } from "./entities";
import { survivorship } from "./survivorship";

/**
 * The golden record as a whole: following merges to the survivor, recomputing it from
 * its identities and spend, and the events that tell other subgraphs. Identity
 * resolution and merges both build on this; it builds on neither.
 */
export const IDENTITY_LINKED = "customer.identity_linked";
export const CUSTOMER_UPDATED = "customer.updated";

/** Who caused a change, as recorded on its events. */
export interface ChangeSource {
  source: string;
  actor: string | null;
}

export const customerGid = (key: number) => toGlobalId("Customer", key);

/**
 * The display name of a customer made from a nameless identity ("JD jd_4711"), cut to
 * the customers.displayName column: a channel id may be as long as that column by itself.
 */
export const fallbackDisplayName = (channel: string, channelCustomerId: string) => truncateChars(`${channel} ${channelCustomerId}`, TEXT_LIMITS.personName);

/**
 * Follows merges: the key of the golden record that survives. With `lock`, every row on
 * the way is locked, so a merge committed meanwhile is seen and none can start until we commit.
 */
export async function survivorKeyOf(em: EntityManager, key: number, { lock = false } = {}): Promise<number> {
  return (await survivorOf(em, key, lock)).id;
}

export const lockSurvivor = (em: EntityManager, key: number) => survivorKeyOf(em, key, { lock: true });

async function survivorOf(em: EntityManager, key: number, lock: boolean): Promise<CustomerRow> {
  const read = (id: number) => em.findOne(CustomerRow, { where: { id }, lock: lock ? writeLock(em) : undefined });
  let row = await read(key);
  for (let hop = 0; row?.mergedIntoId && hop < 5; hop++) row = await read(row.mergedIntoId);
  if (!row) throw notFound(`No customer ${customerGid(key)}.`);
  return row;
}

export async function announceLink(em: EntityManager, identity: ChannelIdentityRow, customerKey: number, ctx: ChangeSource, match: Record<string, unknown> | null) {
  const customer = await em.findOneByOrFail(CustomerRow, { id: customerKey });
  await appendEvent(em, { aggregateId: customerGid(customerKey), ...linkEvent(identity, customerKey, customer.tier, ctx, match) });
}

/** customer.identity_linked: which golden customer (and tier) a channel identity now is. */
function linkEvent(identity: Pick<ChannelIdentityRow, "channel" | "channelCustomerId">, customerKey: number, tier: string, ctx: ChangeSource, match: Record<string, unknown> | null) {
  return {
    type: IDENTITY_LINKED,
    source: ctx.source,
    actor: ctx.actor,
    payload: { channel: identity.channel, channelCustomerId: identity.channelCustomerId, customerKey, tier, ...(match ? { match } : {}) },
  };
}

/** Lifetime paid amount of a customer's identities, in CNY minor units. */
async function lifetimePaid(em: EntityManager, identities: ChannelIdentityRow[]): Promise<number> {
  if (identities.length === 0) return 0;
  const rows = await em.find(SpendRow, { where: { channelCustomerId: In(identities.map((i) => i.channelCustomerId)), paid: true, cancelled: false, currency: "CNY" } });
  const keys = new Set(identities.map((i) => `${i.channel}:${i.channelCustomerId}`));
  return rows.filter((r) => keys.has(`${r.channel}:${r.channelCustomerId}`)).reduce((sum, r) => sum + r.totalMinor, 0);
}

/**
 * Recomputes a golden record (the survivor's, if the key was merged meanwhile) from its
 * identities and spend. The customer row is locked before anything is read, so two
 * concurrent refreshes of one customer run one after the other, and the second reads
 * (READ COMMITTED) what the first committed: the last one written is never computed
 * from older identities or spend. When anything a channel shows changed,
 * customer.updated goes out (with the identities it concerns), and a new tier is passed
 * on to the buyer links of every identity. Returns the key it refreshed.
 */
export async function refreshGolden(em: EntityManager, customerKey: number, ctx: ChangeSource): Promise<number> {
  const customer = await survivorOf(em, customerKey, true);
  const key = customer.id;
  const identities = await em.find(ChannelIdentityRow, { where: { customerId: key }, order: { id: "ASC" } });
  const golden = survivorship(
    identities.map((i) => ({ id: i.id, channel: i.channel, name: i.name, phone: i.phone, phoneVerified: i.phoneVerified, address: i.address, marketingOptIn: i.marketingOptIn, observedAt: i.observedAt })),
    await lifetimePaid(em, identities),
    customer.displayName,
  );
  const next = { displayName: golden.displayName, phone: golden.phone, tier: golden.tier, addressCode: golden.address?.code ?? null, address: golden.address, marketingOptIn: golden.marketingOptIn };
  const changed = Object.entries(next).filter(([k, v]) => JSON.stringify((customer as unknown as Record<string, unknown>)[k] ?? null) !== JSON.stringify(v ?? null));
  // Nothing to write (the same buyer's data again, a status that changed no total): the
  // row, its version and updatedAt stay as they are, and one statement is saved.
  if (changed.length === 0 && JSON.stringify(customer.lineage ?? null) === JSON.stringify(golden.lineage ?? null)) return key;
  await updateVersioned(em, CustomerRow, customer, { ...next, lineage: golden.lineage }, `Customer ${customerGid(key)}`);
  if (changed.length === 0) return key;
  const updated = {
    type: CUSTOMER_UPDATED,
    source: ctx.source,
    actor: ctx.actor,
    payload: {
      customerKey: key,
      changes: Object.fromEntries(changed.map(([k]) => [k, (next as Record<string, unknown>)[k]])),
      identities: identities.map((i) => ({ channel: i.channel, channelCustomerId: i.channelCustomerId })),
    },
  };
  // A new tier goes to the buyer links of every identity: the tier just written, no read
  // back; with customer.updated, in one append (the events keep this order).
  const links = changed.some(([k]) => k === "tier") ? identities.map((i) => linkEvent(i, key, golden.tier, ctx, null)) : [];
  await appendEvents(em, customerGid(key), [updated, ...links]);
  return key;
}
