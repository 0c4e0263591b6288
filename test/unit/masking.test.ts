import { maskPayload, maskPhone, pseudonym } from "../../subgraphs/kernel/masking";

describe("phone masking keeps the country code and the last four digits", () => {
  test.each([
    ["+85291234567", "+852****4567"],
    ["+8613800138000", "+86*******8000"],
    ["+12025550123", "+1******0123"],
    ["+442079460958", "+44******0958"],
  ])("%s -> %s", (phone, masked) => {
    expect(maskPhone(phone)).toBe(masked);
  });

  test("a value that is not a number in E.164 keeps only its last four digits", () => {
    expect(maskPhone("13800138000")).toBe("*******8000");
    expect(maskPhone("123")).toBe("***");
  });
});

describe("pseudonyms", () => {
  const key = "k".repeat(32);
  test("the same channel account always gives the same pseudonym; another account or channel another one", () => {
    expect(pseudonym(key, "JD", "jd_pin_1")).toBe(pseudonym(key, "JD", "jd_pin_1"));
    expect(pseudonym(key, "JD", "jd_pin_1")).not.toBe(pseudonym(key, "JD", "jd_pin_2"));
    expect(pseudonym(key, "JD", "jd_pin_1")).not.toBe(pseudonym(key, "POS", "jd_pin_1"));
  });

  test("it depends on the key and does not contain the account id", () => {
    const p = pseudonym(key, "JD", "jd_pin_1");
    expect(p).not.toBe(pseudonym("x".repeat(32), "JD", "jd_pin_1"));
    expect(p).not.toContain("jd_pin_1");
  });
});

describe("event payloads", () => {
  const key = "k".repeat(32);
  const created = {
    channel: "JD",
    buyer: { channelCustomerId: "jd_pin_1", name: "张三", phone: "+8613800138000", deviceFingerprint: "fp-1", email: "z@example.com" },
    shippingAddress: { province: "北京市", city: "北京市", district: "朝阳区", detail: "建国路1号", recipient: "李四", phone: "13900139000" },
    lines: [{ lineKey: 1, quantity: 2 }],
    reason: "fraud check",
    totalMinor: 100,
  };

  test("BI sees no person at any depth: no names, contacts, devices or streets; phones masked; accounts pseudonymous", () => {
    const bi = maskPayload(created, "bi", key) as any;
    expect(bi).toEqual({
      channel: "JD",
      buyer: { channelCustomerId: pseudonym(key, "JD", "jd_pin_1"), phone: "+86*******8000" },
      shippingAddress: { province: "北京市", city: "北京市", district: "朝阳区", phone: "*******9000" },
      lines: [{ lineKey: 1, quantity: 2 }],
      totalMinor: 100,
    });
  });

  test("BI gets no free text or staff ids: reasons, resolutions, notes, actors", () => {
    const held = { reason: "buyer Ann Lee called from 13800138000", note: "x", resolution: "refunded Ann", holdReason: "y", actor: "staff:lin", resolvedBy: "staff:lin", decidedBy: "staff:wu", requestedBy: "staff:ma", kind: "HOLD" };
    expect(maskPayload(held, "bi", key)).toEqual({ kind: "HOLD" });
    expect(maskPayload({ nested: [held] }, "bi", key)).toEqual({ nested: [{ kind: "HOLD" }] });
  });

  test("BI gets no phone it cannot mask, and no receiver names, nicks, contacts or emails", () => {
    expect(maskPayload({ phone: 13800138000, mobile: { cc: "86", n: "13800138000" }, buyer: { phone: ["13800138000"] } }, "bi", key)).toEqual({ buyer: {} });
    expect(maskPayload({ mobile: "+8613800138000" }, "bi", key)).toEqual({ mobile: "+86*******8000" });
    const people = { receiverName: "李四", buyerNick: "ann_nick", contact: "ann@example.com", recipient: "李四", email: "a@example.com", city: "北京市" };
    expect(maskPayload(people, "bi", key)).toEqual({ city: "北京市" });
  });

  test("BI gets no steward notes or match evidence (they quote phones), and no account id without its channel", () => {
    const merged = { note: "same person, called 13800138000", evidence: ["same phone +8613800138000"], identities: [{ channel: "WEB", channelCustomerId: "w1" }], match: { score: 0.9, evidence: ["x"] } };
    expect(maskPayload(merged, "bi", key)).toEqual({ identities: [{ channel: "WEB", channelCustomerId: pseudonym(key, "WEB", "w1") }], match: { score: 0.9 } });
    expect(maskPayload({ channelCustomerId: "w1" }, "bi", key)).toEqual({});
  });

  test("a golden address in a change keeps its region for BI, not its street or one-line text", () => {
    const change = { changes: { address: { code: "110105", province: "北京市", city: "北京市", district: "朝阳区", detail: "建国路1号", text: "北京市北京市朝阳区建国路1号", flagged: false } } };
    expect(maskPayload(change, "bi", key)).toEqual({ changes: { address: { code: "110105", province: "北京市", city: "北京市", district: "朝阳区", flagged: false } } });
  });

  test("a shopper or channel sees their own data but no staff internals: reasons, notes, exception details", () => {
    const external = maskPayload(created, "external", key) as any;
    expect(external.buyer).toEqual(created.buyer);
    expect(external.shippingAddress.detail).toBe("建国路1号");
    expect(external.reason).toBeUndefined();
    expect(maskPayload({ kind: "SLA_BREACH", stage: "PAID", detail: "PAID for 45 minutes", skus: ["A"] }, "external", key)).toEqual({ kind: "SLA_BREACH" });
  });
});
