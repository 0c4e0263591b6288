import { DateTime } from "luxon";
import { badInput } from "../../kernel/errors";
import { assertZone, isPlaceholderTime, parseOptionalInstant, parseRequiredInstant, show, type InstantOptions } from "../../kernel/instant";

/**
 * Channel times -> UTC ISO strings ("2026-11-01T05:00:00.000Z"), through the hub's one
 * instant parser (kernel/instant.ts): ISO-8601 with an offset, or a zone-less
 * "yyyy-MM-dd HH:mm:ss" / "yyyy-MM-ddTHH:mm:ss" read in the zone the channel declared.
 * A placeholder time (0000-00-00, 0001-01-01, the Unix epoch) means "not set": absent
 * for an optional time, missing for a required one.
 */

export { assertZone };

export interface ZoneOptions {
  /** Where the zone came from, named in the error if it is not a valid IANA zone. Default "channelZone". */
  zoneField?: string;
  /** Appended to the "no time zone" error, e.g. "Set store.timezone in the receipt." */
  missingZoneHint?: string;
}

const options = (zone: string | undefined, o: ZoneOptions): InstantOptions => ({ zone, zoneField: o.zoneField, missingZoneHint: o.missingZoneHint });

/** A required channel time -> "yyyy-MM-ddTHH:mm:ss.SSSZ" in UTC. */
export function toUtcIso(value: unknown, field: string, zone?: string, o: ZoneOptions = {}): string {
  return parseRequiredInstant(value, field, options(zone, o)).toISOString();
}

/** Like toUtcIso, but absent, null, "" and placeholder times give undefined. */
export function optUtcIso(value: unknown, field: string, zone?: string, o: ZoneOptions = {}): string | undefined {
  return parseOptionalInstant(value, field, options(zone, o))?.toISOString();
}

/** Seconds above this are almost certainly milliseconds (1e11 s is the year 5138). */
const MAX_SECONDS = 1e11;

/** Unix seconds (a positive whole number) -> UTC ISO string. */
export function fromUnixSeconds(n: unknown, field: string): string {
  if (n === undefined || n === null) throw badInput(`${field} is required.`, { field });
  if (typeof n !== "number" || !Number.isInteger(n) || n <= 0) {
    throw badInput(`${field} must be unix seconds (a positive whole number), got ${show(n)}.`, { field });
  }
  if (n >= MAX_SECONDS) throw badInput(`${field} ${n} looks like milliseconds; send unix seconds.`, { field });
  return DateTime.fromSeconds(n, { zone: "utc" }).toISO()!;
}

/** Optional unix seconds: absent, null and the placeholder 0 mean "not set". */
export function optUnixSeconds(n: unknown, field: string): string | undefined {
  return n === undefined || n === null || isPlaceholderTime(n) ? undefined : fromUnixSeconds(n, field);
}
