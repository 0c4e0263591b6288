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
 * Splits `total` minor units over `weights` so the parts add up exactly, by largest
 * remainder in exact integer arithmetic: each part is total x weight / sum rounded
 * down, and the units left over go one each to the parts with the largest remainders.
 * Ties go to the earlier part, so the result is deterministic. BigInt, because
 * total x weight passes 2^53 long before either does, and a float share is rounded.
 * A negative total is split like its magnitude, with the sign put back.
 * All weights zero: an equal split.
 */
export function allocate(total: number, weights: readonly number[]): number[] {
  if (!Number.isSafeInteger(total)) throw new RangeError(`allocate: total ${total} is not a safe integer`);
  for (const w of weights) {
    if (!Number.isSafeInteger(w) || w < 0) throw new RangeError(`allocate: weight ${w} is not a non-negative safe integer`);
  }
  if (weights.length === 0) return [];
  const sum = weights.reduce((a, b) => a + BigInt(b), 0n);
  const ws = sum === 0n ? weights.map(() => 1n) : weights.map((w) => BigInt(w));
  const divisor = sum === 0n ? BigInt(weights.length) : sum;
  const magnitude = BigInt(Math.abs(total));
  const parts = ws.map((w) => (magnitude * w) / divisor);
  const remainders = ws.map((w) => (magnitude * w) % divisor);
  let left = magnitude - parts.reduce((a, b) => a + b, 0n); // fewer than weights.length units
  const byRemainder = remainders.map((r, i) => ({ r, i })).sort((a, b) => (a.r === b.r ? a.i - b.i : a.r > b.r ? -1 : 1));
  for (let k = 0; left > 0n; k++, left--) parts[byRemainder[k].i] += 1n;
  const sign = total < 0 ? -1 : 1;
  return parts.map((p) => sign * Number(p) + 0); // + 0 turns -0 into 0
}
