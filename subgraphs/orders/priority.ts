import { formatMinor, parseDecimal } from "../kernel/money";

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

/**
 * What counts as a large and a notable order total, per ISO-4217 currency, in the
 * currency's own major units (about CNY 1000 and 300 everywhere): a flat "1000" would be
 * a small order in JPY or KRW and a very large one in KWD. A currency that is not listed
 * gets no points for its total, rather than a guess.
 */
export const TOTAL_THRESHOLDS: Readonly<Record<string, { large: string; notable: string }>> = {
  CNY: { large: "1000", notable: "300" },
  HKD: { large: "1100", notable: "330" },
  TWD: { large: "4500", notable: "1350" },
  MOP: { large: "1100", notable: "330" },
  USD: { large: "140", notable: "42" },
  EUR: { large: "130", notable: "40" },
  GBP: { large: "110", notable: "33" },
  JPY: { large: "21000", notable: "6300" },
  KRW: { large: "190000", notable: "57000" },
  SGD: { large: "190", notable: "57" },
  MYR: { large: "650", notable: "200" },
  THB: { large: "5000", notable: "1500" },
  AUD: { large: "210", notable: "63" },
  CAD: { large: "190", notable: "57" },
  KWD: { large: "43", notable: "13" },
};

/** The same table in minor units, with the labels for the reasons. */
const THRESHOLDS_MINOR = new Map(
  Object.entries(TOTAL_THRESHOLDS).map(([currency, t]) => [currency, { large: parseDecimal(t.large, currency), notable: parseDecimal(t.notable, currency), label: t }]),
);
const thresholdsOf = (currency: string) => THRESHOLDS_MINOR.get(currency) ?? null;

const hoursLeft = (o: PriorityInput) => (o.promisedDeliveryBy ? (o.promisedDeliveryBy.getTime() - o.now.getTime()) / HOUR : null);
const totalText = (o: PriorityInput) => `order total ${formatMinor(o.totalMinor, o.currency)} ${o.currency}`;

export const PRIORITY_RULES: readonly Rule[] = [
  { points: 30, match: (o) => { const t = thresholdsOf(o.currency); return t && o.totalMinor >= t.large ? `${totalText(o)} is at least ${t.label.large}` : null; } },
  { points: 10, match: (o) => { const t = thresholdsOf(o.currency); return t && o.totalMinor >= t.notable && o.totalMinor < t.large ? `${totalText(o)} is at least ${t.label.notable}` : null; } },
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
