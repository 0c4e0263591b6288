import "reflect-metadata";
/**
 * Measures identity resolution on a labelled synthetic population: every identity goes
 * through the real resolution path (resolveIdentity inside inTransaction, on the customers
 * subgraph's own database, SQLite or MariaDB/MySQL when MYSQL_URL is set), in arrival
 * order; then the automatic merges are scored against the truth.
 *
 *   node dist/test/identity/evaluate.js [people] [identities]
 *   env: SEED, NOISE (default | heavy), MYSQL_URL, TIME_LIMIT_S (stop feeding after that, score what was resolved),
 *        EXAMPLES (how many error examples to print), JSON_OUT (write the full result there)
 *
 * Figures:
 *  - pairwise precision / recall / F1: pairs of identities put in one golden customer vs
 *    pairs belonging to one true person (counted from group sizes, never pair by pair);
 *  - review candidates (customer_match_candidates) and how many are true matches, and the
 *    recall if a steward accepted every true one;
 *  - resolution rate: identities resolved per second (each in its own transaction);
 *  - where the errors come from: false merges by the evidence that made them, missed pairs
 *    by reason, with examples.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { DataSource } from "typeorm";
import { customersSubgraph } from "../../subgraphs/customers";
import { cleanAddress, namesClose, phonesNear } from "../../subgraphs/customers/cleansing";
import { ChannelIdentityRow, MatchCandidateRow } from "../../subgraphs/customers/entities";
import { IDENTITY_LINKED } from "../../subgraphs/customers/golden-record";
import { featuresOf, resolveIdentity, type Resolution } from "../../subgraphs/customers/identities";
import { compareIdentities, DEFAULT_MATCH_CONFIG, peopleAmong, type MatchConfig } from "../../subgraphs/customers/matching";
import { systemClock } from "../../subgraphs/kernel/clock";
import { dropDatabases, inTransaction, isSqlite, openDatabase } from "../../subgraphs/kernel/database";
import { DELIVERY_ENTITIES } from "../../subgraphs/kernel/delivery-holds";
import { EVENT_ENTITIES, OutboxEvent } from "../../subgraphs/kernel/events";
import type { Channel } from "../../subgraphs/kernel/types";
import { generatePopulation, NOISE_PROFILES, type NoiseProfile, type Population, type SyntheticIdentity } from "./population";

export interface EvaluateOptions {
  people?: number;
  identities?: number;
  seed?: number;
  noise?: NoiseProfile;
  /** A population generated beforehand (people/identities/seed are then ignored). */
  population?: Population;
  config?: MatchConfig;
  /** Defaults to process.env.MYSQL_URL; null forces SQLite. */
  mysqlUrl?: string | null;
  /** Stop feeding identities after this long and score the part that was resolved. */
  timeLimitMs?: number;
  /** Examples kept per error kind. */
  examples?: number;
  log?: (line: string) => void;
}

export interface IdentityView {
  personId: string;
  channel: string;
  channelCustomerId: string;
  customerId: number;
  sent: { name: string | null; phone: string | null; device: string | null; address: unknown };
  cleaned: { name: string | null; phone: string | null; device: string | null; district: string | null };
  noise: string[];
}

export interface EvaluationResult {
  backend: string;
  seed: number;
  people: number;
  identitiesGenerated: number;
  identitiesResolved: number;
  truePeople: number;
  customers: number;
  elapsedMs: number;
  identitiesPerSecond: number;
  resolutions: Record<string, number>;
  pairs: { truePositive: number; predicted: number; truth: number };
  precision: number;
  recall: number;
  f1: number;
  /** Customers holding identities of more than one true person. */
  impureCustomers: number;
  candidates: {
    total: number;
    trueMatches: number;
    /** By the evidence the matcher recorded: how many, and how many of them are true matches. */
    byEvidence: Record<string, { total: number; trueMatches: number }>;
    precisionIfAccepted: number;
    recallIfAccepted: number;
  };
  /**
   * Identities that arrived when their own phone (device) already looked shared (more than
   * maxCustomersPerValue, counted as findMatches counts: see valueFrequency) although every
   * earlier identity with it was the same true person: the person's own earlier renderings
   * made the value "shared", so it stopped counting as evidence.
   */
  ownValueTakenForShared: { phone: number; device: number };
  sharedGroups: Array<{ kind: string; people: number; identities: number; customersWithSeveralMembers: number; mostMembersInOneCustomer: number; reviewCandidatesAmongMembers: number }>;
  cleansing: { phonesSent: number; phonesUnreadable: number; addressesSent: number; addressesUnplaced: number; addressesWrongDistrict: number; unplacedByForm: Record<string, number> };
  falseMerges: {
    pairs: number;
    withConflictingNames: number;
    /** Joins of a named identity to a customer holding a nameless identity of someone else and a named one whose name contradicts. */
    bridgedByNameless: number;
    byEvidence: Record<string, number>; examples: Array<{ joined: IdentityView; evidence: string[]; score: number | null; alreadyThere: IdentityView[] }> };
  missedPairs: { pairs: number; byReason: Record<string, number>; byNoise: Record<string, number>; examples: Array<{ reason: string; a: IdentityView; b: IdentityView; evidence: string[] }> };
}

const pairs = (n: number) => (n * (n - 1)) / 2;
const inc = (m: Record<string, number>, k: string, by = 1) => (m[k] = (m[k] ?? 0) + by);
const round = (x: number, d = 4) => Math.round(x * 10 ** d) / 10 ** d;

/** Evidence strings of the matcher, back to the rule's signal names. */
function signalsOf(evidence: string[]): string {
  const s: string[] = [];
  for (const e of evidence) {
    if (e.startsWith("same phone")) s.push("samePhone");
    else if (e.startsWith("near-identical phones")) s.push("nearPhone");
    else if (e.startsWith("same device")) s.push("sameDevice");
    else if (e.startsWith("same name")) s.push("sameName");
    else if (e.startsWith("close names")) s.push("closeName");
    else if (e === "same full address") s.push("sameAddress");
    else if (e.startsWith("same address,")) s.push("(address shared, ignored)");
    else if (e.startsWith("same district")) s.push("sameDistrict");
    else if (e.startsWith("different names")) s.push("(names differ)");
    else if (/shared by many|not counted/.test(e)) s.push(e.startsWith("phone") ? "(phone shared, ignored)" : "(device shared, ignored)");
  }
  return s.join(" + ") || "(none)";
}

/**
 * How often a value counts as seen, the way findMatches (identities.ts) counts it:
 * different people among the identities carrying it, a full block of 50 rows counting
 * as "many". Used only to explain missed pairs after the fact.
 */
function valueFrequency(rows: ChannelIdentityRow[]): number {
  return rows.length >= 50 ? Infinity : peopleAmong(rows.map((r) => r.nameKey));
}

class UnionFind {
  private parent = new Map<number, number>();
  find(x: number): number {
    let p = this.parent.get(x) ?? x;
    if (p !== x) {
      p = this.find(p);
      this.parent.set(x, p);
    }
    return p;
  }
  union(a: number, b: number) {
    const [ra, rb] = [this.find(a), this.find(b)];
    if (ra !== rb) this.parent.set(ra, rb);
  }
}

/** Pairwise scores of a clustering (cluster key per identity) against the people. */
function pairwise(items: Array<{ cluster: number; personId: string }>) {
  const byCluster = new Map<number, number>();
  const byPerson = new Map<string, number>();
  const byCell = new Map<string, number>();
  for (const { cluster, personId } of items) {
    byCluster.set(cluster, (byCluster.get(cluster) ?? 0) + 1);
    byPerson.set(personId, (byPerson.get(personId) ?? 0) + 1);
    const cell = `${cluster}|${personId}`;
    byCell.set(cell, (byCell.get(cell) ?? 0) + 1);
  }
  let tp = 0;
  let predicted = 0;
  let truth = 0;
  for (const n of byCell.values()) tp += pairs(n);
  for (const n of byCluster.values()) predicted += pairs(n);
  for (const n of byPerson.values()) truth += pairs(n);
  const precision = predicted ? tp / predicted : 1;
  const recall = truth ? tp / truth : 1;
  const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
  return { tp, predicted, truth, precision, recall, f1, clusters: byCluster.size, people: byPerson.size };
}

async function backendName(ds: DataSource): Promise<string> {
  if (isSqlite(ds)) return "sqlite";
  const rows = (await ds.query("SELECT VERSION() AS v")) as Array<{ v: string }>;
  return `${ds.options.type} ${rows[0].v}`;
}

export async function evaluate(options: EvaluateOptions = {}): Promise<EvaluationResult> {
  const log = options.log ?? (() => undefined);
  const seed = options.seed ?? 20261101;
  const config = options.config ?? DEFAULT_MATCH_CONFIG;
  const keep = options.examples ?? 5;
  const population = options.population ?? generatePopulation({ people: options.people ?? 3000, identitiesTarget: options.identities ?? 10000, seed, noise: options.noise });
  const mysqlUrl = options.mysqlUrl === undefined ? process.env.MYSQL_URL || undefined : options.mysqlUrl || undefined;

  const dataDir = mkdtempSync(path.join(tmpdir(), "orderhub-identity-eval-"));
  const prefix = `ohe_${process.pid}_${Math.floor(Math.random() * 1e6)}`;
  const ds = await openDatabase({
    service: "customers",
    mysqlUrl,
    dbNamePrefix: prefix,
    dataDir,
    entities: [...customersSubgraph.entities, ...EVENT_ENTITIES, ...DELIVERY_ENTITIES],
    migrations: customersSubgraph.migrations,
  });
  try {
    const backend = await backendName(ds);
    const ctx = { config, clock: systemClock, source: "eval", actor: null, strict: false };
    const resolutions: Record<string, number> = {};
    const fed: SyntheticIdentity[] = [];
    const started = performance.now();
    let lastLog = started;
    for (const identity of population.identities) {
      if (options.timeLimitMs && performance.now() - started > options.timeLimitMs) break;
      const input = {
        channel: identity.channel as Channel,
        channelCustomerId: identity.channelCustomerId,
        name: identity.name,
        phone: identity.phone,
        deviceFingerprint: identity.deviceFingerprint,
        address: identity.address,
      };
      const out = await inTransaction(ds, (em) => resolveIdentity(em, input, ctx));
      inc(resolutions, out.resolution as Resolution);
      fed.push(identity);
      if (performance.now() - lastLog > 15000) {
        lastLog = performance.now();
        const s = (lastLog - started) / 1000;
        log(`  … ${fed.length} identities in ${s.toFixed(0)} s (${(fed.length / s).toFixed(0)}/s)`);
      }
    }
    const elapsedMs = performance.now() - started;

    // ----- read back what the hub decided -----
    const rows = await ds.getRepository(ChannelIdentityRow).find({ order: { id: "ASC" } });
    const truthOf = new Map(fed.map((i) => [`${i.channel}:${i.channelCustomerId}`, i]));
    const items = rows.map((row) => ({ row, synthetic: truthOf.get(`${row.channel}:${row.channelCustomerId}`)! }));
    if (items.some((x) => !x.synthetic)) throw new Error("channel_identities holds an identity the population does not know");
    const view = ({ row, synthetic }: (typeof items)[number]): IdentityView => ({
      personId: synthetic.personId,
      channel: row.channel,
      channelCustomerId: row.channelCustomerId,
      customerId: row.customerId,
      sent: { name: synthetic.name, phone: synthetic.phone, device: synthetic.deviceFingerprint, address: synthetic.address },
      cleaned: { name: row.name, phone: row.phone, device: row.deviceFingerprint, district: row.addressCode },
      noise: synthetic.noise,
    });

    const score = pairwise(items.map((x) => ({ cluster: x.row.customerId, personId: x.synthetic.personId })));
    const personsOf = new Map<number, Set<string>>();
    const identitiesOf = new Map<number, typeof items>();
    for (const x of items) {
      if (!personsOf.has(x.row.customerId)) {
        personsOf.set(x.row.customerId, new Set());
        identitiesOf.set(x.row.customerId, []);
      }
      personsOf.get(x.row.customerId)!.add(x.synthetic.personId);
      identitiesOf.get(x.row.customerId)!.push(x);
    }
    const impureCustomers = [...personsOf.values()].filter((s) => s.size > 1).length;

    // ----- review candidates -----
    const candidates = await ds.getRepository(MatchCandidateRow).find();
    const share = (a: number, b: number) => {
      const pa = personsOf.get(a);
      const pb = personsOf.get(b);
      return !!pa && !!pb && [...pa].some((p) => pb.has(p));
    };
    const trueCandidates = candidates.filter((c) => share(c.customerA, c.customerB));
    const uf = new UnionFind();
    for (const c of trueCandidates) uf.union(c.customerA, c.customerB);
    const candidatesByEvidence: Record<string, { total: number; trueMatches: number }> = {};
    for (const c of candidates) {
      const k = signalsOf(c.evidence);
      candidatesByEvidence[k] ??= { total: 0, trueMatches: 0 };
      candidatesByEvidence[k].total++;
      if (share(c.customerA, c.customerB)) candidatesByEvidence[k].trueMatches++;
    }
    const ownValueTakenForShared = { phone: 0, device: 0 };
    for (const kind of ["phone", "device"] as const) {
      const seen = new Map<string, { rows: ChannelIdentityRow[]; persons: Set<string> }>();
      for (const { row, synthetic } of items) {
        const value = kind === "phone" ? row.phone : row.deviceFingerprint;
        if (!value) continue;
        const s = seen.get(value) ?? seen.set(value, { rows: [], persons: new Set() }).get(value)!;
        if (valueFrequency(s.rows) > config.maxCustomersPerValue && s.persons.size === 1 && s.persons.has(synthetic.personId)) ownValueTakenForShared[kind]++;
        s.rows.push(row);
        s.persons.add(synthetic.personId);
      }
    }
    const afterReview = pairwise(items.map((x) => ({ cluster: uf.find(x.row.customerId), personId: x.synthetic.personId })));

    // ----- shared kiosks and parcel stations -----
    const fedPeople = new Set(fed.map((i) => i.personId));
    const sharedGroups = population.groups.map((g) => {
      const members = new Set(g.personIds.filter((p) => fedPeople.has(p)));
      const tag = g.kind === "kiosk" ? "kiosk" : "parcel-station";
      const groupIdentities = items.filter((x) => x.synthetic.noise.includes(tag) && members.has(x.synthetic.personId) && (g.device ? x.synthetic.deviceFingerprint === g.device : true));
      let several = 0;
      let most = 0;
      for (const persons of personsOf.values()) {
        const n = [...persons].filter((p) => members.has(p)).length;
        if (n > 1) several++;
        most = Math.max(most, n);
      }
      const customersOfMembers = new Set(items.filter((x) => members.has(x.synthetic.personId)).map((x) => x.row.customerId));
      const reviewAmong = candidates.filter((c) => customersOfMembers.has(c.customerA) && customersOfMembers.has(c.customerB) && !share(c.customerA, c.customerB)).length;
      return { kind: g.kind, people: members.size, identities: groupIdentities.length, customersWithSeveralMembers: several, mostMembersInOneCustomer: most, reviewCandidatesAmongMembers: reviewAmong };
    });

    // ----- cleansing as seen on this data -----
    const cleansing = { phonesSent: 0, phonesUnreadable: 0, addressesSent: 0, addressesUnplaced: 0, addressesWrongDistrict: 0, unplacedByForm: {} as Record<string, number> };
    for (const { row, synthetic } of items) {
      if (synthetic.phone) {
        cleansing.phonesSent++;
        if (!row.phone) cleansing.phonesUnreadable++;
      }
      if (synthetic.address) {
        cleansing.addressesSent++;
        if (!row.addressCode) {
          cleansing.addressesUnplaced++;
          inc(cleansing.unplacedByForm, `${synthetic.noise.find((n) => n.startsWith("address:")) ?? "?"} ${synthetic.expectedDistrict}`);
        } else if (row.addressCode !== synthetic.expectedDistrict) cleansing.addressesWrongDistrict++;
      }
    }

    // ----- false merges: which evidence joined an identity to a customer of someone else -----
    const events = await ds.getRepository(OutboxEvent).find({ where: { type: IDENTITY_LINKED } });
    const matchOf = new Map<string, { score: number; evidence: string[] }>();
    for (const e of events) {
      const p = e.payload as { channel: string; channelCustomerId: string; match?: { score: number; evidence: string[] } };
      if (p.match && !matchOf.has(`${p.channel}:${p.channelCustomerId}`)) matchOf.set(`${p.channel}:${p.channelCustomerId}`, p.match);
    }
    const falseMerges: EvaluationResult["falseMerges"] = { pairs: 0, withConflictingNames: 0, bridgedByNameless: 0, byEvidence: {}, examples: [] };
    for (const [, members] of identitiesOf) {
      if (personsOf.get(members[0].row.customerId)!.size < 2) continue;
      const before: typeof items = [];
      for (const x of members) {
        const wrong = before.filter((y) => y.synthetic.personId !== x.synthetic.personId);
        if (wrong.length) {
          const match = matchOf.get(`${x.row.channel}:${x.row.channelCustomerId}`);
          const key = match ? signalsOf(match.evidence) : "(no match event)";
          falseMerges.pairs += wrong.length;
          const nameOf = (y: (typeof items)[number]) => (y.row.name && y.row.nameKey ? { display: y.row.name, key: y.row.nameKey } : null);
          const mine = nameOf(x);
          const contradicting = wrong.filter((y) => mine && nameOf(y) && !namesClose(mine, nameOf(y)!));
          falseMerges.withConflictingNames += contradicting.length;
          if (contradicting.length && wrong.some((y) => !nameOf(y))) falseMerges.bridgedByNameless++;
          inc(falseMerges.byEvidence, key, wrong.length);
          if (falseMerges.examples.length < keep) {
            falseMerges.examples.push({ joined: view(x), evidence: match?.evidence ?? [], score: match?.score ?? null, alreadyThere: wrong.slice(0, 4).map(view) });
          }
        }
        before.push(x);
      }
    }

    // ----- missed pairs: why two identities of one person ended in different customers -----
    // The pair is judged as the matcher would judge it now, with every identity in place.
    const phoneRows = new Map<string, ChannelIdentityRow[]>();
    const deviceRows = new Map<string, ChannelIdentityRow[]>();
    for (const { row } of items) {
      if (row.phone) (phoneRows.get(row.phone) ?? phoneRows.set(row.phone, []).get(row.phone)!).push(row);
      if (row.deviceFingerprint) (deviceRows.get(row.deviceFingerprint) ?? deviceRows.set(row.deviceFingerprint, []).get(row.deviceFingerprint)!).push(row);
    }
    const addressRows = new Map<string, ChannelIdentityRow[]>();
    for (const { row } of items) if (row.addressKey) (addressRows.get(row.addressKey) ?? addressRows.set(row.addressKey, []).get(row.addressKey)!).push(row);
    const freq = {
      phone: (p: string) => valueFrequency(phoneRows.get(p) ?? []),
      device: (d: string) => valueFrequency(deviceRows.get(d) ?? []),
      address: (k: string) => valueFrequency(addressRows.get(k) ?? []),
      phonesOfNameAt: (k: string, nameKey: string) => new Set((addressRows.get(k) ?? []).filter((r) => r.nameKey === nameKey && r.phone).map((r) => r.phone)).size,
    };
    const byPerson = new Map<string, typeof items>();
    for (const x of items) (byPerson.get(x.synthetic.personId) ?? byPerson.set(x.synthetic.personId, []).get(x.synthetic.personId)!).push(x);
    const missedPairs: EvaluationResult["missedPairs"] = { pairs: 0, byReason: {}, byNoise: {}, examples: [] };
    const examplesPerReason = new Map<string, number>();
    for (const [, list] of byPerson) {
      if (new Set(list.map((x) => x.row.customerId)).size < 2) continue;
      for (let i = 0; i < list.length; i++) {
        for (let j = i + 1; j < list.length; j++) {
          const [a, b] = [list[i], list[j]];
          if (a.row.customerId === b.row.customerId) continue;
          const result = compareIdentities(featuresOf(a.row), featuresOf(b.row), freq, config);
          const blocked = (a.row.phone && a.row.phone === b.row.phone) || (a.row.deviceFingerprint && a.row.deviceFingerprint === b.row.deviceFingerprint);
          let reason: string;
          if (blocked) reason = `${result.decision === "merge" ? "merge on their own, but split earlier" : result.decision}: ${signalsOf(result.evidence)}`;
          else {
            // What a name/address blocking key could still find for such a pair.
            const sameLine = !!a.row.address?.text && a.row.address.text === b.row.address?.text;
            const close = result.signals.includes("closeName");
            const rest = close && sameLine ? "close name + same address line" : close ? "close name, address differs/missing" : sameLine ? "same address line, name differs/missing" : "no name/address in common";
            if (!a.row.phone || !b.row.phone) reason = `not blocked: phone missing on one side, no shared device; ${rest}`;
            else if (phonesNear(a.row.phone, b.row.phone)) reason = `not blocked: near-identical phones, no shared device; ${rest}`;
            else reason = `not blocked: different phones, no shared device; ${rest}`;
          }
          missedPairs.pairs++;
          inc(missedPairs.byReason, reason);
          for (const n of new Set([...a.synthetic.noise, ...b.synthetic.noise])) if (!n.startsWith("address:") || n === "address:missing" || n === "address:work") inc(missedPairs.byNoise, n);
          const seen = examplesPerReason.get(reason) ?? 0;
          if (seen < Math.max(1, Math.ceil(keep / 3)) && missedPairs.examples.length < keep * 3) {
            examplesPerReason.set(reason, seen + 1);
            missedPairs.examples.push({ reason, a: view(a), b: view(b), evidence: result.evidence });
          }
        }
      }
    }

    return {
      backend,
      seed,
      people: population.people.length,
      identitiesGenerated: population.identities.length,
      identitiesResolved: fed.length,
      truePeople: score.people,
      customers: score.clusters,
      elapsedMs: Math.round(elapsedMs),
      identitiesPerSecond: round(fed.length / (elapsedMs / 1000), 1),
      resolutions,
      pairs: { truePositive: score.tp, predicted: score.predicted, truth: score.truth },
      precision: round(score.precision),
      recall: round(score.recall),
      f1: round(score.f1),
      impureCustomers,
      ownValueTakenForShared,
      candidates: { total: candidates.length, trueMatches: trueCandidates.length, byEvidence: candidatesByEvidence, precisionIfAccepted: round(afterReview.precision), recallIfAccepted: round(afterReview.recall) },
      sharedGroups,
      cleansing,
      falseMerges,
      missedPairs,
    };
  } finally {
    await ds.destroy();
    if (mysqlUrl) await dropDatabases(mysqlUrl, prefix, ["customers"]);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Checks the district table of the generator against the hub's cleansing (GB/T 2260 codes). */
export function checkDistrictCodes(population: Population): string[] {
  const wrong: string[] = [];
  const seen = new Set<string>();
  for (const p of population.people) {
    if (seen.has(p.home.code)) continue;
    seen.add(p.home.code);
    const got = cleanAddress({ province: p.home.province, city: p.home.city, district: p.home.district, detail: p.home.detail })?.code;
    if (got !== p.home.code) wrong.push(`${p.home.province}${p.home.city}${p.home.district}: expected ${p.home.code}, cleanAddress says ${got}`);
  }
  return wrong;
}

function compact(v: IdentityView): string {
  const addr = typeof v.sent.address === "string" ? v.sent.address : v.sent.address ? Object.values(v.sent.address as object).join("|") : "-";
  return `${v.personId} ${v.channel}:${v.channelCustomerId} → customer ${v.customerId}; name=${v.sent.name ?? "-"} phone=${v.sent.phone ?? "-"} (${v.cleaned.phone ?? "-"}) device=${v.sent.device?.slice(0, 8) ?? "-"} district=${v.cleaned.district ?? "-"} addr=${addr} [${v.noise.filter((n) => !n.startsWith("address:") || n === "address:work").join(",")}]`;
}

export function report(r: EvaluationResult): string {
  const lines: string[] = [];
  const row = (k: string, v: string | number) => lines.push(`${k.padEnd(44)} ${v}`);
  row("backend", r.backend);
  row("seed / people / identities generated", `${r.seed} / ${r.people} / ${r.identitiesGenerated}`);
  row("identities resolved", `${r.identitiesResolved} in ${(r.elapsedMs / 1000).toFixed(1)} s`);
  row("resolution rate (identities/s)", r.identitiesPerSecond);
  row("resolutions", JSON.stringify(r.resolutions));
  row("true people / golden customers", `${r.truePeople} / ${r.customers}`);
  row("pairs: true positive / predicted / truth", `${r.pairs.truePositive} / ${r.pairs.predicted} / ${r.pairs.truth}`);
  row("pairwise precision (goal ≥ 0.99)", r.precision);
  row("pairwise recall (goal ≥ 0.95)", r.recall);
  row("pairwise F1", r.f1);
  row("customers mixing several people", r.impureCustomers);
  row("review candidates (true matches)", `${r.candidates.total} (${r.candidates.trueMatches})`);
  row("own phone / device taken for shared", `${r.ownValueTakenForShared.phone} / ${r.ownValueTakenForShared.device} identities`);
  row("if every true candidate were accepted: P / R", `${r.candidates.precisionIfAccepted} / ${r.candidates.recallIfAccepted}`);
  for (const kind of [...new Set(r.sharedGroups.map((g) => g.kind))]) {
    const gs = r.sharedGroups.filter((g) => g.kind === kind);
    const collapsed = gs.filter((g) => g.customersWithSeveralMembers > 0);
    row(
      `shared ${kind}s: groups / people / identities`,
      `${gs.length} / ${gs.reduce((a, g) => a + g.people, 0)} / ${gs.reduce((a, g) => a + g.identities, 0)}; groups collapsing people: ${collapsed.length}` +
        (collapsed.length ? ` (customers ${collapsed.map((g) => `${g.customersWithSeveralMembers}×≤${g.mostMembersInOneCustomer}`).join(", ")})` : "") +
        `; false review candidates among members: ${gs.reduce((a, g) => a + g.reviewCandidatesAmongMembers, 0)}`,
    );
  }
  row("phones unreadable", `${r.cleansing.phonesUnreadable} of ${r.cleansing.phonesSent}`);
  row("addresses unplaced / wrong district", `${r.cleansing.addressesUnplaced} / ${r.cleansing.addressesWrongDistrict} of ${r.cleansing.addressesSent} ${JSON.stringify(r.cleansing.unplacedByForm)}`);
  lines.push("", "review candidates by evidence (total / true matches):");
  for (const [k, v] of Object.entries(r.candidates.byEvidence).sort((a, b) => b[1].total - a[1].total)) lines.push(`  ${String(v.total).padStart(7)} / ${String(v.trueMatches).padEnd(7)} ${k}`);
  lines.push("", `false merges: ${r.falseMerges.pairs} wrong pairs (${r.falseMerges.withConflictingNames} of them between two different, non-close names; ${r.falseMerges.bridgedByNameless} joins bridged by a nameless identity), by the evidence of the joining identity:`);
  for (const [k, n] of Object.entries(r.falseMerges.byEvidence).sort((a, b) => b[1] - a[1])) lines.push(`  ${String(n).padStart(7)}  ${k}`);
  for (const e of r.falseMerges.examples) {
    lines.push(`  e.g. joined: ${compact(e.joined)}`, `       evidence (score ${e.score}): ${e.evidence.join("; ")}`);
    for (const y of e.alreadyThere) lines.push(`       already there: ${compact(y)}`);
  }
  lines.push("", `missed pairs: ${r.missedPairs.pairs}, by reason (signals as the matcher sees the pair directly):`);
  for (const [k, n] of Object.entries(r.missedPairs.byReason).sort((a, b) => b[1] - a[1])) lines.push(`  ${String(n).padStart(7)}  ${k}`);
  lines.push("  noise on either side of a missed pair:");
  for (const [k, n] of Object.entries(r.missedPairs.byNoise).sort((a, b) => b[1] - a[1]).slice(0, 14)) lines.push(`  ${String(n).padStart(7)}  ${k}`);
  for (const e of r.missedPairs.examples) {
    lines.push(`  e.g. [${e.reason}]`, `       a: ${compact(e.a)}`, `       b: ${compact(e.b)}`, `       evidence: ${e.evidence.join("; ") || "-"}`);
  }
  return lines.join("\n");
}

if (require.main === module) {
  const people = Number(process.argv[2] ?? 3000);
  const identities = Number(process.argv[3] ?? Math.round(people * 3.34));
  const seed = Number(process.env.SEED ?? 20261101);
  const noise = (process.env.NOISE ?? "default") as NoiseProfile;
  if (!(noise in NOISE_PROFILES)) throw new Error(`NOISE must be one of ${Object.keys(NOISE_PROFILES).join(", ")}`);
  const timeLimitMs = process.env.TIME_LIMIT_S ? Number(process.env.TIME_LIMIT_S) * 1000 : undefined;
  (async () => {
    const t0 = performance.now();
    const population = generatePopulation({ people, identitiesTarget: identities, seed, noise });
    console.log(`noise profile ${noise}; generated ${population.people.length} people, ${population.identities.length} identities in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const wrong = checkDistrictCodes(population);
    if (wrong.length) console.log(`district table vs cleanAddress:\n  ${wrong.join("\n  ")}`);
    const result = await evaluate({ population, seed, timeLimitMs, examples: Number(process.env.EXAMPLES ?? 6), log: (l) => console.log(l) });
    console.log(report(result));
    if (process.env.JSON_OUT) writeFileSync(process.env.JSON_OUT, JSON.stringify(result, null, 2));
  })().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
