import { DateTime, IANAZone } from "luxon";
import { badInput } from "./errors";

/**
 * The hub's one parser for instants from outside: channel payloads, mutation inputs,
 * filters and cursors all go through `parseInstant`. Parsing is luxon's `fromFormat` with
 * an explicit list of ISO-8601 extended forms, so nothing looser slips in (luxon's own
 * `fromISO` reads "2026-1001" as 1 October and "12:00" as today).
 *
 * Accepted: `yyyy-MM-ddTHH:mm[:ss[.fraction]]` followed by `Z`, `±HH`, `±HHmm` or
 * `±HH:mm` ("2026-10-01T12:00:00+08", "+0800", "+08:00", "…Z"). A space instead of the
 * `T` is accepted too (RFC 3339 allows it, and the marketplaces write their shop times
 * that way). Without an offset the time is read in the zone the caller declares; with no
 * zone declared it is refused. A date without a time, a time without a date, week or
 * ordinal dates and the basic (dash-less) forms are refused.
 *
 * DST, as luxon resolves a zone-less time (pinned by test/unit/adapters.test.ts):
 *  - a local time in a spring-forward gap moves forward by the gap
 *    (2026-03-08 02:30 America/New_York -> 03:30 EDT = 07:30Z);
 *  - an ambiguous fall-back time resolves to the later occurrence, standard time
 *    (2026-11-01 01:30 America/New_York -> 01:30 EST = 06:30Z).
 *
 * Stored instants must fit a DATETIME column on both databases: years 1000 to 9999.
 */

const DATE = "yyyy-MM-dd";
const SEPARATORS = ["'T'", "' '"];
const TIMES = ["HH:mm", "HH:mm:ss", "HH:mm:ss.u"];
/** luxon's ZZ reads ±HH and ±HH:mm, ZZZ reads ±HHmm; 'Z' is UTC. */
const OFFSETS = ["'Z'", "ZZ", "ZZZ"];

const WITH_OFFSET = SEPARATORS.flatMap((s) => TIMES.flatMap((t) => OFFSETS.map((o) => `${DATE}${s}${t}${o}`)));
const WITHOUT_OFFSET = SEPARATORS.flatMap((s) => TIMES.map((t) => `${DATE}${s}${t}`));
/**
 * luxon's offset tokens also take a one-digit hour ("+8"), which ISO-8601 does not: the
 * offset, when there is one, must be Z or two-digit hours (and minutes).
 */
const ISO_OFFSET_END = /(?:Z|[+-]\d{2}(?::?\d{2})?)$/i;

/** The range a DATETIME column holds on MariaDB/MySQL (SQLite stores whatever it gets). */
export const MIN_INSTANT = new Date("1000-01-01T00:00:00.000Z");
export const MAX_INSTANT = new Date("9999-12-31T23:59:59.999Z");

export interface InstantOptions {
  /** IANA zone for a time without an offset; without one such a time is refused. */
  zone?: string;
  /** Where the zone came from, named if it is not a valid zone. Default "channelZone". */
  zoneField?: string;
  /** Appended to the "no offset" error, e.g. "Send store.timezone with the receipt." */
  missingZoneHint?: string;
}

export function show(value: unknown): string {
  return (JSON.stringify(value) ?? String(value)).slice(0, 60);
}

/**
 * Throws BAD_USER_INPUT unless `zone` is an IANA "Area/Location" name (or "UTC"). Bare
 * abbreviations and legacy names are refused even though ICU knows some of them: ICU reads
 * "CST" as America/Chicago, while a Chinese shop writing "CST" means China Standard Time.
 */
export function assertZone(zone: unknown, field = "channelZone"): string {
  if (typeof zone !== "string" || zone.length > 64 || !(zone.includes("/") || zone.toUpperCase() === "UTC") || !IANAZone.isValidZone(zone)) {
    throw badInput(`${field} ${show(zone)} is not an IANA time zone such as "Asia/Shanghai".`, { field });
  }
  return zone;
}

function firstValid(value: string, formats: string[], options: { zone?: string; setZone?: boolean }): DateTime | null {
  for (const format of formats) {
    const dt = DateTime.fromFormat(value, format, options);
    if (dt.isValid) return dt;
  }
  return null;
}

/** Reads the text as a luxon DateTime (offset kept), or throws BAD_USER_INPUT naming the field. */
function read(value: unknown, field: string, options: InstantOptions): DateTime {
  if (value === undefined || value === null || value === "") throw badInput(`${field} is required.`, { field });
  if (typeof value !== "string") throw badInput(`${field} must be an ISO-8601 time string such as "2026-11-01T20:15:00+08:00", got ${show(value)}.`, { field });
  // Validate a declared zone even when this value has an offset: a misconfigured zone should surface.
  const zone = options.zone === undefined ? undefined : assertZone(options.zone, options.zoneField ?? "channelZone");
  const text = value.trim();
  // luxon reads 24:00:00 as midnight of the next day; ISO-8601:2019 dropped it, and a
  // channel sending it has a bug we should not paper over.
  if (/^\d{4}-\d{2}-\d{2}[T ]24:/i.test(text)) throw badInput(`${field} ${show(value)} is not a time of day: hours run from 00 to 23.`, { field });
  const withOffset = text.length <= 40 && ISO_OFFSET_END.test(text) ? firstValid(text, WITH_OFFSET, { zone: "utc", setZone: true }) : null;
  if (withOffset) {
    // Real UTC offsets run from -12:00 to +14:00; "+25:00" is a typo, not a place.
    if (Math.abs(withOffset.offset) > 14 * 60) throw badInput(`${field} ${show(value)} has a UTC offset beyond ±14:00.`, { field });
    return withOffset;
  }
  const local = text.length <= 40 ? firstValid(text, WITHOUT_OFFSET, { zone: zone ?? "utc" }) : null;
  if (!local) {
    throw badInput(`${field} ${show(value)} is not an ISO-8601 time; send a date, a time and an offset, e.g. "2026-11-01T20:15:00+08:00".`, { field });
  }
  if (zone === undefined) {
    const hint = options.missingZoneHint ? ` ${options.missingZoneHint}` : "";
    throw badInput(`${field} ${show(value)} has no UTC offset and no time zone is declared for it, so the instant is unknown; send it with Z or +08:00.${hint}`, { field });
  }
  return local;
}

function inRange(dt: DateTime, value: unknown, field: string): Date {
  const date = dt.toUTC().toJSDate();
  if (date < MIN_INSTANT || date > MAX_INSTANT) throw badInput(`${field} ${show(value)} is outside the years 1000 to 9999.`, { field });
  return date;
}

/** A required instant -> Date (UTC). See the module comment for what is accepted. */
export function parseInstant(value: unknown, field: string, options: InstantOptions = {}): Date {
  return inRange(read(value, field, options), value, field);
}

/**
 * Platforms write a placeholder where a time is not set: an all-zero date
 * ("0000-00-00 00:00:00"), the smallest date ("0001-01-01 00:00:00", JD's unpaid
 * paymentConfirmTime) or the Unix epoch (0, "1970-01-01 00:00:00" as written in UTC, or
 * "1970-01-01 08:00:00" in Beijing time: the epoch in the declared zone). Only these exact
 * values mean "none": any other time, an early one or a typo such as "1026-11-01", is read
 * as a time, and one outside the DATETIME range is refused rather than silently dropped.
 */
const ZERO_DATE = /^0000-00-00(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$/;
const MIN_DATE = /^0001-01-01[T ]00:00(?::00(?:\.0+)?)?(?:Z|[+-]00(?::?00)?)?$/i;
const EPOCH_UTC = /^1970-01-01[T ]00:00(?::00(?:\.0+)?)?(?:Z|[+-]00(?::?00)?)?$/i;

export function isPlaceholderTime(value: unknown, options: InstantOptions = {}): boolean {
  if (value === 0) return true;
  if (typeof value !== "string") return false;
  const text = value.trim();
  if (text === "0" || ZERO_DATE.test(text) || MIN_DATE.test(text) || EPOCH_UTC.test(text)) return true;
  try {
    return read(text, "time", options).toMillis() === 0;
  } catch {
    return false;
  }
}

/** Like parseInstant, but absent, "" and placeholder times give null. */
export function parseOptionalInstant(value: unknown, field: string, options: InstantOptions = {}): Date | null {
  if (value === undefined || value === null || value === "" || isPlaceholderTime(value, options)) return null;
  return parseInstant(value, field, options);
}

/** A required time that may be a placeholder on the wire: a placeholder is "not sent". */
export function parseRequiredInstant(value: unknown, field: string, options: InstantOptions = {}): Date {
  if (isPlaceholderTime(value, options)) throw badInput(`${field} is required; ${show(value)} is a placeholder for "no time".`, { field });
  return parseInstant(value, field, options);
}
