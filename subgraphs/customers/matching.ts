import { namesClose, phonesNear } from "./cleansing";

/**
 * Whether two channel identities are the same person. Pure: features in, decision and
 * evidence out. An automatic merge needs one of the corroboration rules below (MERGE_RULES),
 * never one signal alone: a device or an address on its own never merges. A value shared
 * by many customers (a shop's kiosk tablet, a courier's phone, a parcel station's
 * address) stops counting as evidence.
 */
export interface IdentityFeatures {
  phone: string | null;
  name: { display: string; key: string } | null;
  device: string | null;
  /** The device is a shop's till or kiosk (a POS sale), not the shopper's own phone or browser. */
  deviceIsTerminal?: boolean;
  district: string | null;
  /** Key of the full normalized address line (down to the room), placed addresses only. */
  addressKey: string | null;
}

export interface MatchConfig {
  /** Score at or above which a corroborated pair merges automatically. */
  autoMergeScore: number;
  /** Score at or above which a pair goes to the review queue. */
  reviewScore: number;
  /** A phone, device or address seen with more than this many different people (names) is not evidence. */
  maxCustomersPerValue: number;
}

export const DEFAULT_MATCH_CONFIG: MatchConfig = { autoMergeScore: 0.7, reviewScore: 0.45, maxCustomersPerValue: 3 };

/**
 * How many different people already carry a value: distinct name keys among the
 * identities with it (the caller reads them through an index). Counting names, not
 * customer records, keeps one person split over several records from looking "shared".
 */
export interface ValueFrequency {
  phone(phone: string): number;
  device(device: string): number;
  address(addressKey: string): number;
  /**
   * Distinct phones seen with this name at this address (both sides of the pair
   * included). More than one means two people of that name may live there (a father and
   * son, a typo), so name + address alone cannot tell them apart.
   */
  phonesOfNameAt(addressKey: string, nameKey: string): number;
}

/**
 * Different people seen with a value, from the name keys of the identities that carry
 * it: each distinct name once, each nameless identity as possibly someone else.
 */
export function peopleAmong(nameKeys: Array<string | null | undefined>): number {
  return new Set(nameKeys.filter(Boolean)).size + nameKeys.filter((k) => !k).length;
}

export const WEIGHTS = {
  samePhone: 0.5,
  sameDevice: 0.3,
  nearPhone: 0.2,
  closeName: 0.3,
  /** The same name key (same sound), on top of closeName: a one-character typo is weaker. */
  sameName: 0.1,
  sameDistrict: 0.2,
  sameAddress: 0.3,
} as const;
export type Signal = keyof typeof WEIGHTS;

/**
 * The corroboration rules: a pair merges automatically when it shows every signal of
 * one rule (and reaches the auto-merge score, with no contradicting names). The first
 * four are the issue's; the last three were added after measuring them on the labelled
 * population (test/identity): each has three independent signals, or two plus the
 * guard that the name at that address was only ever seen with one phone, and none of
 * them merged two different people there. They are what finds a person again on an
 * order sent without a phone, or with a mistyped one.
 */
export const MERGE_RULES: ReadonlyArray<{ name: string; all: readonly Signal[] }> = [
  { name: "phone + device", all: ["samePhone", "sameDevice"] },
  { name: "phone + name", all: ["samePhone", "closeName"] },
  { name: "phone + district", all: ["samePhone", "sameDistrict"] },
  { name: "device + near phone + name", all: ["sameDevice", "nearPhone", "closeName"] },
  { name: "near phone + same name + district", all: ["nearPhone", "sameName", "sameDistrict"] },
  { name: "device + same name + district", all: ["sameDevice", "sameName", "sameDistrict"] },
  { name: "same name + full address", all: ["sameName", "sameAddress"] },
];

export interface MatchResult {
  score: number;
  signals: Signal[];
  /** Why, in words, for the review queue and the merge event. */
  evidence: string[];
  decision: "merge" | "review" | "none";
  /** The corroboration rule that made a merge. */
  rule?: string;
}

export function compareIdentities(a: IdentityFeatures, b: IdentityFeatures, freq: ValueFrequency, config: MatchConfig = DEFAULT_MATCH_CONFIG): MatchResult {
  const signals: Signal[] = [];
  const evidence: string[] = [];
  const shared = (n: number) => n > config.maxCustomersPerValue;
  // Data typed on one shared terminal (a shop's kiosk) is not independent evidence: the
  // phone on it may well be the shop's. A till is shared from the first sale, before it
  // has been seen with many people.
  const sharedTerminal = !!(a.device && a.device === b.device && (a.deviceIsTerminal || b.deviceIsTerminal || shared(freq.device(a.device))));
  if (a.phone && a.phone === b.phone) {
    if (shared(freq.phone(a.phone))) evidence.push(`phone ${a.phone} is shared by many customers; not counted`);
    else if (sharedTerminal) evidence.push(`phone ${a.phone} was entered on a shared device; not counted`);
    else {
      signals.push("samePhone");
      evidence.push(`same phone ${a.phone}`);
    }
  } else if (a.phone && b.phone && phonesNear(a.phone, b.phone)) {
    signals.push("nearPhone");
    evidence.push(`near-identical phones ${a.phone} / ${b.phone}`);
  }
  if (a.device && a.device === b.device) {
    if (sharedTerminal) evidence.push(`device ${a.device} is a shared terminal; not counted`);
    else {
      signals.push("sameDevice");
      evidence.push(`same device ${a.device}`);
    }
  }
  if (a.name && b.name && namesClose(a.name, b.name)) {
    signals.push("closeName");
    if (a.name.key === b.name.key) signals.push("sameName");
    evidence.push(a.name.display === b.name.display ? `same name ${a.name.display}` : `close names ${a.name.display} / ${b.name.display}`);
  }
  if (a.district && a.district === b.district) {
    signals.push("sameDistrict");
    evidence.push(`same district ${a.district}`);
  }
  if (a.addressKey && a.addressKey === b.addressKey) {
    const nameKey = a.name && b.name && a.name.key === b.name.key ? a.name.key : null;
    if (shared(freq.address(a.addressKey))) evidence.push("same address, shared by many customers; not counted");
    else if (nameKey && freq.phonesOfNameAt(a.addressKey, nameKey) > 1) evidence.push("same address, where this name was seen with different phones; not counted");
    else {
      signals.push("sameAddress");
      evidence.push("same full address");
    }
  }
  const score = Math.round(signals.reduce((sum, s) => sum + WEIGHTS[s], 0) * 100) / 100;
  // Two different names on both sides contradict the other signals: a family phone, a
  // shop's phone. Such a pair is for a person to decide, never merged automatically.
  const contradicted = !!(a.name && b.name && !signals.includes("closeName"));
  if (contradicted) evidence.push(`different names ${a.name!.display} / ${b.name!.display}`);
  const rule = contradicted ? undefined : MERGE_RULES.find((r) => r.all.every((s) => signals.includes(s)));
  // Review needs a personal signal: a district, or a district plus a common name, is no lead.
  // A shared address alone is no lead either (a family lives there); with the same name it is.
  const personal = signals.some((s) => s === "samePhone" || s === "sameDevice" || s === "nearPhone") || (signals.includes("sameAddress") && signals.includes("closeName"));
  const decision = rule && score >= config.autoMergeScore ? "merge" : personal && score >= config.reviewScore ? "review" : "none";
  return { score, signals, evidence, decision, ...(decision === "merge" ? { rule: rule!.name } : {}) };
}
