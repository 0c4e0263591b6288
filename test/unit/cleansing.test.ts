import AddressParse from "address-parse";
import {
  addressKeyOf,
  cleanAddress,
  cleanName,
  cleanPhone,
  districtOf,
  impossibleAddress,
  namesClose,
  phonesNear,
} from "../../subgraphs/customers/cleansing";

describe("cleanAddress, asked again", () => {
  test("an address read before gives the same answer, whatever was read in between (readings are remembered, never changed)", () => {
    const texts = ["北京市朝阳区建国路1号", "重庆市城口县葛城街道1号", { province: "浙江省", city: "杭州市", district: "西湖区", detail: "文三路4号" }, "朝阳区建国路2号", "火星市某区1号"];
    const first = texts.map((t) => JSON.stringify(cleanAddress(t)));
    const again = [...texts].reverse().map((t) => JSON.stringify(cleanAddress(t))).reverse();
    expect(again).toEqual(first);
    expect(new Set(first).size).toBe(texts.length);
    // Read once: asked again, the text's readings are not parsed anew.
    const parse = jest.spyOn(AddressParse, "parse");
    try {
      const text = `浙江省杭州市西湖区文三路${Date.now()}号`;
      expect(cleanAddress(text)).toEqual(cleanAddress(text));
      expect(parse).toHaveBeenCalledTimes(1);
    } finally {
      parse.mockRestore();
    }
  });
});

describe("cleanPhone", () => {
  test("the formats channels send all give one E.164 mobile", () => {
    for (const raw of [
      "0086 138-0013-8000",
      "+86 13800138000",
      "（86）13800138000",
      "138 0013 8000",
      "13800138000",
      "１３８００１３８０００", // full-width digits
      "＋８６　１３８－００１３－８０００", // full-width plus, space and dashes
    ]) {
      expect(cleanPhone(raw)).toEqual({ e164: "+8613800138000", kind: "mobile" });
    }
  });

  test("landlines keep their area code", () => {
    expect(cleanPhone("010-6552 9988")).toEqual({ e164: "+861065529988", kind: "landline" });
    expect(cleanPhone("+86 10 6552 9988")).toEqual({ e164: "+861065529988", kind: "landline" });
  });

  test("service numbers and ambiguous types are 'other'", () => {
    expect(cleanPhone("400-812-3123")?.kind).toBe("other");
    expect(cleanPhone("+1 415 555 2671")).toEqual({ e164: "+14155552671", kind: "other" });
  });

  test("invalid or empty -> null", () => {
    for (const raw of ["12345", "+86 138 0013 800", "not a phone", "", "   ", null, undefined]) {
      expect(cleanPhone(raw)).toBeNull();
    }
  });
});

describe("phonesNear", () => {
  test("one digit off or two adjacent digits swapped", () => {
    expect(phonesNear("+8613800138000", "+8613800138001")).toBe(true);
    expect(phonesNear("+8613800138000", "+8613800183000")).toBe(true); // 38 -> 83
  });

  test("same, far, or different lengths are not near", () => {
    expect(phonesNear("+8613800138000", "+8613800138000")).toBe(false);
    expect(phonesNear("+8613800138000", "+8613800138011")).toBe(false);
    expect(phonesNear("+8613800138000", "+8613800831000")).toBe(false); // not adjacent
    expect(phonesNear("+8613800138000", "+861380013800")).toBe(false);
    expect(phonesNear("", "+8613800138000")).toBe(false);
  });
});

describe("cleanAddress", () => {
  test("北京市朝阳区 and 北京朝阳区 give the same place and text", () => {
    const a = cleanAddress("北京市朝阳区建国路1号");
    const b = cleanAddress("北京朝阳区建国路1号");
    expect(a).toEqual({
      code: "110105",
      province: "北京市",
      city: "北京市",
      district: "朝阳区",
      detail: "建国路1号",
      text: "北京市朝阳区建国路1号",
      flagged: false,
    });
    expect(b).toEqual(a);
    expect(cleanAddress({ province: "北京", district: "朝阳区", detail: "建国路1号" })).toEqual(a);
  });

  test("上海市浦东新区 and 上海浦东新区 give the same place and text", () => {
    const a = cleanAddress("上海市浦东新区世纪大道1号");
    const b = cleanAddress("上海浦东新区世纪大道1号");
    expect(a).toMatchObject({ code: "310115", province: "上海市", district: "浦东新区", text: "上海市浦东新区世纪大道1号", flagged: false });
    expect(b).toEqual(a);
  });

  test("a Guangdong address given as parts, full or short names", () => {
    const expected = {
      code: "440106",
      province: "广东省",
      city: "广州市",
      district: "天河区",
      detail: "天河路385号",
      text: "广东省广州市天河区天河路385号",
      flagged: false,
    };
    expect(cleanAddress({ province: "广东省", city: "广州市", district: "天河区", detail: "天河路385号" })).toEqual(expected);
    expect(cleanAddress({ province: "广东", city: "广州", district: "天河", detail: "天河路385号" })).toEqual(expected);
    expect(cleanAddress("广东省广州市天河区天河路385号")).toEqual(expected);
  });

  test("the region repeated in the detail is dropped, the detail itself is kept whole", () => {
    expect(cleanAddress({ province: "北京市", district: "朝阳区", detail: "北京市朝阳区建国路1号" })?.text).toBe("北京市朝阳区建国路1号");
    // The library alone would drop 100020 as a zip code and "3楼" as a person's name.
    expect(cleanAddress("北京市朝阳区建国路100020号")?.detail).toBe("建国路100020号");
    expect(cleanAddress("浙江省杭州市西湖区 文三路 100号 3楼")?.detail).toBe("文三路 100号 3楼");
  });

  test("an unknown place is kept as given and flagged", () => {
    expect(cleanAddress("火星市奥林匹斯区1号")).toEqual({
      code: null,
      province: null,
      city: null,
      district: null,
      detail: "火星市奥林匹斯区1号",
      text: "火星市奥林匹斯区1号",
      flagged: true,
    });
    expect(cleanAddress({ province: "火星", city: "火星市", district: "奥林匹斯区", detail: "1号" })).toMatchObject({
      code: null,
      province: "火星",
      city: "火星市",
      district: "奥林匹斯区",
      detail: "1号",
      flagged: true,
    });
  });

  test("a province that does not hold the district is flagged, not corrected", () => {
    const given = { province: "广东省", district: "朝阳区", detail: "建国路1号" };
    expect(impossibleAddress(given)).toBe(true);
    expect(cleanAddress(given)).toMatchObject({ code: null, province: "广东省", district: "朝阳区", flagged: true });
    expect(cleanAddress("广东省朝阳区建国路1号")).toMatchObject({ code: null, flagged: true });
    expect(impossibleAddress({ province: "北京市", district: "朝阳区" })).toBe(false);
    expect(impossibleAddress({ province: "火星", district: "奥林匹斯区" })).toBe(false); // unknown, not impossible
  });

  test("never guesses: ambiguous bare districts and streets named after places stay flagged", () => {
    expect(cleanAddress("朝阳区建国路1号")?.flagged).toBe(true); // Beijing or Changchun?
    expect(cleanAddress("北京朝阳门内大街1号")?.flagged).toBe(true); // 朝阳门 is in 东城区
    expect(cleanAddress("北京市天河区天河路1号")?.flagged).toBe(true);
    expect(cleanAddress("浦东新区世纪大道1号")?.code).toBe("310115"); // only one 浦东新区
  });

  test("empty -> null", () => {
    for (const input of [null, undefined, "", "   ", {}, { province: " ", detail: null }]) {
      expect(cleanAddress(input)).toBeNull();
    }
  });
});

describe("addressKeyOf", () => {
  const key = (a: Parameters<typeof cleanAddress>[0]) => addressKeyOf(cleanAddress(a));
  test("one key for one flat, however the address was written", () => {
    const k = key("北京市朝阳区建国路1号3栋2单元801室");
    expect(k).toMatch(/^[0-9a-f]{32}$/);
    expect(key("北京朝阳区建国路1号 3栋2单元801室")).toBe(k);
    expect(key({ province: "北京", city: "北京市", district: "朝阳区", detail: "建国路1号3栋2单元801室" })).toBe(k);
    expect(key("北京市朝阳区建国路1号3栋2单元802室")).not.toBe(k);
    expect(key("上海市浦东新区世纪大道100号9层")).not.toBeNull();
    expect(key("上海市浦东新区世纪大道100号3-2-801")).not.toBeNull();
  });

  test("no key for a street number or a building (many households), or a place not placed for sure", () => {
    expect(key("北京市朝阳区建国路1号")).toBeNull();
    expect(key("北京市朝阳区建国路1号3号楼")).toBeNull();
    expect(key("北京市朝阳区建国路1号菜鸟驿站")).toBeNull();
    expect(key("火星市奥林匹斯区1号101室")).toBeNull();
  });
});

describe("districtOf", () => {
  test("keeps 6-digit codes, cuts town codes, rejects the rest", () => {
    expect(districtOf("110105")).toBe("110105");
    expect(districtOf("110105001")).toBe("110105");
    expect(districtOf(null)).toBeNull();
    expect(districtOf("1101")).toBeNull();
  });
});

describe("cleanName", () => {
  test("trims, folds full-width and collapses spaces", () => {
    expect(cleanName("  Zhang   San ")).toEqual({ display: "Zhang San", key: "zhangsan" });
    expect(cleanName("ＺＨＡＮＧ　ＳＡＮ")).toEqual({ display: "ZHANG SAN", key: "zhangsan" });
    expect(cleanName("张\u200B三")?.display).toBe("张三");
  });

  test("Chinese names lose inner spaces", () => {
    expect(cleanName("张 三")).toEqual({ display: "张三", key: "zhangsan" });
  });

  test("one pinyin key for Han and Latin spellings", () => {
    expect(cleanName("张三")?.key).toBe("zhangsan");
    expect(cleanName("Zhang San")?.key).toBe(cleanName("张三")?.key);
    expect(cleanName("ZHANG  san")?.key).toBe("zhangsan");
    expect(cleanName("曾小明")?.key).toBe("zengxiaoming"); // surname reading, not ceng
  });

  test("empty or letterless -> null", () => {
    for (const raw of [null, undefined, "", "   ", "-", "123"]) expect(cleanName(raw)).toBeNull();
  });
});

describe("namesClose", () => {
  const n = (raw: string) => cleanName(raw)!;

  test("homophones are close", () => {
    expect(namesClose(n("张伟"), n("张纬"))).toBe(true);
    expect(namesClose(n("张三"), n("Zhang San"))).toBe(true);
  });

  test("a platform's default nickname with digits is a handle: close only to the same handle", () => {
    expect(namesClose(n("顾客12"), n("顾客13"))).toBe(false);
    expect(namesClose(n("用户1234567"), n("用户7654321"))).toBe(false);
    expect(namesClose(n("用户1234567"), n("用户1234567"))).toBe(true);
  });

  test("a one-character typo in a 3-character name is close", () => {
    expect(namesClose(n("王小明"), n("王大明"))).toBe(true);
  });

  test("a Latin spelling with the given name first is close to the Chinese name", () => {
    expect(namesClose(n("Fenghua Sun"), n("孙风华"))).toBe(true);
    expect(namesClose(n("孙风华"), n("Fenghua Sun"))).toBe(true);
    expect(namesClose(n("Fenghua Li"), n("孙风华"))).toBe(false);
  });

  test("a dropped character in a three-character Chinese name is close, with the same surname", () => {
    expect(namesClose(n("李呈轩"), n("李轩"))).toBe(true);
    expect(namesClose(n("李轩"), n("李呈轩"))).toBe(true);
    expect(namesClose(n("李呈轩"), n("王轩"))).toBe(false);
  });

  test("a pinyin typo in a long key is close", () => {
    expect(namesClose(n("Zhang San"), n("Zhang Shan"))).toBe(true);
  });

  test("different people are not close", () => {
    expect(namesClose(n("张三"), n("李四"))).toBe(false);
    expect(namesClose(n("张三"), n("张四"))).toBe(false); // two characters: one edit is half the name
  });
});
