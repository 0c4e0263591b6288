import { formatMinor, minorDigits } from "../kernel/money";

/**
 * Order priority from one table of rules. Each rule that matches adds points and a
 * reason a person can read; the level follows from the total.
 */
export interface PriorityInput {
  totalMinor: number;
  currency: string;
  /** The golden customer's hub-wide tier, if known. */
  tier: string | null;
  promisedDeliveryBy: Date | null;
  now: Date;
}

export type PriorityLevel = "URGENT" | "HIGH" | "NORMAL";

interface Rule {
  points: number;
  /** Returns the reason when the rule matches. */
  match(o: PriorityInput): string | null;
}

const HOUR = 3600_000;
const major = (o: PriorityInput) => o.totalMinor / 10 ** minorDigits(o.currency);
const hoursLeft = (o: PriorityInput) => (o.promisedDeliveryBy ? (o.promisedDeliveryBy.getTime() - o.now.getTime()) / HOUR : null);

export const PRIORITY_RULES: readonly Rule[] = [
  { points: 30, match: (o) => (major(o) >= 1000 ? `order total ${formatMinor(o.totalMinor, o.currency)} ${o.currency} is at least 1000` : null) },
  { points: 10, match: (o) => (major(o) >= 300 && major(o) < 1000 ? `order total ${formatMinor(o.totalMinor, o.currency)} ${o.currency} is at least 300` : null) },
  { points: 30, match: (o) => (o.tier === "PLATINUM" ? "customer tier PLATINUM" : null) },
  { points: 20, match: (o) => (o.tier === "GOLD" ? "customer tier GOLD" : null) },
  { points: 10, match: (o) => (o.tier === "SILVER" ? "customer tier SILVER" : null) },
  { points: 60, match: (o) => { const h = hoursLeft(o); return h !== null && h < 0 ? "promised delivery time has passed" : null; } },
  { points: 40, match: (o) => { const h = hoursLeft(o); return h !== null && h >= 0 && h <= 24 ? `promised delivery within ${Math.ceil(h)} h` : null; } },
];

export const LEVELS: ReadonlyArray<{ level: PriorityLevel; atLeast: number }> = [
  { level: "URGENT", atLeast: 60 },
  { level: "HIGH", atLeast: 30 },
  { level: "NORMAL", atLeast: 0 },
];

export function priorityOf(o: PriorityInput): { level: PriorityLevel; score: number; reasons: string[] } {
  const matched = PRIORITY_RULES.map((r) => ({ r, reason: r.match(o) })).filter((m) => m.reason !== null);
  const score = matched.reduce((sum, m) => sum + m.r.points, 0);
  return { level: LEVELS.find((l) => score >= l.atLeast)!.level, score, reasons: matched.map((m) => m.reason!) };
}
