import { badInput } from "./errors";

/**
 * How large a value from outside may be, in one place: each limit is the column it ends
 * up in (subgraphs/*\/entities.ts), or a bound that keeps a JSON column within its size.
 * Every writer of outside data checks against these before it writes (webhook adapters,
 * order intake, the mutations of every subgraph), so a value too long or too large is a
 * BAD_USER_INPUT naming its field, never a database error: MariaDB in strict mode refuses
 * an over-long string or an out-of-range integer, while SQLite would store it silently.
 *
 * Lengths count characters (Unicode code points), as VARCHAR(n) does on MariaDB with utf8mb4.
 */
export const TEXT_LIMITS = {
  /** channel_events.eventId */
  eventId: 150,
  /** orders.channelOrderId, channel_events.channelOrderId */
  channelOrderId: 100,
  /** orders.buyerChannelCustomerId, channel_identities.channelCustomerId */
  channelCustomerId: 100,
  /** order_lines.channelSkuId, channel_sku_mappings.channelSkuId */
  channelSkuId: 100,
  /** order_lines.title, products.title (a longer line title is shortened, not refused) */
  title: 200,
  /** channel_identities.name */
  personName: 100,
  /** channel_identities.phoneRaw */
  phone: 40,
  /** channel_identities.deviceFingerprint */
  deviceFingerprint: 100,
  /** channel_identities.reportedTier */
  reportedTier: 20,
  /** Parts of an address (JSON columns): province, city, district. */
  region: 50,
  /** The street part of an address, or an address sent as one line. */
  addressDetail: 300,
  /** Reasons and notes: orders.holdReason, order_exceptions.resolution, after_sales_cases.reason. */
  reason: 500,
  /** Shipment and payment references kept in the stored event. */
  reference: 100,
  /** Product attributes (products.attributes, a JSON column). */
  attributeName: 50,
  attributeValue: 200,
} as const;

export type TextLimit = keyof typeof TEXT_LIMITS;

/**
 * Amounts are stored as INT minor units (signed 32-bit on MariaDB): every stored amount,
 * line totals and order totals included, is at most this.
 */
export const MAX_MINOR = 2_147_483_647;
/** Units on one order line. */
export const MAX_QUANTITY = 100_000;
/** Lines on one order. */
export const MAX_LINES = 500;
/** Attributes on one product: with the lengths above, the JSON always fits its TEXT column. */
export const MAX_ATTRIBUTES = 20;
/** IDs one mutation may name (merges, unmerges, redeliveries). */
export const MAX_IDS = 100;

/** Length in characters, not UTF-16 units: an emoji is one character in a VARCHAR. */
export const charLength = (s: string) => [...s].length;

/** The first `max` characters (code points) of `s`: a cut never splits an emoji in two. */
export const truncateChars = (s: string, max: number) => (s.length <= max ? s : [...s].slice(0, max).join(""));

/** Throws BAD_USER_INPUT naming `field` when `value` is longer than the limit. */
export function assertLength(value: string, field: string, limit: TextLimit | number): string {
  const max = typeof limit === "number" ? limit : TEXT_LIMITS[limit];
  if (value.length > max && charLength(value) > max) {
    throw badInput(`${field} is too long: at most ${max} characters, got ${charLength(value)}.`, { field, maxLength: max });
  }
  return value;
}

/** Trimmed, non-empty and within the limit. */
export function requiredText(value: string | null | undefined, field: string, limit: TextLimit | number): string {
  const v = typeof value === "string" ? value.trim() : "";
  if (!v) throw badInput(`${field} is required.`, { field });
  return assertLength(v, field, limit);
}

/** Trimmed and within the limit; absent or blank gives null. */
export function optionalText(value: string | null | undefined, field: string, limit: TextLimit | number): string | null {
  const v = typeof value === "string" ? value.trim() : "";
  return v ? assertLength(v, field, limit) : null;
}

/** A stored amount in minor units: a whole number from 0 (or -MAX_MINOR) to MAX_MINOR. */
export function assertMinor(minor: number, field: string, { allowNegative = false } = {}): number {
  if (!Number.isSafeInteger(minor) || minor > MAX_MINOR || minor < (allowNegative ? -MAX_MINOR : 0)) {
    throw badInput(`${field} is out of range: amounts are at most ${MAX_MINOR} minor units${allowNegative ? "" : " and not negative"}.`, { field });
  }
  return minor;
}

/** A quantity: a whole number from 1 to MAX_QUANTITY. */
export function assertQuantity(n: unknown, field: string, max = MAX_QUANTITY): number {
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > max) {
    throw badInput(`${field} must be a whole number from 1 to ${max}, got ${JSON.stringify(n)?.slice(0, 40)}.`, { field });
  }
  return n;
}

/** A list of at most `max` items (IDs, lines, attributes). */
export function assertCount<T>(items: readonly T[], field: string, max: number, min = 0): readonly T[] {
  if (items.length > max || items.length < min) throw badInput(`${field} must have ${min} to ${max} items, got ${items.length}.`, { field });
  return items;
}
