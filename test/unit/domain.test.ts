import { toE164 } from "../../subgraphs/customers/phone";
import { parseAnyGlobalId, parseGlobalId, toGlobalId } from "../../subgraphs/kernel/global-id";
import { allocate, formatMinor, parseDecimal } from "../../subgraphs/kernel/money";
import { planOrder } from "../../subgraphs/orders/intake";
import { checkOrderStatus } from "../../subgraphs/aftersales/domain";

describe("global IDs", () => {
  test("round-trip and name the expected type when wrong", () => {
    expect(parseGlobalId(toGlobalId("Order", 42), "Order")).toBe(42);
    expect(() => parseGlobalId(toGlobalId("Product", 1), "Order")).toThrow(/Expected an Order ID, got a Product ID/);
    for (const bad of ["42", "gid://orderhub/Order/", "gid://orderhub/Order/0", "gid://orderhub/Order/1/2", "gid://other/Order/1", "gid://orderhub/Order/1e3"]) {
      expect(() => parseAnyGlobalId(bad)).toThrow();
    }
  });
});

describe("money", () => {
  test("decimal strings and minor units convert exactly, per currency", () => {
    expect(parseDecimal("99.9", "CNY")).toBe(9990);
    expect(parseDecimal("1200", "JPY")).toBe(1200);
    expect(formatMinor(5, "CNY")).toBe("0.05");
    expect(formatMinor(-105, "CNY")).toBe("-1.05");
    expect(formatMinor(1234, "KWD")).toBe("1.234");
    expect(() => parseDecimal("1.5", "JPY")).toThrow(/decimal places/);
    expect(() => parseDecimal("1e3", "CNY")).toThrow();
  });

  test("allocate splits by largest remainder and always adds up", () => {
    expect(allocate(100, [1, 1, 1])).toEqual([34, 33, 33]);
    expect(allocate(1000, [3, 3, 4])).toEqual([300, 300, 400]);
    expect(allocate(-10, [1, 2])).toEqual([-3, -7]);
    for (let total = 0; total < 500; total += 37) {
      const parts = allocate(total, [7, 13, 1, 29]);
      expect(parts.reduce((a, b) => a + b, 0)).toBe(total);
    }
  });
});

describe("order intake", () => {
  const base = {
    channel: "WEB" as never,
    channelOrderId: "W-1",
    placedAt: "2026-03-08T01:30:00-05:00",
    currency: "USD",
    buyer: { channelCustomerId: "b" },
    lines: [{ channelSkuId: "A", quantity: 2, unitPrice: "10.05", discount: "0.10" }],
    shippingFee: "5",
  };
  test("computes totals in minor units and the instant in UTC", () => {
    const plan = planOrder(base);
    expect(plan.placedAt.toISOString()).toBe("2026-03-08T06:30:00.000Z");
    expect([plan.subtotalMinor, plan.discountMinor, plan.shippingMinor, plan.totalMinor]).toEqual([2010, 10, 500, 2500]);
  });
  test("refuses times without an offset, and a discount above the line", () => {
    expect(() => planOrder({ ...base, placedAt: "2026-03-08T01:30:00" })).toThrow(/offset/);
    expect(() => planOrder({ ...base, lines: [{ channelSkuId: "A", quantity: 1, unitPrice: "1.00", discount: "2.00" }] })).toThrow(/discount/);
  });
});

describe("phones", () => {
  test.each(["0086 138-0013-8000", "+86 13800138000", "（86）13800138000", "１３８００１３８０００", "138 0013 8000"])("%s becomes +8613800138000", (raw) => {
    expect(toE164(raw)).toBe("+8613800138000");
  });
  test("landlines keep their area code; junk is refused", () => {
    expect(toE164("010-6552 9988")).toBe("+861065529988");
    expect(toE164("12345")).toBeNull();
  });
});

describe("after-sales order status rule", () => {
  test.each(["PAID", "FULFILLING", "PARTIALLY_SHIPPED", "SHIPPED", "DELIVERED", "COMPLETED"])("a %s order may have after-sales", (status) => {
    expect(checkOrderStatus(status, "O")).toBeNull();
  });
  test.each([
    ["PENDING_PAYMENT", /not been paid/],
    ["CANCELLED", /cancelled/],
  ])("a %s order is refused with CONFLICT, saying why", (status, why) => {
    const p = checkOrderStatus(status, "gid://orderhub/Order/7");
    expect(p).toMatchObject({ code: "CONFLICT", field: "orderId", extra: { orderStatus: status } });
    expect(p!.message).toMatch(/needs a paid order: order gid:\/\/orderhub\/Order\/7 is/);
    expect(p!.message).toMatch(why);
  });
});
