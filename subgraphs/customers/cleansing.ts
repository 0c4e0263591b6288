/**
 * Cleansing of customer master data: names, phones and Chinese addresses as channels send
 * them. Everything here is pure (no DB, no GraphQL) so resolvers, consumers and backfills
 * can share one definition of "the same customer". Nothing throws: a value that cannot be
 * cleaned comes back as null (or flagged), and the caller decides whether that is a
 * badInput or just a record to review.
 */
import { createHash } from "node:crypto";
import AddressParse, { ParseAddress, type ParsedAddress } from "address-parse";
import { distance } from "fastest-levenshtein";
import { parsePhoneNumberFromString } from "libphonenumber-js/max";
import { LRUCache } from "lru-cache";
import { pinyin } from "pinyin-pro";
import { toE164 } from "./phone";

/** What placing an address reads of one of the address library's readings. */
type Reading = Readonly<Pick<ParsedAddress, "province" | "city" | "area" | "code" | "__parse">>;

// ---------------------------------------------------------------------------------------
// Shared text folding
// ---------------------------------------------------------------------------------------

/** Zero-width and soft-hyphen characters survive NFKC and copy-paste, but are never meant. */
const INVISIBLE = /[\u00AD\u200B-\u200F\u2060\uFEFF]/g;
const HAN = /\p{Script=Han}/u;
/** Whitespace between two Han characters carries no meaning in Chinese ("张 三" is 张三). */
const SPACE_BETWEEN_HAN = /(?<=\p{Script=Han})\s+(?=\p{Script=Han})/gu;

/**
 * NFKC folds full-width letters, digits, punctuation and the ideographic space (U+3000) to
 * their ASCII forms, so "ＺＨＡＮＧ　ＳＡＮ" and "ZHANG SAN" become one string.
 */
function fold(raw: string): string {
  return raw.replace(INVISIBLE, "").normalize("NFKC").replace(/\s+/g, " ").trim();
}

// ---------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------

export interface CleanName {
  /** What to show: folded, trimmed, single-spaced; no spaces inside Chinese names. */
  display: string;
  /** Phonetic matching key: toneless pinyin for Han, lower-case letters for Latin. */
  key: string;
}

/**
 * Cleans a person's name. The key makes "张三", "Zhang San" and "ZHANG  san" all
 * "zhangsan", so a customer typed in Chinese on one channel and in pinyin on another can
 * be matched. Surname mode is on because surnames have their own readings (曾 zeng, not
 * ceng; 单 shan, not dan). ü is written v (吕 -> lv) so 吕 and 鲁/陆 (lu) stay apart.
 * Returns null when nothing letter-like is left: "-", "123" or "" are placeholders, not
 * names.
 */
export function cleanName(raw: string | null | undefined): CleanName | null {
  if (raw == null) return null;
  // Both are stored in 100-character columns: NFKC may lengthen a name (㍿ -> 株式会社) and
  // pinyin lengthens every Han character, so an input within its bound is cut to fit here.
  const display = cut(fold(raw).replace(SPACE_BETWEEN_HAN, ""), NAME_COLUMN);
  if (!/\p{L}/u.test(display)) return null;
  return { display, key: cut(nameKey(display), NAME_COLUMN) };
}

const NAME_COLUMN = 100;
const cut = (s: string, max: number) => ([...s].length > max ? [...s].slice(0, max).join("") : s);

function nameKey(display: string): string {
  // pinyin-pro passes non-Han characters through one by one, so one call covers mixed text.
  const syllables = pinyin(display, { toneType: "none", type: "array", surname: "head", v: true });
  return syllables
    .join("")
    .replace(/[üÜ]/g, "v")
    .toLowerCase()
    .normalize("NFKD")
    .replace(/\p{M}/gu, "") // "Zhāng" -> "zhang"
    .replace(/[^\p{L}\p{N}]/gu, ""); // spaces, dots (阿依古丽·买买提), hyphens
  // Digits stay: 用户1234 and 用户5678 (a platform's default nickname) are two handles, not one name.
}

/**
 * Whether two cleaned names plausibly belong to the same person. Close when:
 *  - the keys are equal (same sound: 张伟/张纬, 张三/"Zhang San"); or
 *  - both displays have at least 3 characters and differ by at most one edit (a one-
 *    character typo: 王小明/王大明) — two-character names are excluded because one edit
 *    there is half the name (张三/张四 are different people); or
 *  - both keys have at least 6 letters and differ by at most one edit (a pinyin typo:
 *    "zhangsan"/"zhangshan").
 * Displays are compared case-insensitively. Empty keys never count as equal. A name
 * with digits (a platform's default nickname) is close only to the same handle.
 */
export function namesClose(a: CleanName, b: CleanName): boolean {
  if (a.key && a.key === b.key) return true;
  // A name with digits is a handle (顾客12, 用户5201314): only the very same one is close.
  if (/\p{N}/u.test(a.display + b.display)) return false;
  // A Latin spelling may put the given name first ("Fenghua Sun" for 孙风华): try the
  // family name first too.
  if (familyFirstKey(a) === b.key || familyFirstKey(b) === a.key) return true;
  const da = a.display.toLowerCase();
  const db = b.display.toLowerCase();
  if ([...da].length >= 3 && [...db].length >= 3 && distance(da, db) <= 1) return true;
  // A dropped character in a Chinese name (李呈轩 / 李轩): same surname, the shorter name
  // is the longer one less one character.
  if (droppedCharacter(da, db) || droppedCharacter(db, da)) return true;
  return Math.min(a.key.length, b.key.length) >= 6 && distance(a.key, b.key) <= 1;
}

function droppedCharacter(long: string, short: string): boolean {
  const l = [...long];
  const sh = [...short];
  if (l.length !== 3 || sh.length !== 2 || !/^\p{Script=Han}+$/u.test(long + short) || l[0] !== sh[0]) return false;
  return l[0] + l[2] === short || l[0] + l[1] === short;
}

/** "Fenghua Sun" -> "sunfenghua"; null for anything but a Latin name of two or more words. */
function familyFirstKey(n: CleanName): string | null {
  const words = n.display.toLowerCase().split(" ").filter(Boolean);
  if (words.length < 2 || !words.every((w) => /^[a-zü]+$/.test(w))) return null;
  return [words[words.length - 1], ...words.slice(0, -1)].join("").replace(/ü/g, "v");
}

// ---------------------------------------------------------------------------------------
// Phones
// ---------------------------------------------------------------------------------------

export type PhoneKind = "mobile" | "landline" | "other";

export interface CleanPhone {
  e164: string;
  kind: PhoneKind;
}

/**
 * Cleans a phone number: the folding (full-width digits, 0086, (86), dashes, spaces) is
 * toE164's, so there is one definition of the stored form; this adds the line type, which
 * only the "max" metadata knows. Landlines keep their area code (010-6552 9988 ->
 * +861065529988). FIXED_LINE_OR_MOBILE (common in the US) and service types (400, VoIP,
 * toll-free) are "other": we do not claim a mobile we cannot text.
 */
export function cleanPhone(raw: string | null | undefined): CleanPhone | null {
  if (raw == null || !fold(raw)) return null;
  const e164 = toE164(raw);
  if (!e164) return null;
  const parsed = parsePhoneNumberFromString(e164);
  if (!parsed || !parsed.isValid()) return null;
  const type = parsed.getType();
  const kind: PhoneKind = type === "MOBILE" ? "mobile" : type === "FIXED_LINE" ? "landline" : "other";
  return { e164: parsed.number, kind };
}

/**
 * Whether two E.164 numbers look like a typo of each other: same length and either exactly
 * one digit different or two adjacent digits swapped. Equal numbers are "same", not
 * "near", so this is false for them.
 */
export function phonesNear(a: string, b: string): boolean {
  if (!a || !b || a === b || a.length !== b.length) return false;
  const diffs: number[] = [];
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) {
      diffs.push(i);
      if (diffs.length > 2) return false;
    }
  }
  if (diffs.length === 1) return true;
  const [i, j] = diffs;
  return j === i + 1 && a[i] === b[j] && a[j] === b[i];
}

// ---------------------------------------------------------------------------------------
// Addresses
// ---------------------------------------------------------------------------------------

export interface AddressParts {
  province?: string | null;
  city?: string | null;
  district?: string | null;
  detail?: string | null;
}

export type AddressInput = AddressParts | string | null | undefined;

export interface CleanAddress {
  /** GB/T 2260 code: the district's, or the city's for cities without districts (东莞). */
  code: string | null;
  province: string | null;
  city: string | null;
  district: string | null;
  /** What is left after the region: street, number, building. */
  detail: string;
  /** One line: official province + city + district + detail, e.g. 北京市朝阳区建国路1号. */
  text: string;
  /** True when the region could not be placed for sure; the parts are then as given. */
  flagged: boolean;
}

interface Given {
  province: string | null;
  city: string | null;
  district: string | null;
  detail: string | null;
}

/** 北京, 天津, 上海, 重庆: the province is the city, and the library names them short. */
const MUNICIPALITIES = new Set(["110000", "120000", "310000", "500000"]);
/** City-level placeholders the library uses where there is no prefecture-level city. */
const CITY_FILLERS = new Set(["县", "省直辖县", "市辖区", "省直辖县级行政区划"]);
/**
 * The library has no districts for 东莞, 中山, 儋州, 嘉峪关 (and Taiwan's counties) and lists
 * their towns/streets as "areas" with made-up codes (441903 南城街道办事处). Those are not
 * GB/T 2260 codes, so a town is kept in the detail and the city's code is used instead.
 */
const TOWN = /(镇|乡|街道|办事处)$/;
/**
 * A short name followed by one of these is a street or landmark named after the place, not
 * the place: 朝阳门 is in 东城区, 天河路 says nothing about 天河区, 北京路 is in many cities.
 * The library happily matches those; we refuse to (never guess).
 */
const NAMED_AFTER = /^(?:路|街|道|巷|弄|里|门|桥|胡同|村|大道|大街|大厦|大桥|广场|公园)/;
const SEPARATORS = /^[\s,，、;；/|\-]+/;

/** Short-name tables the library builds at load time (北京, 广州, 浦东, 内蒙 ...), by code. */
const SHORT = ParseAddress.ParseArea?.constructor ?? {};

function cleanPart(raw: string | null | undefined): string | null {
  if (raw == null) return null;
  const folded = fold(raw).replace(SPACE_BETWEEN_HAN, "");
  return folded || null;
}

function givenOf(input: AddressInput): Given | null {
  if (input == null) return null;
  const given: Given =
    typeof input === "string"
      ? { province: null, city: null, district: null, detail: cleanPart(input) }
      : {
          province: cleanPart(input.province),
          city: cleanPart(input.city),
          district: cleanPart(input.district),
          // The detail is only folded: spaces there can separate building and room.
          detail: input.detail == null ? null : fold(input.detail) || null,
        };
  return given.province || given.city || given.district || given.detail ? given : null;
}

/** Joins without a space except between two Latin words/numbers (foreign addresses). */
function joinParts(parts: (string | null)[]): string {
  let out = "";
  for (const part of parts) {
    if (!part) continue;
    out += out && /[A-Za-z0-9]$/.test(out) && /^[A-Za-z0-9]/.test(part) ? ` ${part}` : part;
  }
  return out;
}

/** The names a region level may be written with in a text: official, municipal, short. */
interface LevelNames {
  full: string[];
  short: string | null;
}

interface Placement {
  candidate: Reading;
  province: string;
  city: string | null;
  district: string | null;
  code: string;
  levels: [LevelNames, LevelNames, LevelNames];
  /** 2 when a district was found, 1 when the deepest level is the city (towns). */
  depth: 1 | 2;
}

function placementOf(c: Reading): Placement | null {
  if (!c.code || !/^\d{6}$/.test(c.code) || !c.province || !c.area) return null;
  const provinceCode = `${c.code.slice(0, 2)}0000`;
  const cityCode = `${c.code.slice(0, 4)}00`;
  const municipality = MUNICIPALITIES.has(provinceCode);
  // The library says "北京"; the official name (and what people write) is "北京市".
  const province = municipality && !c.province.endsWith("市") ? `${c.province}市` : c.province;
  const filler = CITY_FILLERS.has(c.city);
  const city = municipality ? province : filler || !c.city ? null : c.city;
  const town = TOWN.test(c.area);
  return {
    candidate: c,
    province,
    city,
    district: town ? null : c.area,
    code: town ? cityCode : c.code,
    depth: town ? 1 : 2,
    levels: [
      { full: [province, c.province], short: SHORT.ProvinceShort?.[provinceCode] ?? null },
      {
        full: filler || !c.city ? ["市辖区"] : [c.city, "市辖区"],
        short: filler ? null : SHORT.CityShort?.[cityCode] ?? null,
      },
      { full: [c.area], short: SHORT.AreaShort?.[c.code] ?? null },
    ],
  };
}

/**
 * Length of the region name at text[pos], or 0. A full name always counts; a short name
 * (extended to the longest prefix of the full name present, as the library does) only when
 * it is not the start of a street or landmark name.
 */
function matchName(text: string, pos: number, names: LevelNames): number {
  let best = 0;
  for (const full of names.full) {
    if (full && text.startsWith(full, pos)) best = Math.max(best, full.length);
  }
  if (best) return best;
  const short = names.short;
  if (!short || short.length < 2 || !text.startsWith(short, pos)) return 0;
  let len = short.length;
  for (const full of names.full) {
    while (len < full.length && pos + len < text.length && full.startsWith(text.slice(pos, pos + len + 1))) len++;
  }
  return NAMED_AFTER.test(text.slice(pos + len)) ? 0 : len;
}

/**
 * Removes the leading region names (province, city, district, in that order, each
 * optional, repeats allowed: "北京北京朝阳区") and says whether the deepest level was
 * reached. Requiring the region at the start is what ties the library's answer to the
 * text: it ignores a candidate the library found somewhere in the middle or after a
 * different province.
 */
function stripRegion(text: string, p: Placement): { rest: string; reached: boolean } {
  let pos = 0;
  let level = 0;
  for (;;) {
    pos += (text.slice(pos).match(SEPARATORS)?.[0].length ?? 0);
    let best = 0;
    let bestLevel = -1;
    for (let l = level; l <= p.depth; l++) {
      const len = matchName(text, pos, p.levels[l]);
      if (len > best) [best, bestLevel] = [len, l];
    }
    if (!best) return { rest: text.slice(pos).trim(), reached: false };
    pos += best;
    level = bestLevel;
    if (level === p.depth) {
      const rest = text.slice(pos).replace(SEPARATORS, "").trim();
      return { rest, reached: true };
    }
  }
}

/** Whether a given region part names the placed one (full, municipal or short form). */
function sameRegion(given: string, names: LevelNames, extraFull: string[] = []): boolean {
  const fulls = [...names.full, ...extraFull].filter(Boolean);
  if (fulls.includes(given)) return true;
  const short = names.short;
  return !!short && given.startsWith(short) && fulls.some((f) => f.startsWith(given));
}

function consistent(p: Placement, g: Given): boolean {
  if (g.province && !sameRegion(g.province, p.levels[0])) return false;
  // People write a county-level city under a filler (济源市 under 省直辖县) as the city.
  if (g.city && !sameRegion(g.city, p.levels[1], [p.province, p.candidate.area])) return false;
  if (g.district && !sameRegion(g.district, p.levels[2])) return false;
  return true;
}

/**
 * Readings of an address text, remembered for the last CANDIDATE_CACHE texts: a
 * customer's orders repeat their address, and reading one is the costliest step of
 * resolving an order's buyer. Only the region parts are kept (not the name or phone the
 * library also picks out of the text), frozen, since every caller shares them.
 */
const CANDIDATE_CACHE = 2000;
const candidates = new LRUCache<string, readonly Reading[]>({ max: CANDIDATE_CACHE });

function candidatesFor(text: string): readonly Reading[] {
  let all = candidates.get(text);
  if (!all) {
    // parseAll: without it the library stops at the first "credible" answer, which for
    // 重庆市城口县 is the city level only; with it we see every reading and choose.
    all = Object.freeze(AddressParse.parse(text, true).map(({ province, city, area, code, __parse }) => Object.freeze({ province, city, area, code, __parse })));
    candidates.set(text, all);
  }
  return all;
}

/**
 * Chooses the reading of the address, or null when it cannot be placed for sure. A
 * reading is taken when it reaches a district (or a city without districts), agrees with
 * every part the caller gave, and its region names open the text. Anchored readings
 * (__parse > 0: province or city seen before the district) come first; an unanchored one
 * (a bare district name) only counts when it is the only district the library could read,
 * e.g. 浦东新区, not 朝阳区 (Beijing, Changchun or Chaoyang city?).
 */
function place(g: Given): { p: Placement; detail: string } | null {
  const text = [g.province, g.city, g.district, g.detail].filter(Boolean).join(" ");
  const all = candidatesFor(text);
  const placements = all.map(placementOf).filter((p): p is Placement => p !== null);
  const codes = new Set(placements.map((p) => p.candidate.code));
  for (const p of placements) {
    if (!p.candidate.__parse && (codes.size !== 1 || g.province)) continue;
    if (!consistent(p, g)) continue;
    const first = stripRegion(text, p);
    if (!first.reached) continue;
    // Channels often repeat the region inside the detail; drop the second copy too.
    const again = stripRegion(first.rest, p);
    return { p, detail: again.reached ? again.rest : first.rest };
  }
  return null;
}

/**
 * Whether the caller explicitly gave a province and a district that cannot go together:
 * the library knows the district, but only in other provinces (广东省 + 朝阳区). Unknown
 * districts are not "impossible", just unknown.
 */
export function impossibleAddress(input: AddressInput): boolean {
  const g = givenOf(input);
  if (!g?.province || !g.district) return false;
  const region = { ...g, detail: null };
  if (place(region)) return false;
  const text = [g.province, g.city, g.district].filter(Boolean).join(" ");
  return candidatesFor(text)
    .map(placementOf)
    .some((p) => p !== null && sameRegion(g.district!, p.levels[2]) && !sameRegion(g.province!, p.levels[0]));
}

/**
 * Cleans an address given as one line or as parts. Placed addresses get official names
 * (北京市, not 北京), the GB/T 2260 code and one normalized line without the duplicated city
 * of municipalities: "北京市朝阳区…" and "北京朝阳区…" both give 110105 and
 * "北京市朝阳区建国路1号". Anything not placed for sure — unknown places, a province that
 * contradicts the district, ambiguous bare districts — is kept as given (folded only),
 * with code null and flagged, never guessed. Empty -> null.
 *
 * The detail is cut from our own text rather than taken from the library, whose detail
 * drops phone numbers, any 6-digit run (taken as a zip code: 建国路100020号) and the text
 * after a space (taken as a person's name).
 */
export function cleanAddress(input: AddressInput): CleanAddress | null {
  const g = givenOf(input);
  if (!g) return null;
  // No separate impossibleAddress() call: a province contradicting the district already
  // fails place()'s consistency check and ends up flagged here.
  const placed = place(g);
  if (!placed) {
    return {
      code: null,
      province: g.province,
      city: g.city,
      district: g.district,
      detail: g.detail ?? "",
      text: joinParts([g.province, g.city, g.district, g.detail]),
      flagged: true,
    };
  }
  const { p, detail } = placed;
  const municipality = MUNICIPALITIES.has(`${p.code.slice(0, 2)}0000`);
  return {
    code: p.code,
    province: p.province,
    city: p.city,
    district: p.district,
    detail,
    text: joinParts([p.province, municipality ? null : p.city, p.district, detail]),
    flagged: false,
  };
}

/** The detail ends at a flat, floor or room (801室, 9层, 3-2-801): an address one household or office has. */
const ROOM_LEVEL = /(\d+(室|户|房|层|楼)|\d+-\d+(-\d+)?)$/;

/**
 * A blocking key for "the same address down to the room": a hash of the normalized line
 * of a placed address, spaces dropped. Null for an address that is not placed (no
 * evidence) or stops at a street number or building (a building is many households).
 */
export function addressKeyOf(address: CleanAddress | null): string | null {
  if (!address?.code || !ROOM_LEVEL.test(address.detail.replace(/\s+/g, ""))) return null;
  return createHash("sha256").update(address.text.replace(/\s+/g, "")).digest("hex").slice(0, 32);
}

/**
 * The 6-digit GB/T 2260 code an address code belongs to: 6-digit codes as they are,
 * 9-digit town and 12-digit village codes cut to their district. Anything else -> null.
 */
export function districtOf(code: string | null): string | null {
  if (code == null) return null;
  const trimmed = code.trim();
  return /^\d{6}(?:\d{3}|\d{6})?$/.test(trimmed) ? trimmed.slice(0, 6) : null;
}
