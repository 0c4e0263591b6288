import { namesClose, phonesNear } from "./cleansing";

/**
 * Whether two channel identities are the same person. Pure: features in, decision and
 * evidence out. Automatic merges need corroboration, never one signal alone:
 * - the same phone plus a second signal (same device, a close name, the same district), or
 * - the same device plus a near-identical phone plus a close name.
 * A device or an address alone never merges. A value shared by many customers (a shop's
 * kiosk tablet, a courier's phone) stops counting as evidence.
 */
export interface IdentityFeatures {
  phone: string | null;
  name: { display: string; key: string } | null;
  device: string | null;
  district: string | null;
}

export interface MatchConfig {
  /** Score at or above which a corroborated pair merges automatically. */
  autoMergeScore: number;
  /** Score at or above which a pair goes to the review queue. */
  reviewScore: number;
  /** A phone or device seen with more than this many different people (names) is not evidence. */
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
}

export const WEIGHTS = { samePhone: 0.5, sameDevice: 0.3, nearPhone: 0.2, closeName: 0.3, sameDistrict: 0.2 } as const;
export type Signal = keyof typeof WEIGHTS;

export interface MatchResult {
  score: number;
  signals: Signal[];
  /** Why, in words, for the review queue and the merge event. */
  evidence: string[];
  decision: "merge" | "review" | "none";
}

export function compareIdentities(a: IdentityFeatures, b: IdentityFeatures, freq: ValueFrequency, config: MatchConfig = DEFAULT_MATCH_CONFIG): MatchResult {
  const signals: Signal[] = [];
  const evidence: string[] = [];
  // Data typed on one shared terminal (a shop's kiosk) is not independent evidence: the
  // phone on it may well be the shop's.
  const sharedTerminal = !!(a.device && a.device === b.device && freq.device(a.device) > config.maxCustomersPerValue);
  if (a.phone && a.phone === b.phone) {
    if (freq.phone(a.phone) > config.maxCustomersPerValue) evidence.push(`phone ${a.phone} is shared by many customers; not counted`);
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
    if (freq.device(a.device) > config.maxCustomersPerValue) evidence.push(`device ${a.device} is shared by many customers; not counted`);
    else {
      signals.push("sameDevice");
      evidence.push(`same device ${a.device}`);
    }
  }
  if (a.name && b.name && namesClose(a.name, b.name)) {
    signals.push("closeName");
    evidence.push(a.name.display === b.name.display ? `same name ${a.name.display}` : `close names ${a.name.display} / ${b.name.display}`);
  }
  if (a.district && a.district === b.district) {
    signals.push("sameDistrict");
    evidence.push(`same district ${a.district}`);
  }
  const score = Math.round(signals.reduce((sum, s) => sum + WEIGHTS[s], 0) * 100) / 100;
  const has = (s: Signal) => signals.includes(s);
  // Two different names on both sides contradict the other signals: a family phone, a
  // shop's phone. Such a pair is for a person to decide, never merged automatically.
  const contradicted = !!(a.name && b.name && !has("closeName"));
  if (contradicted) evidence.push(`different names ${a.name!.display} / ${b.name!.display}`);
  const corroborated =
    !contradicted &&
    ((has("samePhone") && (has("sameDevice") || has("closeName") || has("sameDistrict"))) || (has("sameDevice") && has("nearPhone") && has("closeName")));
  // Review needs a personal signal: a district, or a district plus a common name, is no lead.
  const personal = has("samePhone") || has("sameDevice") || has("nearPhone");
  const decision = corroborated && score >= config.autoMergeScore ? "merge" : personal && score >= config.reviewScore ? "review" : "none";
  return { score, signals, evidence, decision };
}
