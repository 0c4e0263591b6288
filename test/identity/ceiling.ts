/**
 * What a set of corroboration rules gives on the labelled population offline, whatever
 * the order identities arrive in: every pair the rules accept is merged, transitively,
 * with shared values counted over the whole population. It answers "can these rules
 * reach the goal at all?" and "which rule costs precision?" before a rule is built into
 * the matcher. It is a guide, not a bound: the online matcher judges shared values on
 * what it has seen so far, so it merges a little more (rightly or wrongly), and it
 * judges a new identity against whole customers.
 *
 *   node dist/test/identity/ceiling.js [people] [identities]      env: SEED, NOISE
 *
 * For each rule set it prints the pairwise precision and recall of those offline merges.
 * The rule sets are prefixes of MERGE_RULES (matching.ts): the four rules, then
 * each added rule in turn. compareIdentities names the first rule a pair meets, and the
 * table lists the rules first, so a pair counts for the earliest set it meets.
 */
import { addressKeyOf, cleanAddress, cleanName, cleanPhone } from "../../subgraphs/customers/cleansing";
import { compareIdentities, DEFAULT_MATCH_CONFIG, MERGE_RULES, peopleAmong, type IdentityFeatures, type ValueFrequency } from "../../subgraphs/customers/matching";
import { generatePopulation, NOISE_PROFILES, type NoiseProfile } from "./population";

interface Item {
  index: number;
  personId: string;
  f: IdentityFeatures;
}

/** Rows grouped by a key, skipping rows without one. */
function groupBy(items: Item[], key: (i: Item) => string | null): Map<string, Item[]> {
  const groups = new Map<string, Item[]>();
  for (const item of items) {
    const k = key(item);
    if (k) (groups.get(k) ?? groups.set(k, []).get(k)!).push(item);
  }
  return groups;
}

/** Different people seen with a value, as the matcher counts them. */
const people = (rows: Item[] = []) => peopleAmong(rows.map((r) => r.f.name?.key));

const pairs = (n: number) => (n * (n - 1)) / 2;

export function ceiling(items: Item[]): Array<{ rules: string[]; precision: number; recall: number }> {
  const byPhone = groupBy(items, (i) => i.f.phone);
  const byDevice = groupBy(items, (i) => i.f.device);
  const byAddress = groupBy(items, (i) => i.f.addressKey);
  const byNameDistrict = groupBy(items, (i) => (i.f.name && i.f.district ? `${i.f.name.key}|${i.f.district}` : null));
  const freq: ValueFrequency = {
    phone: (p) => people(byPhone.get(p)),
    device: (d) => people(byDevice.get(d)),
    address: (k) => people(byAddress.get(k)),
    phonesOfNameAt: (k, nameKey) => new Set((byAddress.get(k) ?? []).filter((r) => r.f.name?.key === nameKey && r.f.phone).map((r) => r.f.phone)).size,
  };
  // Every pair a blocking key brings together, judged once.
  const judged = new Map<string, string | undefined>();
  for (const groups of [byPhone, byDevice, byAddress, byNameDistrict]) {
    for (const rows of groups.values()) {
      if (rows.length > 200) continue; // a value that common is shared anyway
      for (let x = 0; x < rows.length; x++) {
        for (let y = x + 1; y < rows.length; y++) {
          const [a, b] = rows[x].index < rows[y].index ? [rows[x], rows[y]] : [rows[y], rows[x]];
          const key = `${a.index}:${b.index}`;
          if (judged.has(key)) continue;
          const r = compareIdentities(a.f, b.f, freq, DEFAULT_MATCH_CONFIG);
          judged.set(key, r.decision === "merge" ? r.rule : undefined);
        }
      }
    }
  }
  const truth = [...groupBy(items, (i) => i.personId).values()].reduce((sum, rows) => sum + pairs(rows.length), 0);
  const results = [];
  for (let n = 4; n <= MERGE_RULES.length; n++) {
    const allowed = new Set(MERGE_RULES.slice(0, n).map((r) => r.name));
    const parent = items.map((_, i) => i);
    const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i])));
    for (const [key, rule] of judged) {
      if (!rule || !allowed.has(rule)) continue;
      const [a, b] = key.split(":").map(Number);
      parent[find(a)] = find(b);
    }
    const clusters = groupBy(items, (i) => String(find(i.index)));
    let predicted = 0;
    let correct = 0;
    for (const rows of clusters.values()) {
      predicted += pairs(rows.length);
      for (const same of groupBy(rows, (i) => i.personId).values()) correct += pairs(same.length);
    }
    results.push({ rules: [...allowed], precision: predicted ? correct / predicted : 1, recall: correct / truth });
  }
  return results;
}

function main() {
  const [people = 3000, identities = 10000] = process.argv.slice(2).map(Number);
  const seed = Number(process.env.SEED ?? 20261101);
  const noise = (process.env.NOISE ?? "default") as NoiseProfile;
  if (!(noise in NOISE_PROFILES)) throw new Error(`NOISE must be one of ${Object.keys(NOISE_PROFILES).join(", ")}`);
  const population = generatePopulation({ people, identitiesTarget: identities, seed, noise });
  const items: Item[] = population.identities.map((s, index) => {
    const address = cleanAddress(s.address ?? null);
    return {
      index,
      personId: s.personId,
      f: {
        phone: s.phone ? (cleanPhone(s.phone)?.e164 ?? null) : null,
        name: cleanName(s.name),
        device: s.deviceFingerprint?.trim() || null,
        deviceIsTerminal: s.channel === "POS",
        district: address?.code ?? null,
        addressKey: addressKeyOf(address),
      },
    };
  });
  console.log(`ceiling of the corroboration rules: seed ${seed}, noise ${noise}, ${people} people, ${identities} identities`);
  for (const r of ceiling(items)) {
    const label = r.rules.length === 4 ? "the issue's four rules" : `+ ${r.rules[r.rules.length - 1]}`;
    console.log(`  ${label.padEnd(40)} precision ${r.precision.toFixed(4)}  recall ${r.recall.toFixed(4)}`);
  }
}

if (require.main === module) main();
