import { cleanName } from "../../subgraphs/customers/cleansing";
import { oneNameCluster } from "../../subgraphs/customers/identities";
import { compareIdentities, type IdentityFeatures, type ValueFrequency } from "../../subgraphs/customers/matching";

/** The corroboration rules, one pair at a time: which signals merge, which only lead to review, which are no lead. */
const person = (f: Partial<Omit<IdentityFeatures, "name">> & { name?: string }): IdentityFeatures => ({
  phone: f.phone ?? null,
  name: f.name ? cleanName(f.name) : null,
  device: f.device ?? null,
  deviceIsTerminal: f.deviceIsTerminal ?? false,
  district: f.district ?? null,
  addressKey: f.addressKey ?? null,
});
const seenOnce: ValueFrequency = { phone: () => 1, device: () => 1, address: () => 1, phonesOfNameAt: () => 1 };
const decide = (a: IdentityFeatures, b: IdentityFeatures, freq: ValueFrequency = seenOnce) => compareIdentities(a, b, freq);

const PHONE = "+8613800138000";
const TYPO = "+8613800138001";

describe("compareIdentities: what merges", () => {
  test.each([
    ["phone + device", { phone: PHONE, device: "d1" }, { phone: PHONE, device: "d1" }],
    ["phone + name", { phone: PHONE, name: "张伟" }, { phone: PHONE, name: "Zhang Wei" }],
    ["phone + district", { phone: PHONE, district: "110105" }, { phone: PHONE, district: "110105" }],
    ["device + near phone + name", { phone: PHONE, device: "d1", name: "李呈轩" }, { phone: TYPO, device: "d1", name: "李呈轩" }],
    ["near phone + same name + district", { phone: PHONE, name: "李呈轩", district: "110105" }, { phone: TYPO, name: "黎呈轩", district: "110105" }],
    ["device + same name + district", { device: "d1", name: "王芳", district: "110105" }, { device: "d1", name: "王芳", district: "110105" }],
    ["same name + full address", { name: "王芳", district: "110105", addressKey: "k1" }, { name: "王芳", phone: PHONE, district: "110105", addressKey: "k1" }],
  ])("%s merges, and names the rule", (rule, a, b) => {
    const r = decide(person(a), person(b));
    expect(r).toMatchObject({ decision: "merge", rule });
  });
});

describe("compareIdentities: what never merges", () => {
  test("a device alone, or a device with a district, is no merge", () => {
    expect(decide(person({ device: "d1" }), person({ device: "d1" })).decision).not.toBe("merge");
    expect(decide(person({ device: "d1", district: "110105" }), person({ device: "d1", district: "110105" })).decision).not.toBe("merge");
  });

  test("an address alone is no merge and no lead: a family lives there", () => {
    const home = { district: "110105", addressKey: "k1" };
    expect(decide(person({ ...home }), person({ ...home })).decision).toBe("none");
    expect(decide(person({ ...home, name: "林志明" }), person({ ...home, name: "黄美玲" })).decision).toBe("none");
  });

  test("a device with a close (not the same) name and a district is only a lead", () => {
    expect(decide(person({ device: "d1", name: "王小明", district: "110105" }), person({ device: "d1", name: "王大明", district: "110105" })).decision).toBe("review");
  });

  test("a phone with no second signal is only a lead", () => {
    expect(decide(person({ phone: PHONE }), person({ phone: PHONE, name: "张伟" }))).toMatchObject({ decision: "review", score: 0.5 });
  });

  test("different names contradict every other signal", () => {
    const r = decide(person({ phone: PHONE, device: "d1", district: "110105", name: "郑爽" }), person({ phone: PHONE, device: "d1", district: "110105", name: "吴磊" }));
    expect(r.decision).toBe("review");
    expect(r.evidence).toContain("different names 郑爽 / 吴磊");
  });

  test("a value shared by many people stops counting: a courier's phone, a kiosk tablet, a parcel station", () => {
    const many = (n: number, which: keyof ValueFrequency): ValueFrequency => ({ ...seenOnce, [which]: () => n });
    expect(decide(person({ phone: PHONE, name: "张伟" }), person({ phone: PHONE, name: "张伟" }), many(4, "phone")).decision).not.toBe("merge");
    // On a shared tablet even the phone typed into it may be the shop's.
    expect(decide(person({ phone: PHONE, device: "kiosk", name: "张伟" }), person({ phone: PHONE, device: "kiosk", name: "张伟" }), many(30, "device")).decision).not.toBe("merge");
    const station = { name: "张伟", district: "110105", addressKey: "station" };
    expect(decide(person(station), person(station), many(20, "address")).decision).not.toBe("merge");
  });

  test("a POS device is the shop's till: not evidence from its first sale, nor the phone typed on it", () => {
    const till = { phone: PHONE, device: "till-1", district: "110105" };
    const r = decide(person({ ...till, deviceIsTerminal: true }), person(till));
    expect(r.signals).not.toContain("sameDevice");
    expect(r.signals).not.toContain("samePhone");
    expect(r.decision).toBe("none");
    // The same values from the shopper's own phone are evidence.
    expect(decide(person(till), person(till)).decision).toBe("merge");
  });

  test("default nicknames with consecutive phones in one district are different people", () => {
    const r = decide(person({ name: "顾客12", phone: "+8613900000012", district: "330106" }), person({ name: "顾客13", phone: "+8613900000013", district: "330106" }));
    expect(r.decision).not.toBe("merge");
  });

  test("a name seen at one address with two phones cannot tell its two people apart", () => {
    const home = { name: "袁志强", district: "330102", addressKey: "k1" };
    const r = decide(person(home), person({ ...home, phone: PHONE }), { ...seenOnce, phonesOfNameAt: () => 2 });
    expect(r.decision).not.toBe("merge");
    expect(r.evidence).toContain("same address, where this name was seen with different phones; not counted");
  });

  test("the score thresholds are configuration", () => {
    const a = person({ phone: PHONE, district: "110105" });
    expect(compareIdentities(a, a, seenOnce, { autoMergeScore: 0.71, reviewScore: 0.45, maxCustomersPerValue: 3 }).decision).toBe("review");
  });
});

describe("oneNameCluster: the names on a customer read as one person", () => {
  const names = (...ns: string[]) => ns.map((n) => cleanName(n)!);
  test("spellings linked through each other are one person", () => {
    expect(oneNameCluster(names("李呈轩", "LI CHENGXUAN", "李轩", "黎呈轩"))).toBe(true);
  });
  test("two names with no chain between them are two people", () => {
    expect(oneNameCluster(names("李呈轩", "LI CHENGXUAN", "王芳"))).toBe(false);
  });
});
