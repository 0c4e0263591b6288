import { assertCurrency, parseDecimal } from "../../subgraphs/kernel/money";
import { priorityOf, TOTAL_THRESHOLDS } from "../../subgraphs/orders/priority";

const now = new Date("2026-11-20T02:00:00Z");
const order = (total: string, currency: string) => ({ totalMinor: parseDecimal(total, currency), currency, tier: null, promisedDeliveryBy: null, now });

describe("order priority: total thresholds per currency", () => {
  test.each([
    ["1208.00", "CNY", 30, "order total 1208.00 CNY is at least 1000"],
    ["421.00", "CNY", 10, "order total 421.00 CNY is at least 300"],
    ["299.99", "CNY", 0, null],
    ["1000", "JPY", 0, null], // about CNY 48: not a large order in yen
    ["25000", "JPY", 30, "order total 25000 JPY is at least 21000"],
    ["7000", "JPY", 10, "order total 7000 JPY is at least 6300"],
    ["150.00", "USD", 30, "order total 150.00 USD is at least 140"],
    ["50.000", "KWD", 30, "order total 50.000 KWD is at least 43"],
    ["200000", "KRW", 30, "order total 200000 KRW is at least 190000"],
  ])("%s %s scores %i", (total, currency, score, reason) => {
    const p = priorityOf(order(total, currency));
    expect(p.score).toBe(score);
    expect(p.reasons).toEqual(reason ? [reason] : []);
  });

  test("a currency without thresholds gets no points for its total, however large", () => {
    expect(priorityOf(order("99999999.00", "BRL"))).toEqual({ level: "NORMAL", score: 0, reasons: [] });
  });

  test("every listed currency is a real ISO-4217 code and its large threshold is above the notable one", () => {
    for (const [currency, t] of Object.entries(TOTAL_THRESHOLDS)) {
      expect(assertCurrency(currency)).toBe(currency);
      expect(parseDecimal(t.large, currency)).toBeGreaterThan(parseDecimal(t.notable, currency));
    }
  });

  test("the other rules add to the total's points", () => {
    const p = priorityOf({ ...order("1208.00", "CNY"), tier: "SILVER", promisedDeliveryBy: new Date(now.getTime() + 5 * 3600_000) });
    expect(p).toEqual({ level: "URGENT", score: 80, reasons: ["order total 1208.00 CNY is at least 1000", "customer tier SILVER", "promised delivery within 5 h"] });
  });
});
