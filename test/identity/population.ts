/**
 * A labelled synthetic population for measuring identity resolution: true people, and the
 * channel identities under which they show up on TAOBAO, JD, DOUYIN, WEB and POS, each
 * rendering the person's data with the noise channels really send (phone formats, typos,
 * homophone and pinyin names, addresses with and without 省/市, missing fields, other
 * devices). Every identity carries the id of the person it belongs to, so the merges the
 * hub makes can be scored against the truth.
 *
 * Hard negatives are built in on purpose:
 *  - common names (张伟, 王芳, 李娜 …) given to several different people of one district;
 *  - households: family members share the home address (and sometimes a family tablet);
 *  - shop kiosks: one POS tablet used by 30+ different people, and the shop's own phone
 *    typed in by the clerk for walk-ins who give none;
 *  - parcel stations (驿站): one phone and one address used by 20+ different people.
 *
 * Deterministic: the same options give the same population (faker is seeded, and nothing
 * else draws randomness). The generator does not use the hub's cleansing code: it writes
 * what channels send, not what the hub expects.
 */
import { fakerZH_CN as faker } from "@faker-js/faker";
import { pinyin } from "pinyin-pro";

export type ChannelName = "TAOBAO" | "JD" | "DOUYIN" | "WEB" | "POS";
export const CHANNEL_NAMES: readonly ChannelName[] = ["TAOBAO", "JD", "DOUYIN", "WEB", "POS"];

export interface AddressParts {
  province: string;
  city: string;
  district: string;
  detail: string;
}

export interface SyntheticIdentity {
  personId: string;
  channel: ChannelName;
  channelCustomerId: string;
  name: string | null;
  phone: string | null;
  deviceFingerprint: string | null;
  address: AddressParts | string | null;
  /** What the renderer did to the person's data ("phone:typo", "name:pinyin", "kiosk" …), for error analysis. */
  noise: string[];
  /** GB/T 2260 code of the district the address names (null when no address was sent). */
  expectedDistrict: string | null;
}

export interface District {
  province: string;
  city: string;
  district: string;
  /** GB/T 2260 code of the district. */
  code: string;
}

/**
 * Real districts with their GB/T 2260 codes (checked with cleanAddress, see the test).
 * Weight: rough relative number of online shoppers, so big cities hold more people.
 */
export const DISTRICTS: ReadonlyArray<District & { weight: number }> = [
  ["北京市", "北京市", "朝阳区", "110105", 6],
  ["北京市", "北京市", "东城区", "110101", 2],
  ["北京市", "北京市", "西城区", "110102", 2],
  ["北京市", "北京市", "海淀区", "110108", 5],
  ["北京市", "北京市", "丰台区", "110106", 3],
  ["上海市", "上海市", "浦东新区", "310115", 7],
  ["上海市", "上海市", "黄浦区", "310101", 2],
  ["上海市", "上海市", "徐汇区", "310104", 3],
  ["上海市", "上海市", "静安区", "310106", 2],
  ["上海市", "上海市", "闵行区", "310112", 4],
  ["天津市", "天津市", "南开区", "120104", 2],
  ["天津市", "天津市", "和平区", "120101", 1],
  ["重庆市", "重庆市", "渝中区", "500103", 2],
  ["重庆市", "重庆市", "江北区", "500105", 2],
  ["广东省", "广州市", "天河区", "440106", 4],
  ["广东省", "广州市", "越秀区", "440104", 2],
  ["广东省", "广州市", "海珠区", "440105", 3],
  ["广东省", "广州市", "白云区", "440111", 3],
  ["广东省", "深圳市", "南山区", "440305", 4],
  ["广东省", "深圳市", "福田区", "440304", 3],
  ["广东省", "深圳市", "宝安区", "440306", 4],
  ["浙江省", "杭州市", "西湖区", "330106", 3],
  ["浙江省", "杭州市", "上城区", "330102", 2],
  ["浙江省", "杭州市", "拱墅区", "330105", 2],
  ["浙江省", "杭州市", "滨江区", "330108", 2],
  ["浙江省", "宁波市", "鄞州区", "330212", 2],
  ["江苏省", "南京市", "鼓楼区", "320106", 2],
  ["江苏省", "南京市", "玄武区", "320102", 1],
  ["江苏省", "苏州市", "姑苏区", "320508", 2],
  ["江苏省", "苏州市", "吴中区", "320506", 2],
  ["四川省", "成都市", "武侯区", "510107", 3],
  ["四川省", "成都市", "锦江区", "510104", 2],
  ["四川省", "成都市", "青羊区", "510105", 2],
  ["湖北省", "武汉市", "武昌区", "420106", 2],
  ["湖北省", "武汉市", "洪山区", "420111", 3],
  ["湖北省", "武汉市", "江汉区", "420103", 2],
  ["陕西省", "西安市", "雁塔区", "610113", 3],
  ["陕西省", "西安市", "碑林区", "610103", 1],
  ["山东省", "济南市", "历下区", "370102", 2],
  ["山东省", "青岛市", "市南区", "370202", 2],
  ["河南省", "郑州市", "金水区", "410105", 3],
  ["湖南省", "长沙市", "岳麓区", "430104", 2],
  ["福建省", "厦门市", "思明区", "350203", 2],
].map(([province, city, district, code, weight]) => ({ province, city, district, code, weight })) as ReadonlyArray<
  District & { weight: number }
>;

/** The most frequent surnames, weighted roughly by population share (per mille). */
const SURNAMES: Array<[string, number]> = [
  ["王", 72], ["李", 72], ["张", 68], ["刘", 55], ["陈", 46], ["杨", 31], ["黄", 23], ["赵", 22], ["吴", 20], ["周", 20],
  ["徐", 16], ["孙", 15], ["马", 15], ["朱", 14], ["胡", 13], ["郭", 12], ["何", 12], ["林", 11], ["高", 11], ["罗", 11],
  ["郑", 10], ["梁", 10], ["谢", 8], ["宋", 8], ["唐", 8], ["许", 7], ["韩", 7], ["冯", 7], ["邓", 7], ["曹", 7],
  ["彭", 6], ["曾", 6], ["肖", 6], ["田", 6], ["董", 5], ["袁", 5], ["潘", 5], ["于", 5], ["蒋", 5], ["蔡", 5],
  ["余", 5], ["杜", 5], ["叶", 4], ["程", 4], ["苏", 4], ["魏", 4], ["吕", 4], ["丁", 4], ["任", 4], ["沈", 4],
  ["姚", 3], ["卢", 3], ["姜", 3], ["崔", 3], ["钟", 3], ["谭", 3], ["陆", 3], ["汪", 3], ["范", 3], ["金", 3],
  ["石", 3], ["廖", 3], ["贾", 3], ["夏", 3], ["韦", 3], ["付", 3], ["方", 3], ["白", 3], ["邹", 3], ["孟", 2],
  ["欧阳", 1], ["司马", 1], ["上官", 1], ["诸葛", 1],
];

/** Very common single-character given names (张伟, 王芳 …). */
const SINGLE_GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "霞", "平", "刚", "辉", "玲", "婷", "鹏", "斌", "宇", "欣", "浩", "晨", "峰"];

/** Names shared by many people in China; groups of different people in one district get them. */
const COMMON_NAMES = ["张伟", "王伟", "王芳", "李伟", "李娜", "张敏", "李静", "王静", "刘伟", "王秀英", "张丽", "李秀英", "王丽", "张静", "刘洋", "王磊"];

/** Characters read the same (toneless pinyin): the typical wrong pick of a pinyin IME. */
const HOMOPHONE_SETS = [
  "伟玮炜纬苇", "丽莉俐立", "静婧靖敬", "敏珉闽", "军君钧均", "芳方舫", "娜纳", "明铭鸣", "华桦骅", "杰洁婕捷",
  "强蔷墙", "磊垒蕾", "洋阳扬杨", "勇永咏泳", "艳燕彦雁", "涛滔韬", "霞侠", "平萍苹屏", "刚钢纲", "辉晖徽",
  "玲灵铃龄", "婷亭庭", "鹏朋彭", "斌彬滨", "宇雨语羽禹", "欣新馨心", "浩皓昊颢", "轩萱宣", "怡仪宜依", "涵晗含寒",
  "子梓紫", "晨辰宸", "亦逸奕毅", "梦孟", "佳嘉家", "诚成承", "凯恺铠", "博柏伯", "文雯闻", "思斯丝",
  "琳林霖", "峰锋丰枫", "涛韬", "俊骏峻", "瑞锐睿", "鑫欣", "雪薛", "琪琦淇祺", "彤桐童", "璐露路鹭",
  "张章", "王汪", "李黎", "刘柳", "杨阳", "黄皇", "徐许", "周舟", "吴伍", "郑正",
];
const HOMOPHONE_OF = new Map<string, string>();
for (const set of HOMOPHONE_SETS) for (const ch of set) if (!HOMOPHONE_OF.has(ch)) HOMOPHONE_OF.set(ch, set);

/** Mobile prefixes of the three carriers (1[3-9]x), all allocated ranges. */
const MOBILE_PREFIXES = [
  "130", "131", "132", "133", "135", "136", "137", "138", "139", "147", "150", "151", "152", "153", "155", "156", "157",
  "158", "159", "166", "173", "175", "176", "177", "178", "180", "181", "182", "183", "184", "185", "186", "187", "188",
  "189", "191", "198", "199",
];

const STREET_STEMS = ["建设", "人民", "解放", "中山", "和平", "新华", "文化", "幸福", "光明", "胜利", "青年", "学院", "体育", "长江", "黄河", "延安", "振兴", "迎宾", "工农", "东风", "滨河", "园林", "科技", "文昌", "龙华", "金桥", "望江", "丽水", "花园", "春晖"];
const STREET_KINDS = ["路", "路", "路", "街", "大道", "东路", "西路", "南路", "北路"];
const ESTATE_STEMS = ["阳光", "锦绣", "翠苑", "金色", "碧水", "绿城", "万科", "保利", "龙湖", "融创", "名都", "东方", "锦江", "华府", "世纪", "幸福里", "星河", "书香", "景苑", "海棠"];
const ESTATE_KINDS = ["花园", "小区", "家园", "公寓", "苑", "城", "新村", "名邸"];
const OFFICES = ["大厦", "中心", "广场", "科技园", "写字楼"];

export interface Person {
  personId: string;
  surname: string;
  given: string;
  name: string;
  phone: string;
  home: District & { detail: string };
  work: (District & { detail: string }) | null;
  devices: string[];
  household: number;
}

export interface SharedGroup {
  kind: "kiosk" | "parcel-station";
  /** The shared device (kiosk) and the shared phone (shop's or station's). */
  device: string | null;
  phone: string;
  district: District;
  personIds: string[];
}

export interface PopulationOptions {
  people: number;
  identitiesTarget: number;
  seed: number;
  /** How dirty the channel data is; "default" unless given. */
  noise?: NoiseProfile;
}

export interface Population {
  identities: SyntheticIdentity[];
  people: Person[];
  groups: SharedGroup[];
  commonNameGroups: Array<{ name: string; district: string; personIds: string[] }>;
}

// ---------------------------------------------------------------------------------------
// Small seeded helpers (all randomness comes from the seeded faker)
// ---------------------------------------------------------------------------------------

const chance = (p: number) => faker.number.float({ min: 0, max: 1 }) < p;
const pick = <T>(items: readonly T[]) => faker.helpers.arrayElement(items as T[]);
const int = (min: number, max: number) => faker.number.int({ min, max });
const digits = (n: number) => faker.string.numeric({ length: n, allowLeadingZeros: true });
const weighted = <T>(items: Array<{ value: T; weight: number }>) => faker.helpers.weightedArrayElement(items);
const FULLWIDTH = (s: string) => s.replace(/[0-9+\-()]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));

const districtTable = DISTRICTS.map((d) => ({ value: d, weight: d.weight }));
const surnameTable = SURNAMES.map(([value, weight]) => ({ value, weight }));

function newPhone(used: Set<string>): string {
  for (;;) {
    const phone = pick(MOBILE_PREFIXES) + digits(8);
    if (!used.has(phone)) {
      used.add(phone);
      return phone;
    }
  }
}

function newDevice(used: Set<string>): string {
  for (;;) {
    const fp = faker.string.hexadecimal({ length: 32, casing: "lower", prefix: "" });
    if (!used.has(fp)) {
      used.add(fp);
      return fp;
    }
  }
}

function homeDetail(): string {
  const street = `${pick(STREET_STEMS)}${pick(STREET_KINDS)}${int(1, 999)}号`;
  const estate = `${pick(ESTATE_STEMS)}${pick(ESTATE_KINDS)}`;
  return `${street}${estate}${int(1, 30)}栋${int(1, 6)}单元${int(1, 33)}0${int(1, 8)}室`;
}

function officeDetail(): string {
  return `${pick(STREET_STEMS)}${pick(STREET_KINDS)}${int(1, 500)}号${pick(ESTATE_STEMS)}${pick(OFFICES)}${int(2, 40)}层`;
}

function givenName(): string {
  return chance(0.22) ? pick(SINGLE_GIVEN) : faker.person.firstName();
}

// ---------------------------------------------------------------------------------------
// Rendering a person as one channel shows them
// ---------------------------------------------------------------------------------------

/**
 * How often each kind of noise appears. Every channel needs a receiver name and mobile
 * to ship an order, so a missing phone or name is rare on the marketplaces and the web
 * store; POS members sometimes give neither. Typos are rarer still (the platforms check
 * mobiles at entry). Devices and addresses vary much more (see below).
 */
const DEFAULT_RATES = {
  phoneMissing: { TAOBAO: 0.01, JD: 0.01, DOUYIN: 0.02, WEB: 0.02, POS: 0.06 } as Record<ChannelName, number>,
  phoneTypo: 0.01,
  nameMissing: { TAOBAO: 0.01, JD: 0.01, DOUYIN: 0.03, WEB: 0.02, POS: 0.08 } as Record<ChannelName, number>,
  namePinyin: { TAOBAO: 0.02, JD: 0.04, DOUYIN: 0.04, WEB: 0.12, POS: 0.01 } as Record<ChannelName, number>,
  nameHomophone: 0.05,
  nameDropped: 0.01,
  addressMissing: { TAOBAO: 0.05, JD: 0.05, DOUYIN: 0.15, WEB: 0.15, POS: 0.5 } as Record<ChannelName, number>,
  addressWork: 0.1,
};

/**
 * Noise profiles. "default" is the one above. "heavy" is dirtier channel data — exports
 * and webhooks that drop the receiver (masked or virtual numbers taken out, guest
 * checkouts, POS walk-ins), and more typing errors — for stress runs: roughly 7.5% of
 * identities without a phone and 3% with a mistyped one.
 */
export const NOISE_PROFILES = {
  default: DEFAULT_RATES,
  heavy: {
    ...DEFAULT_RATES,
    phoneMissing: { TAOBAO: 0.04, JD: 0.04, DOUYIN: 0.1, WEB: 0.08, POS: 0.15 } as Record<ChannelName, number>,
    phoneTypo: 0.03,
    nameMissing: { TAOBAO: 0.04, JD: 0.03, DOUYIN: 0.08, WEB: 0.05, POS: 0.12 } as Record<ChannelName, number>,
  },
} as const;
export type NoiseProfile = keyof typeof NOISE_PROFILES;

/** The profile in force while generatePopulation runs (generation is synchronous). */
let RATES: typeof DEFAULT_RATES = DEFAULT_RATES;

/** A phone as channels send it: the formats seen in real exports. */
function formatPhone(p: string): string {
  const [a, b, c] = [p.slice(0, 3), p.slice(3, 7), p.slice(7)];
  const formats = [
    () => p,
    () => p,
    () => p,
    () => `+86 ${a} ${b} ${c}`,
    () => `+86${p}`,
    () => `0086-${a}-${b}-${c}`,
    () => `0086${p}`,
    () => `(86)${p}`,
    () => `(+86) ${p}`,
    () => `86 ${p}`,
    () => `${a}-${b}-${c}`,
    () => `${a} ${b} ${c}`,
    () => FULLWIDTH(p),
    () => FULLWIDTH(`+86 ${a} ${b} ${c}`),
    () => ` ${p} `,
  ];
  return pick(formats)();
}

/** One digit wrong (most typos) or two neighbouring digits swapped; never in the carrier prefix. */
function phoneTypo(p: string): string {
  const chars = [...p];
  if (chance(0.75)) {
    const i = int(3, 10);
    chars[i] = pick("0123456789".replace(chars[i], "").split(""));
  } else {
    let i = int(3, 9);
    for (let tries = 0; chars[i] === chars[i + 1] && tries < 10; tries++) i = int(3, 9);
    [chars[i], chars[i + 1]] = [chars[i + 1], chars[i]];
  }
  return chars.join("");
}

function cap(s: string) {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function pinyinOf(surname: string, given: string): { sur: string[]; giv: string[] } {
  const all = pinyin(surname + given, { toneType: "none", type: "array", surname: "head", v: true });
  const n = [...surname].length;
  return { sur: all.slice(0, n), giv: all.slice(n) };
}

function renderName(person: Person, channel: ChannelName, noise: string[]): string | null {
  if (chance(RATES.nameMissing[channel])) {
    noise.push("name:missing");
    return null;
  }
  if (chance(RATES.namePinyin[channel])) {
    const { sur, giv } = pinyinOf(person.surname, person.given);
    const s = cap(sur.join(""));
    const g = cap(giv.join(""));
    const variant = weighted([
      { value: `${s} ${g}`, weight: 50 },
      { value: `${s} ${g}`.toUpperCase(), weight: 20 },
      { value: `${g} ${s}`, weight: 15 },
      { value: [...sur, ...giv].join(" "), weight: 15 },
    ]);
    noise.push(variant === `${g} ${s}` && g.toLowerCase() !== s.toLowerCase() ? "name:pinyin-given-first" : "name:pinyin");
    return variant;
  }
  const chars = [...person.name];
  if (chance(RATES.nameHomophone)) {
    const at = chars.map((c, i) => (HOMOPHONE_OF.has(c) ? i : -1)).filter((i) => i >= 0);
    if (at.length) {
      const i = pick(at);
      const set = [...HOMOPHONE_OF.get(chars[i])!].filter((c) => c !== chars[i]);
      chars[i] = pick(set);
      noise.push("name:homophone");
      return chars.join("");
    }
  }
  if (chars.length >= 3 && chance(RATES.nameDropped)) {
    chars.splice(int(1, chars.length - 1), 1);
    noise.push("name:dropped-char");
    return chars.join("");
  }
  if (chance(0.03)) return chars.join(" "); // 张 伟: spaces typed between characters
  return person.name;
}

function stripSuffix(s: string) {
  return s.length > 2 ? s.replace(/[省市]$/, "") : s;
}

/** An address in one of the shapes channels send: parts or one line, with or without 省/市. */
export function renderAddress(place: District & { detail: string }, noise: string[]): AddressParts | string {
  const municipality = place.province === place.city;
  const detail = chance(0.15) ? place.detail.replace(/\d+单元\d+室$|\d+层$/, "") : place.detail;
  const form = weighted([
    { value: "parts", weight: 35 },
    { value: "parts-short", weight: 15 },
    { value: "line", weight: 25 },
    { value: "line-short", weight: 15 },
    { value: "line-spaced", weight: 10 },
  ]);
  noise.push(`address:${form}`);
  switch (form) {
    case "parts":
      return { province: place.province, city: place.city, district: place.district, detail };
    case "parts-short":
      return { province: stripSuffix(place.province), city: stripSuffix(place.city), district: place.district, detail };
    case "line":
      return municipality
        ? `${place.province}${chance(0.3) ? place.city : ""}${place.district}${detail}`
        : `${place.province}${place.city}${place.district}${detail}`;
    case "line-short":
      return municipality ? `${stripSuffix(place.province)}${place.district}${detail}` : `${stripSuffix(place.province)}${stripSuffix(place.city)}${place.district}${detail}`;
    default:
      return `${place.province} ${municipality ? "" : `${place.city} `}${place.district} ${detail}`;
  }
}

// ---------------------------------------------------------------------------------------
// The population
// ---------------------------------------------------------------------------------------

/** How many identities each person has: 1 to 6, summing exactly to the target. */
function identityCounts(people: number, target: number): number[] {
  if (target < people || target > people * 6) throw new Error(`identitiesTarget must be from ${people} to ${people * 6}.`);
  const table = [1, 2, 3, 4, 5, 6].map((value, i) => ({ value, weight: [22, 24, 20, 15, 11, 8][i] }));
  const counts = Array.from({ length: people }, () => weighted(table));
  let sum = counts.reduce((a, b) => a + b, 0);
  while (sum < target) {
    const i = int(0, people - 1);
    if (counts[i] < 6) {
      counts[i]++;
      sum++;
    }
  }
  while (sum > target) {
    const i = int(0, people - 1);
    if (counts[i] > 1) {
      counts[i]--;
      sum--;
    }
  }
  return counts;
}

const CHANNEL_WEIGHTS: Record<ChannelName, number> = { TAOBAO: 30, JD: 22, DOUYIN: 18, WEB: 15, POS: 15 };

function channelsFor(n: number): ChannelName[] {
  const out: ChannelName[] = [];
  while (out.length < n) {
    const c = weighted(CHANNEL_NAMES.map((value) => ({ value, weight: CHANNEL_WEIGHTS[value] })));
    if (out.filter((x) => x === c).length < 2) out.push(c); // a second account on a channel happens; a third is rare
  }
  return out;
}

export function generatePopulation(options: PopulationOptions): Population {
  const { people: size, identitiesTarget, seed } = options;
  RATES = NOISE_PROFILES[options.noise ?? "default"];
  faker.seed(seed);
  const usedPhones = new Set<string>();
  const usedDevices = new Set<string>();

  // Households: family members share the home address, children the surname, some a family tablet.
  const people: Person[] = [];
  const familyDevice = new Map<number, string>();
  let household = 0;
  while (people.length < size) {
    household++;
    const members = weighted([
      { value: 1, weight: 40 },
      { value: 2, weight: 30 },
      { value: 3, weight: 20 },
      { value: 4, weight: 10 },
    ]);
    const home = { ...weighted(districtTable), detail: homeDetail() };
    const familySurname = weighted(surnameTable);
    if (members >= 2 && chance(0.25)) familyDevice.set(household, newDevice(usedDevices));
    for (let m = 0; m < members && people.length < size; m++) {
      const surname = m === 1 ? weighted(surnameTable) : familySurname; // the spouse keeps their own surname
      const given = givenName();
      const devices: string[] = [];
      if (chance(0.75)) {
        devices.push(newDevice(usedDevices));
        if (chance(0.3)) devices.push(newDevice(usedDevices));
      }
      const sameCity = DISTRICTS.filter((d) => d.city === home.city && d.code !== home.code);
      const work = chance(0.5) ? { ...(sameCity.length && chance(0.8) ? pick(sameCity) : weighted(districtTable)), detail: officeDetail() } : null;
      people.push({
        personId: `P${String(people.length + 1).padStart(6, "0")}`,
        surname,
        given,
        name: surname + given,
        phone: newPhone(usedPhones),
        home,
        work,
        devices,
        household,
      });
    }
  }

  // Common names: several different people of one district share 张伟 / 王芳 ….
  const commonNameGroups: Population["commonNameGroups"] = [];
  const renamed = new Set<string>();
  const groupCount = Math.max(COMMON_NAMES.length, Math.round(size / 150));
  for (let g = 0; g < groupCount; g++) {
    const name = COMMON_NAMES[g % COMMON_NAMES.length];
    const district = weighted(districtTable);
    const inDistrict = people.filter((p) => p.home.code === district.code && !renamed.has(p.personId));
    const members = faker.helpers.arrayElements(inDistrict, Math.min(inDistrict.length, int(3, 6)));
    if (members.length < 2) continue;
    for (const p of members) {
      const surname = name.startsWith("欧阳") ? "欧阳" : name[0];
      p.surname = surname;
      p.given = name.slice(surname.length);
      p.name = name;
      renamed.add(p.personId);
    }
    commonNameGroups.push({ name, district: district.code, personIds: members.map((p) => p.personId) });
  }

  const counts = identityCounts(size, identitiesTarget);
  const plan = people.map((p, i) => ({ person: p, channels: channelsFor(counts[i]), special: new Map<number, SharedGroup>() }));

  // Shared values: shop kiosks (30+ people on one POS tablet, the shop's phone for walk-ins)
  // and parcel stations (20+ people receiving under the station's phone and address).
  const groups: SharedGroup[] = [];
  const taken = new Set<string>();
  const groupsOfEach = Math.max(1, Math.round(size / 1000));
  const recruit = (district: District, n: number) => {
    const local = faker.helpers.shuffle(plan.filter((x) => x.person.home.code === district.code && !taken.has(x.person.personId)));
    const others = faker.helpers.shuffle(plan.filter((x) => x.person.home.city === district.city && x.person.home.code !== district.code && !taken.has(x.person.personId)));
    const anyone = faker.helpers.shuffle(plan.filter((x) => x.person.home.city !== district.city && !taken.has(x.person.personId)));
    const chosen = [...local, ...others, ...anyone].slice(0, n);
    for (const x of chosen) taken.add(x.person.personId);
    return chosen;
  };
  for (let g = 0; g < groupsOfEach; g++) {
    const district = weighted(districtTable);
    const kiosk: SharedGroup = { kind: "kiosk", device: newDevice(usedDevices), phone: newPhone(usedPhones), district, personIds: [] };
    for (const x of recruit(district, int(32, 45))) {
      let slot = x.channels.indexOf("POS");
      if (slot < 0) slot = int(0, x.channels.length - 1);
      x.channels[slot] = "POS";
      x.special.set(slot, kiosk);
      kiosk.personIds.push(x.person.personId);
    }
    groups.push(kiosk);
  }
  for (let g = 0; g < groupsOfEach; g++) {
    const district = weighted(districtTable);
    const station: SharedGroup = { kind: "parcel-station", device: null, phone: newPhone(usedPhones), district, personIds: [] };
    for (const x of recruit(district, int(22, 30))) {
      let slot = x.channels.findIndex((c) => c === "TAOBAO" || c === "JD" || c === "DOUYIN");
      if (slot < 0) slot = int(0, x.channels.length - 1);
      if (x.channels[slot] === "POS" || x.channels[slot] === "WEB") x.channels[slot] = "TAOBAO";
      x.special.set(slot, station);
      station.personIds.push(x.person.personId);
    }
    groups.push(station);
  }
  const stationDetail = new Map(groups.filter((g) => g.kind === "parcel-station").map((g) => [g, `${pick(STREET_STEMS)}${pick(STREET_KINDS)}${int(1, 300)}号菜鸟驿站`]));

  // Channel accounts.
  const usedIds = new Map<ChannelName, Set<string>>(CHANNEL_NAMES.map((c) => [c, new Set<string>()]));
  const accountId = (channel: ChannelName): string => {
    const used = usedIds.get(channel)!;
    for (;;) {
      const id =
        channel === "TAOBAO" ? `tb${faker.string.alphanumeric({ length: 10, casing: "lower" })}`
        : channel === "JD" ? `jd_${faker.string.alphanumeric({ length: 12, casing: "lower" })}`
        : channel === "DOUYIN" ? digits(16).replace(/^0/, "1")
        : channel === "WEB" ? `web-${faker.string.uuid()}`
        : `M${digits(10)}`;
      if (!used.has(id)) {
        used.add(id);
        return id;
      }
    }
  };

  const identities: SyntheticIdentity[] = [];
  for (const { person, channels, special } of plan) {
    channels.forEach((channel, slot) => {
      const noise: string[] = [];
      const group = special.get(slot);
      // Phone
      let phone: string | null;
      if (group?.kind === "parcel-station") {
        phone = formatPhone(group.phone);
        noise.push("parcel-station");
      } else if (group?.kind === "kiosk") {
        noise.push("kiosk");
        const r = faker.number.float({ min: 0, max: 1 });
        if (r < 0.25) {
          phone = formatPhone(group.phone);
          noise.push("phone:shop");
        } else if (r < 0.35) {
          phone = null;
          noise.push("phone:missing");
        } else phone = formatPhone(person.phone);
      } else if (chance(RATES.phoneMissing[channel])) {
        phone = null;
        noise.push("phone:missing");
      } else if (chance(RATES.phoneTypo)) {
        phone = formatPhone(phoneTypo(person.phone));
        noise.push("phone:typo");
      } else phone = formatPhone(person.phone);
      // Name
      const name = renderName(person, channel, noise);
      // Device
      let device: string | null = null;
      if (group?.kind === "kiosk") device = group.device;
      else if (channel !== "POS") {
        const own = person.devices;
        const family = familyDevice.get(person.household);
        const r = faker.number.float({ min: 0, max: 1 });
        // With a phone of their own: mostly that one, sometimes the second one, the family
        // tablet, a borrowed or new device, or none sent. Without: the family tablet or
        // some borrowed device now and then.
        const [ownUpTo, secondUpTo, familyUpTo, newUpTo] = own.length ? [0.55, 0.7, 0.8, 0.85] : [0, 0, 0.2, 0.35];
        if (r < ownUpTo) device = own[0];
        else if (r < secondUpTo) {
          device = own[own.length - 1];
          if (own.length > 1) noise.push("device:second");
        } else if (family && r < familyUpTo) {
          device = family;
          noise.push("device:family");
        } else if (r < newUpTo) {
          device = newDevice(usedDevices);
          noise.push("device:new");
        } else noise.push("device:none");
      }
      // Address
      let address: AddressParts | string | null = null;
      let expectedDistrict: string | null = null;
      if (group?.kind === "parcel-station") {
        address = renderAddress({ ...group.district, detail: stationDetail.get(group)! }, noise);
        expectedDistrict = group.district.code;
      } else if (chance(RATES.addressMissing[channel])) {
        noise.push("address:missing");
      } else if (person.work && chance(RATES.addressWork)) {
        address = renderAddress(person.work, noise);
        expectedDistrict = person.work.code;
        noise.push("address:work");
      } else {
        address = renderAddress(person.home, noise);
        expectedDistrict = person.home.code;
      }

      identities.push({ personId: person.personId, channel, channelCustomerId: accountId(channel), name, phone, deviceFingerprint: device, address, noise, expectedDistrict });
    });
  }

  return { identities: faker.helpers.shuffle(identities), people, groups, commonNameGroups };
}
