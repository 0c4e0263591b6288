import { badInput } from "./errors";

/**
 * Money is integer minor units plus an ISO-4217 code. The number of minor digits comes
 * from the runtime's ICU data (CNY 2, JPY 0, KWD 3), so there is no table to maintain.
 */
const KNOWN_CURRENCIES = new Set(Intl.supportedValuesOf("currency"));
const digitsCache = new Map<string, number>();

export function assertCurrency(code: unknown): string {
  if (typeof code !== "string" || !/^[A-Z]{3}$/.test(code) || !KNOWN_CURRENCIES.has(code)) {
    throw badInput(`Unknown currency "${String(code).slice(0, 20)}"; use an ISO-4217 code such as CNY.`, { field: "currency" });
  }
  return code;
}

export function minorDigits(currency: string): number {
  let digits = digitsCache.get(currency);
  if (digits === undefined) {
    digits = new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
    digitsCache.set(currency, digits);
  }
  return digits;
}

/** 9990 CNY -> "99.90"; -5 CNY -> "-0.05". */
export function formatMinor(minor: number, currency: string): string {
  const digits = minorDigits(currency);
  const sign = minor < 0 ? "-" : "";
  const abs = Math.abs(minor).toString();
  if (digits === 0) return sign + abs;
  const padded = abs.padStart(digits + 1, "0");
  return `${sign}${padded.slice(0, -digits)}.${padded.slice(-digits)}`;
}

/**
 * "99.90" CNY -> 9990. Strict: no floats, no exponent, no more fraction digits than the
 * currency has, so nothing is silently rounded.
 */
export function parseDecimal(amount: unknown, currency: string, field = "amount"): number {
  const digits = minorDigits(currency);
  if (typeof amount !== "string" || !/^-?\d{1,15}(\.\d+)?$/.test(amount)) {
    throw badInput(`${field} must be a decimal string such as "99.90", got ${JSON.stringify(amount)?.slice(0, 40)}.`, { field });
  }
  const negative = amount.startsWith("-");
  const [whole, fraction = ""] = amount.replace("-", "").split(".");
  if (fraction.length > digits) {
    throw badInput(`${field} "${amount}" has more than ${digits} decimal places for ${currency}.`, { field });
  }
  const minor = Number(whole) * 10 ** digits + Number(fraction.padEnd(digits, "0") || "0");
  if (!Number.isSafeInteger(minor)) throw badInput(`${field} "${amount}" is too large.`, { field });
  return negative ? -minor : minor;
}

/**
 * Splits `total` over `weights` so the parts add up exactly (largest remainder).
 * Ties go to the earlier part, so the result is deterministic.
 */
export function allocate(total: number, weights: number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (weights.length === 0) return [];
  if (sum === 0) return allocate(total, weights.map(() => 1));
  const raw = weights.map((w) => (total * w) / sum);
  const parts = raw.map((r) => Math.trunc(r));
  let rest = total - parts.reduce((a, b) => a + b, 0);
  const order = raw
    .map((r, i) => ({ i, frac: Math.abs(r - Math.trunc(r)) }))
    .sort((a, b) => b.frac - a.frac || a.i - b.i);
  const step = Math.sign(rest);
  for (let k = 0; rest !== 0; k = (k + 1) % order.length) {
    parts[order[k].i] += step;
    rest -= step;
  }
  return parts;
}
