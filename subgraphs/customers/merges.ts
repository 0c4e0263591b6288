import { In, type EntityManager } from "typeorm";
import type { Clock } from "../kernel/clock";
import { writeLock } from "../kernel/database";
import { appendEvent } from "../kernel/events";
import { badInput, conflict, notFound } from "../kernel/errors";
import { toGlobalId } from "../kernel/global-id";
import { NEXT_VERSION } from "../kernel/row-version";
import { CandidateStatus, ChannelIdentityRow, CustomerRow, CustomerTier, MatchCandidateRow } from "./entities";
import { announceLink, customerGid, fallbackDisplayName, refreshGolden } from "./golden-record";

/**
 * Data stewards merge and unmerge golden records. Rows are locked in key order, so two
 * merges over the same customers run one after the other and the second sees the
 * first's result (and gets a CONFLICT if a customer it names is gone). No identity is
 * ever dropped: identities move, customers are only marked absorbed.
 */
const gid = customerGid;

async function lockCustomers(em: EntityManager, keys: number[]): Promise<Map<number, CustomerRow>> {
  const rows = await em.find(CustomerRow, {
    where: { id: In(keys) },
    order: { id: "ASC" },
    lock: writeLock(em),
  });
  const byKey = new Map(rows.map((r) => [r.id, r]));
  const missing = keys.filter((k) => !byKey.has(k));
  if (missing.length) throw notFound(`No customer ${missing.map(gid).join(", ")}.`);
  return byKey;
}

export interface StewardAction {
  /** The steward; null when matching itself merges (a new identity proves two customers are one). */
  actor: string | null;
  note: string | null;
  clock: Clock;
  /** "api" for a steward; "matching" for an automatic merge. */
  source?: string;
  /** The match that justified an automatic merge (a steward's merge takes the review candidate's). */
  match?: { score: number; evidence: string[] };
}

export async function mergeCustomers(em: EntityManager, survivorKey: number, absorbedKeys: number[], action: StewardAction): Promise<number> {
  const absorbed = [...new Set(absorbedKeys)];
  if (absorbed.length === 0) throw badInput("Name at least one customer to absorb.", { field: "absorbedIds" });
  if (absorbed.includes(survivorKey)) throw badInput("A customer cannot be merged into itself.", { field: "absorbedIds" });
  const rows = await lockCustomers(em, [survivorKey, ...absorbed]);
  const survivor = rows.get(survivorKey)!;
  if (survivor.mergedIntoId) throw conflict(`${gid(survivorKey)} was itself merged into ${gid(survivor.mergedIntoId)}; merge into that customer.`);
  const gone = absorbed.filter((k) => rows.get(k)!.mergedIntoId);
  if (gone.length) throw conflict(`Already merged: ${gone.map((k) => `${gid(k)} into ${gid(rows.get(k)!.mergedIntoId!)}`).join("; ")}.`);

  const moved = await em.find(ChannelIdentityRow, { where: { customerId: In(absorbed) }, order: { id: "ASC" } });
  await em.update(ChannelIdentityRow, { customerId: In(absorbed) }, { customerId: survivorKey });
  await em.update(CustomerRow, { id: In(absorbed) }, { mergedIntoId: survivorKey, ...NEXT_VERSION });
  // Customers absorbed earlier into an absorbed one now point at the survivor: chains stay one hop.
  await em.update(CustomerRow, { mergedIntoId: In(absorbed) }, { mergedIntoId: survivorKey, ...NEXT_VERSION });
  const candidates = await em.find(MatchCandidateRow, { where: { status: CandidateStatus.OPEN, customerA: In([survivorKey, ...absorbed]), customerB: In([survivorKey, ...absorbed]) } });
  if (candidates.length) await em.update(MatchCandidateRow, { id: In(candidates.map((c) => c.id)) }, { status: CandidateStatus.MERGED, decidedBy: action.actor ?? action.source ?? null });
  const best = action.match ?? candidates.sort((a, b) => b.score - a.score)[0];
  const source = action.source ?? "api";
  await appendEvent(em, {
    aggregateId: gid(survivorKey),
    type: "customer.merged",
    source,
    actor: action.actor,
    payload: {
      survivorKey,
      absorbedKeys: absorbed,
      note: action.note,
      score: best?.score ?? null,
      evidence: best?.evidence ?? [],
      identities: moved.map((i) => ({ channel: i.channel, channelCustomerId: i.channelCustomerId })),
    },
  });
  const ctx = { source, actor: action.actor };
  for (const identity of moved) await announceLink(em, { ...identity, customerId: survivorKey }, survivorKey, ctx, null);
  await refreshGolden(em, survivorKey, ctx);
  return survivorKey;
}

/**
 * Takes identities out of a golden record. Each goes back to the customer it came from
 * (revived if it was absorbed here) or, if it started here, to a new customer.
 */
export async function unmergeCustomer(em: EntityManager, customerKey: number, identityKeys: number[], action: StewardAction): Promise<number[]> {
  const ids = [...new Set(identityKeys)];
  if (ids.length === 0) throw badInput("Name at least one identity to take out.", { field: "identityIds" });
  const customer = (await lockCustomers(em, [customerKey])).get(customerKey)!;
  if (customer.mergedIntoId) throw conflict(`${gid(customerKey)} was merged into ${gid(customer.mergedIntoId)}; unmerge from that customer.`);
  const all = await em.find(ChannelIdentityRow, { where: { customerId: customerKey }, order: { id: "ASC" } });
  const foreign = ids.filter((id) => !all.some((i) => i.id === id));
  if (foreign.length) throw badInput(`Not identities of ${gid(customerKey)}: ${foreign.map((k) => toGlobalId("ChannelIdentity", k)).join(", ")}.`, { field: "identityIds" });
  if (ids.length === all.length) throw badInput("Leave at least one identity on the customer; merge elsewhere instead.", { field: "identityIds" });

  const leaving = all.filter((i) => ids.includes(i.id));
  const origins = [...new Set(leaving.map((i) => i.originCustomerId).filter((o) => o !== customerKey))];
  const originRows = origins.length ? await lockCustomers(em, origins) : new Map<number, CustomerRow>();
  const targets = new Map<number, number>();
  for (const identity of leaving) {
    const origin = originRows.get(identity.originCustomerId);
    let target: number;
    if (origin && origin.mergedIntoId === customerKey) {
      target = origin.id;
      if (!targets.has(origin.id)) await em.update(CustomerRow, { id: origin.id }, { mergedIntoId: null, ...NEXT_VERSION });
    } else {
      const fresh = await em.save(em.create(CustomerRow, { displayName: identity.name ?? fallbackDisplayName(identity.channel, identity.channelCustomerId), phone: identity.phone, tier: CustomerTier.STANDARD, mergedIntoId: null }));
      target = fresh.id;
    }
    targets.set(target, target);
    await em.update(ChannelIdentityRow, { id: identity.id }, { customerId: target, originCustomerId: target });
    await announceLink(em, { ...identity, customerId: target }, target, { source: "api", actor: action.actor }, null);
  }
  await appendEvent(em, {
    aggregateId: gid(customerKey),
    type: "customer.unmerged",
    source: "api",
    actor: action.actor,
    payload: { customerKey, restoredKeys: [...targets.keys()], identities: leaving.map((i) => ({ channel: i.channel, channelCustomerId: i.channelCustomerId })), note: action.note },
  });
  const ctx = { source: "api", actor: action.actor };
  for (const key of [customerKey, ...targets.keys()]) await refreshGolden(em, key, ctx);
  return [customerKey, ...targets.keys()];
}
