/**
 * Quality of identity resolution, measured: a seeded synthetic population of the size the
 * goal is stated for (3,000 people, 10,000 channel identities, with realistic noise and
 * hard negatives) goes through the real resolution path on the customers subgraph's own
 * database (SQLite, or MariaDB/MySQL when MYSQL_URL is set), and the automatic merges are
 * scored pairwise against the truth. The goal: precision ≥ 0.99 and recall ≥ 0.95, and no
 * shared kiosk device or shared shop/parcel-station phone collapsing different people into
 * one customer.
 *
 * A failure prints the evaluation report: which evidence made the false merges and why the
 * missed pairs were not merged, with examples (`node dist/test/identity/evaluate.js` gives
 * the same for other sizes, seeds and noise profiles).
 */
import { checkDistrictCodes, evaluate, report, type EvaluationResult } from "./identity/evaluate";
import { generatePopulation } from "./identity/population";

const PEOPLE = 3000;
const IDENTITIES = 10_000;
const SEED = 20261101;

function explain(ok: boolean, what: string, result: EvaluationResult) {
  if (!ok) throw new Error(`${what}\n\n${report(result)}`);
}

describe("synthetic population", () => {
  const population = generatePopulation({ people: PEOPLE, identitiesTarget: IDENTITIES, seed: SEED });

  it("is deterministic for a seed and has the size asked for", () => {
    const again = generatePopulation({ people: PEOPLE, identitiesTarget: IDENTITIES, seed: SEED });
    expect(again.identities).toEqual(population.identities);
    expect(population.people).toHaveLength(PEOPLE);
    expect(population.identities).toHaveLength(IDENTITIES);
    const perPerson = new Map<string, number>();
    for (const i of population.identities) perPerson.set(i.personId, (perPerson.get(i.personId) ?? 0) + 1);
    expect(Math.min(...perPerson.values())).toBeGreaterThanOrEqual(1);
    expect(Math.max(...perPerson.values())).toBeLessThanOrEqual(6);
    const keys = population.identities.map((i) => `${i.channel}:${i.channelCustomerId}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("holds the hard negatives: a kiosk tablet of 30+ people, shared phones of 20+, common names in one district", () => {
    const kiosk = population.groups.find((g) => g.kind === "kiosk")!;
    expect(kiosk.personIds.length).toBeGreaterThanOrEqual(30);
    expect(population.identities.filter((i) => i.deviceFingerprint === kiosk.device && i.channel === "POS").map((i) => i.personId)).toEqual(
      expect.arrayContaining(kiosk.personIds),
    );
    for (const g of population.groups) {
      const users = new Set(population.identities.filter((i) => i.phone && i.phone.normalize("NFKC").replace(/\D/g, "").endsWith(g.phone)).map((i) => i.personId));
      if (g.kind === "parcel-station") expect(users.size).toBeGreaterThanOrEqual(20);
      else expect(users.size).toBeGreaterThan(1);
    }
    expect(population.commonNameGroups.some((g) => g.personIds.length >= 3)).toBe(true);
  });

  it("uses real districts: every GB/T 2260 code agrees with the hub's address cleansing", () => {
    expect(checkDistrictCodes(population)).toEqual([]);
  });
});

describe("identity resolution quality (pairwise, against the truth)", () => {
  let result: EvaluationResult;

  beforeAll(async () => {
    result = await evaluate({ people: PEOPLE, identities: IDENTITIES, seed: SEED, examples: 6 });
    // The measured figures, for the record (they are compared with the goals below).
    console.log(`identity quality on ${result.backend}: precision ${result.precision}, recall ${result.recall}, F1 ${result.f1}, review candidates ${result.candidates.total}`);
  }, 600_000);

  it("resolves every identity", () => {
    expect(result.identitiesResolved).toBe(IDENTITIES);
    expect(result.truePeople).toBe(PEOPLE);
  });

  it("merges precisely: pairwise precision ≥ 0.99", () => {
    explain(result.precision >= 0.99, `pairwise precision ${result.precision} < 0.99`, result);
  });

  it("finds the same person across channels: pairwise recall ≥ 0.95", () => {
    explain(result.recall >= 0.95, `pairwise recall ${result.recall} < 0.95`, result);
  });

  it("does not collapse different people who share a kiosk tablet or a shop/parcel-station phone", () => {
    const collapsed = result.sharedGroups.filter((g) => g.customersWithSeveralMembers > 0);
    explain(
      collapsed.length === 0,
      `customers holding several people of one shared group: ${collapsed.map((g) => `${g.kind}: ${g.customersWithSeveralMembers} customers, up to ${g.mostMembersInOneCustomer} people`).join("; ")}`,
      result,
    );
  });
});
