import fc from "fast-check";
import { allocate } from "../../subgraphs/kernel/money";

/**
 * Properties of largest-remainder splitting, checked against exact rational arithmetic
 * (BigInt cross-multiplication), so a rounded float share cannot pass.
 */
const SEED = 20261120;
const total = fc.oneof(fc.integer({ min: -1_000_000, max: 1_000_000 }), fc.integer({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }));
const weight = fc.oneof(fc.integer({ min: 0, max: 1_000 }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }));
const weights = fc.array(weight, { minLength: 1, maxLength: 12 });

/** Exact quota of part i as the fraction num / den (den > 0), on the magnitude of the total. */
function quota(t: number, ws: readonly number[], i: number) {
  const sum = ws.reduce((a, b) => a + BigInt(b), 0n);
  const [w, den] = sum === 0n ? [1n, BigInt(ws.length)] : [BigInt(ws[i]), sum];
  return { num: BigInt(Math.abs(t)) * w, den };
}

describe("allocate (largest remainder, exact)", () => {
  test("the parts always add up to the total exactly", () => {
    fc.assert(
      fc.property(total, weights, (t, ws) => {
        expect(allocate(t, ws).reduce((a, b) => a + BigInt(b), 0n)).toBe(BigInt(t));
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });

  test("each part is its exact share rounded down or up, never further off", () => {
    fc.assert(
      fc.property(total, weights, (t, ws) => {
        allocate(t, ws).forEach((p, i) => {
          const { num, den } = quota(t, ws, i);
          const floor = num / den;
          const magnitude = BigInt(Math.abs(p));
          expect(magnitude === floor || (magnitude === floor + 1n && num % den !== 0n)).toBe(true);
          if (p !== 0) expect(Math.sign(p)).toBe(Math.sign(t));
        });
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });

  test("the extra units go to the largest remainders, ties to the earlier part", () => {
    fc.assert(
      fc.property(total, weights, (t, ws) => {
        const parts = allocate(t, ws);
        const info = parts.map((p, i) => {
          const { num, den } = quota(t, ws, i);
          // Remainders compared over a common denominator (den is the same for every part).
          return { up: BigInt(Math.abs(p)) > num / den, rest: num % den, i };
        });
        for (const a of info) {
          for (const b of info) {
            if (a.up && !b.up) expect(a.rest > b.rest || (a.rest === b.rest && a.i < b.i)).toBe(true);
          }
        }
      }),
      { seed: SEED, numRuns: 1000 },
    );
  });

  test("the same input always gives the same split, and order of equal weights decides ties", () => {
    expect(allocate(100, [1, 1, 1])).toEqual([34, 33, 33]);
    expect(allocate(2, [5, 5, 5])).toEqual([1, 1, 0]);
    expect(allocate(-10, [1, 2])).toEqual([-3, -7]);
    expect(allocate(7, [0, 0])).toEqual([4, 3]);
    expect(allocate(0, [3, 4])).toEqual([0, 0]);
    expect(allocate(5, [])).toEqual([]);
  });

  test("large amounts split exactly where a float share is rounded", () => {
    // 2^53 - 1 over weights 1 and 2: the exact shares are 3002399751580330.33.. and ..660.66..
    expect(allocate(Number.MAX_SAFE_INTEGER, [1, 2])).toEqual([3002399751580330, 6004799503160661]);
    // A share whose numerator (total x weight) is far beyond 2^53.
    expect(allocate(1_999_999_999, [999_999_999, 1_000_000_001])).toEqual([999_999_999, 1_000_000_000]);
  });

  test("refuses weights that are negative or not whole, and totals that are not safe integers", () => {
    expect(() => allocate(10, [1, -1])).toThrow(RangeError);
    expect(() => allocate(10, [1.5])).toThrow(RangeError);
    expect(() => allocate(0.5, [1])).toThrow(RangeError);
    expect(() => allocate(2 ** 60, [1])).toThrow(RangeError);
  });
});
