import { In, type EntityManager, type FindOptionsWhere } from "typeorm";
import type { Clock } from "../kernel/clock";
import { requiredText } from "../kernel/bounds";
import { writeLock } from "../kernel/database";
import { badInput, conflict } from "../kernel/errors";
import type { Channel } from "../kernel/types";
import { addressKeyOf, cleanAddress, cleanName, cleanPhone, namesClose } from "./cleansing";
import { CandidateStatus, ChannelIdentityRow, CustomerRow, CustomerTier, MatchCandidateRow } from "./entities";
import { announceLink, customerGid, fallbackDisplayName, lockSurvivor, refreshGolden, survivorKeyOf, type ChangeSource } from "./golden-record";
import { compareIdentities, peopleAmong, type IdentityFeatures, type MatchConfig, type MatchResult } from "./matching";
import { mergeCustomers } from "./merges";

/**
 * Identity resolution: every channel identity is kept as received (and cleansed), and
 * resolved to one golden customer, by the matching rules; then the golden record is
 * recomputed by survivorship. All inside the caller's transaction.
 */
export interface IdentityInput {
  channel: Channel;
  channelCustomerId: string;
  name?: string | null;
  phone?: string | null;
  phoneVerified?: boolean | null;
  deviceFingerprint?: string | null;
  address?: { province?: string | null; city?: string | null; district?: string | null; detail?: string | null } | string | null;
  reportedTier?: string | null;
  marketingOptIn?: boolean | null;
  /** Source time of this data; "most recent" rules compare it. */
  observedAt?: Date | null;
  /** Attach to this golden customer instead of matching. */
  customerKey?: number | null;
}

export interface ResolveContext extends ChangeSource {
  config: MatchConfig;
  clock: Clock;
  /** API callers get errors for unreadable phones; event consumers keep the identity without the phone. */
  strict: boolean;
}

export type Resolution = "existing" | "attached" | "matched" | "new";


function cleanse(input: IdentityInput, strict: boolean) {
  // The same bound (in characters) as every other writer of this column: kernel/bounds.
  const channelCustomerId = requiredText(input.channelCustomerId, "channelCustomerId", "channelCustomerId");
  const phone = input.phone ? cleanPhone(input.phone) : null;
  if (input.phone && !phone && strict) throw badInput(`"${input.phone.slice(0, 40)}" is not a valid phone number.`, { field: "phone" });
  const device = input.deviceFingerprint?.trim().slice(0, 100) || null;
  return { channelCustomerId, name: cleanName(input.name), phone: phone?.e164 ?? null, device, address: cleanAddress(input.address ?? null) };
}

export function featuresOf(row: Pick<ChannelIdentityRow, "channel" | "phone" | "name" | "nameKey" | "deviceFingerprint" | "addressCode" | "addressKey">): IdentityFeatures {
  return {
    phone: row.phone,
    name: row.name && row.nameKey ? { display: row.name, key: row.nameKey } : null,
    device: row.deviceFingerprint,
    deviceIsTerminal: row.channel === "POS",
    district: row.addressCode,
    addressKey: row.addressKey,
  };
}

/** Resolves a channel identity to its golden customer; returns the identity as stored now. */
export async function resolveIdentity(em: EntityManager, input: IdentityInput, ctx: ResolveContext) {
  const r = await applyIdentity(em, input, ctx);
  // Read back only after an update: rematching may have merged customers around it since.
  return { ...r, identity: r.updated ? await em.findOneByOrFail(ChannelIdentityRow, { id: r.identity.id }) : r.identity };
}

/**
 * resolveIdentity without reading the identity back at the end, for callers that need
 * only the effect (the order.created consumer): the returned identity is as this
 * resolution wrote it, not re-read after refreshGolden and rematching.
 */
export async function applyIdentity(em: EntityManager, input: IdentityInput, ctx: ResolveContext) {
  const c = cleanse(input, ctx.strict);
  const observedAt = input.observedAt ?? ctx.clock.now();
  const fields = {
    name: c.name?.display ?? null,
    nameKey: c.name?.key ?? null,
    // Trimmed, as the bound checked it: padding would not fit the column.
    phoneRaw: input.phone?.trim() || null,
    phone: c.phone,
    phoneVerified: input.phoneVerified ?? false,
    deviceFingerprint: c.device,
    addressRaw: input.address ?? null,
    addressCode: c.address?.code ?? null,
    address: c.address,
    addressKey: addressKeyOf(c.address),
    reportedTier: input.reportedTier?.trim() || null,
    marketingOptIn: input.marketingOptIn ?? null,
  };

  const existing = await em.findOne(ChannelIdentityRow, { where: { channel: input.channel, channelCustomerId: c.channelCustomerId }, lock: writeLock(em) });
  if (existing) {
    if (input.customerKey && (await survivorKeyOf(em, input.customerKey)) !== existing.customerId) {
      throw conflict(`${input.channel} customer "${c.channelCustomerId}" already belongs to ${customerGid(existing.customerId)}; merge the customers instead.`);
    }
    // Newer data replaces what it carries; an older delivery changes nothing.
    if (observedAt >= existing.observedAt) {
      const changes: Record<string, unknown> = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== null && v !== undefined));
      // An address is replaced as a whole: a new one that cannot be placed also clears the old code and key.
      if (input.address != null) Object.assign(changes, { addressRaw: fields.addressRaw, addressCode: fields.addressCode, address: fields.address, addressKey: fields.addressKey });
      await em.update(ChannelIdentityRow, { id: existing.id }, { ...changes, observedAt });
      // The row as just written, without reading it back: the locked row plus the changes
      // (matching reads only its text and key columns, which the database keeps as sent).
      const updated: ChannelIdentityRow = Object.assign(new ChannelIdentityRow(), existing, changes, { observedAt });
      // New data (a phone added, an address corrected) may prove this customer is another one too.
      await refreshGolden(em, existing.customerId, ctx);
      if (MATCH_FIELDS.some((k) => updated[k] !== existing[k])) await rematch(em, updated, ctx);
      return { identity: updated, customerKey: existing.customerId, resolution: "existing" as Resolution, updated: true };
    }
    // An older delivery: the row is as read, under its lock, in this transaction.
    return { identity: existing, customerKey: existing.customerId, resolution: "existing" as Resolution, updated: false };
  }

  let customerKey: number;
  let resolution: Resolution;
  let match: { score: number; evidence: string[]; with: number } | null = null;
  let outcome: Match[] = [];
  if (input.customerKey) {
    customerKey = await lockSurvivor(em, input.customerKey);
    resolution = "attached";
  } else {
    const features = featuresOf({ ...fields, channel: input.channel });
    ({ outcome } = await findMatches(em, features, ctx.config));
    const best = outcome.find((o) => o.result.decision === "merge");
    // Locked, and followed to its survivor: a merge that committed since we read it is
    // seen, and the names of what is there now are checked again.
    const joined = best ? await lockSurvivor(em, best.customer) : null;
    if (best && joined && (joined === best.customer || (await namesFit(em, [joined], features.name)))) {
      customerKey = joined;
      resolution = "matched";
      match = { score: best.result.score, evidence: best.result.evidence, with: joined };
    } else {
      const created = await em.save(em.create(CustomerRow, { displayName: fields.name ?? fallbackDisplayName(input.channel, c.channelCustomerId), phone: fields.phone, tier: CustomerTier.STANDARD, mergedIntoId: null }));
      customerKey = created.id;
      resolution = "new";
    }
  }
  const identity = await em.save(em.create(ChannelIdentityRow, { channel: input.channel, channelCustomerId: c.channelCustomerId, customerId: customerKey, originCustomerId: customerKey, ...fields, observedAt }));
  const others = outcome.filter((o) => o.customer !== customerKey);
  for (const r of others.filter((o) => o.result.decision === "review")) await proposeCandidate(em, customerKey, r.customer, r.result, ctx.clock);
  await announceLink(em, identity, customerKey, ctx, match ? { type: "customer.identity_matched", ...match } : null);
  await refreshGolden(em, customerKey, ctx);
  await joinProven(em, customerKey, others.filter((o) => o.result.decision === "merge"), identity, ctx);
  return { identity, customerKey, resolution, updated: false };
}

/** What matching reads from an identity: a change to any of these is a reason to match again. */
const MATCH_FIELDS = ["phone", "nameKey", "deviceFingerprint", "addressCode", "addressKey"] as const;

type Match = { customer: number; result: MatchResult };

/** Matches an updated identity again: customers it now proves to be its own are merged in, leads go to review. */
async function rematch(em: EntityManager, identity: ChannelIdentityRow, ctx: ResolveContext): Promise<void> {
  const { outcome } = await findMatches(em, featuresOf(identity), ctx.config, identity.id);
  const others = outcome.filter((o) => o.customer !== identity.customerId);
  for (const r of others.filter((o) => o.result.decision === "review")) await proposeCandidate(em, identity.customerId, r.customer, r.result, ctx.clock);
  await joinProven(em, identity.customerId, others.filter((o) => o.result.decision === "merge"), identity, ctx);
}

/**
 * Other customers one identity merges with are the same person as the customer it now
 * belongs to: they are merged into it, as an automatic merge with the evidence for each,
 * but only when all their names read as one person. Otherwise they wait in the review
 * queue for a steward.
 */
async function joinProven(em: EntityManager, survivor: number, matches: Match[], identity: ChannelIdentityRow, ctx: ResolveContext): Promise<void> {
  if (matches.length === 0) return;
  // Locked in key order and followed to their survivors: a concurrent resolution may have
  // merged some of them already (into this survivor or elsewhere).
  const proven: Match[] = [];
  for (const m of [...matches].sort((a, b) => a.customer - b.customer)) {
    const current = await lockSurvivor(em, m.customer);
    if (current !== survivor && !proven.some((p) => p.customer === current)) proven.push({ ...m, customer: current });
  }
  if (proven.length === 0) return;
  // Names as they are now, under the locks: the customers' names read as one person
  // without the linking identity's own spelling, and the identity's name fits theirs.
  const keys = proven.map((m) => m.customer);
  const fit = (await namesFit(em, [survivor, ...keys], null, identity.id)) && (await namesFit(em, keys, featuresOf(identity).name));
  if (!fit) {
    for (const m of proven) await proposeCandidate(em, survivor, m.customer, m.result, ctx.clock);
    return;
  }
  const evidence = proven.map((m) => `${identity.channel} customer ${identity.channelCustomerId} matches ${customerGid(m.customer)}: ${m.result.evidence.join("; ")}`);
  const score = Math.min(...proven.map((m) => m.result.score));
  await mergeCustomers(em, survivor, keys, { actor: null, note: "one identity matches each of these customers", clock: ctx.clock, source: "matching", match: { score, evidence } });
}

/** Whether the names on these customers (and the given one) all read as one person. */
async function namesFit(em: EntityManager, customers: number[], name: IdentityFeatures["name"], without?: number): Promise<boolean> {
  const rows = (await em.find(ChannelIdentityRow, { where: { customerId: In(customers) } })).filter((r) => r.id !== without);
  return oneNameCluster(name ? [name, ...namesOf(rows)] : namesOf(rows));
}

/**
 * Candidates come from blocking keys with indexes, never a scan: the same phone, the same
 * device, the same full address, and the same name in the same district (which finds a
 * mistyped phone). Each candidate customer is judged by its best-matching identity.
 */
async function findMatches(em: EntityManager, f: IdentityFeatures, config: MatchConfig, self?: number): Promise<{ outcome: Match[] }> {
  const BLOCK = 50;
  // An identity being matched again is not its own candidate, nor one more person with its values.
  const block = async (where: FindOptionsWhere<ChannelIdentityRow>) => (await em.find(ChannelIdentityRow, { where, take: BLOCK })).filter((r) => r.id !== self);
  const [phoneRows, deviceRows, addressRows, nameRows] = await Promise.all([
    f.phone ? block({ phone: f.phone }) : [],
    f.device ? block({ deviceFingerprint: f.device }) : [],
    f.addressKey ? block({ addressKey: f.addressKey }) : [],
    f.name && f.district ? block({ nameKey: f.name.key, addressCode: f.district }) : [],
  ]);
  const candidates = [...new Map([...phoneRows, ...deviceRows, ...addressRows, ...nameRows].map((r) => [r.id, r])).values()];
  if (candidates.length === 0) return { outcome: [] };
  // Different people seen with the value (a full block counts as many).
  const people = (rows: ChannelIdentityRow[]) => (rows.length >= BLOCK ? Infinity : peopleAmong(rows.map((r) => r.nameKey)));
  const phonePeople = people(phoneRows);
  const devicePeople = people(deviceRows);
  const addressPeople = people(addressRows);
  const namesakePhones = new Set([f.phone, ...addressRows.filter((r) => r.nameKey === f.name?.key).map((r) => r.phone)].filter(Boolean)).size;
  const freq = { phone: () => phonePeople, device: () => devicePeople, address: () => addressPeople, phonesOfNameAt: () => namesakePhones };
  const best = new Map<number, MatchResult>();
  for (const row of candidates) {
    const result = compareIdentities(f, featuresOf(row), freq, config);
    const prev = best.get(row.customerId);
    if (!prev || rank(result) > rank(prev)) best.set(row.customerId, result);
  }
  // A merge joins the whole customer: its names and this one must read as one person
  // (one cluster of close names), or a nameless identity could bridge two people.
  const merging = [...best.entries()].filter(([, r]) => r.decision === "merge").map(([c]) => c);
  const members = merging.length ? await em.find(ChannelIdentityRow, { where: { customerId: In(merging) } }) : [];
  const name = f.name;
  if (name) {
    for (const customer of merging) {
      const names = namesOf(members.filter((m) => m.customerId === customer));
      if (!oneNameCluster([name, ...names])) {
        const other = names.find((n) => !namesClose(name, n))!;
        const r = best.get(customer)!;
        best.set(customer, { ...r, decision: "review", evidence: [...r.evidence, `the customer also has the different name ${other.display}`] });
      }
    }
  }
  const outcome = [...best.entries()]
    .map(([customer, result]) => ({ customer, result }))
    .filter((o) => o.result.decision !== "none")
    .sort((a, b) => rank(b.result) - rank(a.result) || a.customer - b.customer);
  return { outcome };
}

const namesOf = (rows: ChannelIdentityRow[]) => rows.filter((r) => r.name && r.nameKey).map((r) => ({ display: r.name!, key: r.nameKey! }));

/**
 * Whether names are all spellings of one person: linked by closeness, directly or
 * through each other (李呈轩 ~ LI CHENGXUAN, 李呈轩 ~ 李轩). Two names with no chain
 * between them (张三, 李四) are two people.
 */
export function oneNameCluster(names: Array<{ display: string; key: string }>): boolean {
  if (names.length <= 1) return true;
  const reached = new Set([0]);
  for (const next = [0]; next.length; ) {
    const i = next.pop()!;
    names.forEach((n, j) => {
      if (!reached.has(j) && namesClose(names[i], n)) {
        reached.add(j);
        next.push(j);
      }
    });
  }
  return reached.size === names.length;
}

const rank = (r: MatchResult) => (r.decision === "merge" ? 10 : r.decision === "review" ? 5 : 0) + r.score;

async function proposeCandidate(em: EntityManager, first: number, second: number, result: MatchResult, clock: Clock) {
  // Keys read before a concurrent merge may name an absorbed customer: pair the survivors.
  const [a, b] = [await survivorKeyOf(em, first), await survivorKeyOf(em, second)];
  if (a === b) return;
  const [lo, hi] = a < b ? [a, b] : [b, a];
  if (await em.findOneBy(MatchCandidateRow, { customerA: lo, customerB: hi, status: CandidateStatus.OPEN })) return;
  await em.insert(MatchCandidateRow, { customerA: lo, customerB: hi, score: result.score, evidence: result.evidence, status: CandidateStatus.OPEN, createdAt: clock.now(), decidedBy: null });
}
