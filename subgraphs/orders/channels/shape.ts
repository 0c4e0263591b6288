import { assertLength, MAX_MINOR, MAX_QUANTITY, type TextLimit } from "../../kernel/bounds";
import { badInput } from "../../kernel/errors";
import { show } from "../../kernel/instant";
import type { CanonicalEvent, CanonicalOrder, CanonicalType } from "./canonical";

/**
 * Strict readers for native payloads. Each names the field path it read in the
 * BAD_USER_INPUT error (`extensions.field`), e.g. "trade.orders[0].num".
 *
 * Conventions shared by every adapter:
 *  - a required field that is undefined, null (or "" for text) is "required";
 *  - an optional field that is undefined, null or "" is absent (platforms send "" for unset);
 *  - ids may be strings or safe integers and always come out as strings; a number
 *    beyond 2^53 has already lost digits in JSON.parse, so it is refused;
 *  - amounts are decimal strings ("99.00"); their sign, size and currency precision
 *    are intake's business (subgraphs/orders/intake.ts);
 *  - text is bounded: a value stored in a column is read with that column's limit
 *    (kernel/bounds.ts), anything else with TEXT_DEFAULT, so an over-long value is a
 *    BAD_USER_INPUT naming the native field, never a database error.
 */

/** The bound for text that is kept only inside the stored event (titles are shortened later). */
export const TEXT_DEFAULT = 1000;
type Limit = TextLimit | number;

export type Obj = Record<string, unknown>;


function kind(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `${typeof value} ${show(value)}`;
}

const absent = (v: unknown) => v === undefined || v === null;
const blank = (v: unknown) => absent(v) || v === "";

export function required(field: string): never {
  throw badInput(`${field} is required.`, { field });
}

export function obj(value: unknown, field: string): Obj {
  if (absent(value)) required(field);
  if (typeof value !== "object" || Array.isArray(value)) throw badInput(`${field} must be an object, got ${kind(value)}.`, { field });
  return value as Obj;
}

export function optObj(value: unknown, field: string): Obj | undefined {
  return absent(value) ? undefined : obj(value, field);
}

export function arr(value: unknown, field: string, min = 1): unknown[] {
  if (absent(value)) required(field);
  if (!Array.isArray(value)) throw badInput(`${field} must be an array, got ${kind(value)}.`, { field });
  if (value.length < min) throw badInput(`${field} must have at least ${min} item${min === 1 ? "" : "s"}.`, { field });
  return value;
}

/** Non-empty text (after trimming), at most `limit` characters once trimmed; returned trimmed. */
export function str(value: unknown, field: string, limit: Limit = TEXT_DEFAULT): string {
  if (blank(value)) required(field);
  if (typeof value !== "string") throw badInput(`${field} must be a string, got ${kind(value)}.`, { field });
  const trimmed = value.trim();
  if (!trimmed) required(field);
  return assertLength(trimmed, field, limit);
}

export function optStr(value: unknown, field: string, limit: Limit = TEXT_DEFAULT): string | undefined {
  return blank(value) ? undefined : str(value, field, limit);
}

/** Text that may legitimately be empty (e.g. a district in a city without districts), but must be present. */
export function text(value: unknown, field: string, limit: Limit = TEXT_DEFAULT): string {
  if (absent(value)) required(field);
  if (typeof value !== "string") throw badInput(`${field} must be a string, got ${kind(value)}.`, { field });
  return assertLength(value.trim(), field, limit);
}

/** A string or safe integer id -> string, at most `limit` characters. */
export function idStr(value: unknown, field: string, limit: Limit = "reference"): string {
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw badInput(`${field} ${show(value)} is not an exact whole-number id (numbers above 2^53 lose digits); send it as a string.`, { field });
    }
    return String(value);
  }
  return str(value, field, limit);
}

export function optIdStr(value: unknown, field: string, limit: Limit = "reference"): string | undefined {
  return blank(value) ? undefined : idStr(value, field, limit);
}

export function oneOf<T extends string>(value: unknown, field: string, allowed: readonly T[]): T {
  if (blank(value)) required(field);
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
    throw badInput(`${field} ${show(value)} is not one of ${allowed.join(", ")}.`, { field });
  }
  return value as T;
}

/** A quantity: a whole number from 1 to MAX_QUANTITY. With `digitString`, "2" is accepted too. */
export function quantity(value: unknown, field: string, digitString = false): number {
  if (blank(value)) required(field);
  let n = value;
  if (digitString && typeof value === "string" && /^\s*-?\d{1,15}\s*$/.test(value)) n = Number(value);
  if (typeof n !== "number" || !Number.isSafeInteger(n)) {
    throw badInput(`${field} must be a whole number, got ${kind(value)}.`, { field });
  }
  if (n < 1) throw badInput(`${field} must be at least 1, got ${n}.`, { field });
  if (n > MAX_QUANTITY) throw badInput(`${field} must be at most ${MAX_QUANTITY}, got ${n}.`, { field });
  return n;
}

/** Integer minor units (e.g. fen). Sign is intake's business. */
export function minorInt(value: unknown, field: string): number {
  if (absent(value)) required(field);
  if (typeof value !== "number" || !Number.isSafeInteger(value)) {
    throw badInput(`${field} must be a whole number of minor units (fen), got ${kind(value)}.`, { field });
  }
  if (Math.abs(value) > MAX_MINOR) throw badInput(`${field} is out of range: at most ${MAX_MINOR} minor units.`, { field });
  return value;
}

export function optMinorInt(value: unknown, field: string): number | undefined {
  return absent(value) ? undefined : minorInt(value, field);
}

const DECIMAL = /^-?\d{1,15}(\.\d+)?$/;

/** A decimal string such as "99.00". */
export function decimal(value: unknown, field: string): string {
  if (blank(value)) required(field);
  if (typeof value !== "string" || !DECIMAL.test(value)) {
    throw badInput(`${field} must be a decimal string such as "99.00", got ${kind(value)}.`, { field });
  }
  return value;
}

export function optDecimal(value: unknown, field: string): string | undefined {
  return blank(value) ? undefined : decimal(value, field);
}

/** An order-level discount: absent when missing or zero ("0.00"). */
export function optDiscount(value: unknown, field: string): string | undefined {
  const d = optDecimal(value, field);
  return d === undefined || /^-?0+(\.0+)?$/.test(d) ? undefined : d;
}

/**
 * A shipment from a carrier and a tracking number: both or neither (goods that ship
 * without logistics, e.g. virtual items or the seller's own delivery).
 */
export function shipment(
  carrier: unknown,
  carrierField: string,
  tracking: unknown,
  trackingField: string,
): { carrier: string; trackingNumber: string } | undefined {
  if (blank(carrier) && blank(tracking)) return undefined;
  return { carrier: str(carrier, carrierField, "reference"), trackingNumber: idStr(tracking, trackingField, "reference") };
}

/** Builds one canonical event, leaving out absent optional parts so results compare exactly. */
export function event(
  eventId: string,
  type: CanonicalType,
  occurredAt: string,
  order: CanonicalOrder,
  extra: Pick<CanonicalEvent, "payment" | "shipment"> = {},
): CanonicalEvent {
  const e: CanonicalEvent = { eventId, type, occurredAt, order: compact(order) };
  if (extra.payment) e.payment = compact(extra.payment);
  if (extra.shipment) e.shipment = extra.shipment;
  return e;
}

/** Drops keys whose value is undefined. */
export function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
