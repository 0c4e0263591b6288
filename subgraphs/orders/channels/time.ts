import { DateTime, IANAZone } from "luxon";
import { badInput } from "../../kernel/errors";

/**
 * Channel times -> UTC ISO strings ("2026-11-01T05:00:00.000Z"). All zone math is luxon's.
 *
 * Accepted inputs:
 *  - ISO-8601 with an offset: "2026-11-01T13:00:00+08:00", "2026-11-01T05:00:00Z"
 *    (a space instead of "T" is accepted too);
 *  - zone-less "yyyy-MM-dd HH:mm:ss" or ISO without offset ("2026-11-01T20:15:00"),
 *    read as wall-clock time in the given IANA zone.
 * A time of day is required: a bare date is not an instant.
 *
 * DST, as luxon resolves it (pinned by test/unit/adapters.test.ts):
 *  - a local time that does not exist (spring-forward gap, e.g. 2026-03-08 02:30 in
 *    America/New_York) is moved forward by the gap: 03:30 EDT = 07:30Z;
 *  - an ambiguous local time (fall-back overlap, e.g. 2026-11-01 01:30 in
 *    America/New_York) resolves to the later occurrence, standard time: 01:30 EST = 06:30Z.
 * A channel that needs the other reading must send an offset.
 */

const SHAPE = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?)(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

export interface ZoneOptions {
  /** Where the zone came from, named in the error if it is not a valid IANA zone. Default "channelZone". */
  zoneField?: string;
  /** Appended to the "no time zone" error, e.g. "Set store.timezone in the receipt." */
  missingZoneHint?: string;
}

/**
 * Throws BAD_USER_INPUT unless `zone` is an IANA "Area/Location" name (or "UTC"). Bare
 * abbreviations and legacy names are refused even though ICU knows some of them: ICU reads
 * "CST" as America/Chicago, while a Chinese shop writing "CST" means China Standard Time.
 */
export function assertZone(zone: unknown, field = "channelZone"): string {
  if (typeof zone !== "string" || !(zone.includes("/") || zone.toUpperCase() === "UTC") || !IANAZone.isValidZone(zone)) {
    throw badInput(`${field} ${JSON.stringify(zone)?.slice(0, 60)} is not an IANA time zone such as "Asia/Shanghai".`, { field });
  }
  return zone;
}

function show(value: unknown): string {
  return (JSON.stringify(value) ?? String(value)).slice(0, 60);
}

/** A channel time -> "yyyy-MM-ddTHH:mm:ss.SSSZ" in UTC. See the module comment for what is accepted. */
export function toUtcIso(value: unknown, field: string, zone?: string, options: ZoneOptions = {}): string {
  if (value === undefined || value === null || value === "") throw badInput(`${field} is required.`, { field });
  if (typeof value !== "string") {
    throw badInput(`${field} must be a time string such as "2026-11-01 20:15:00", got ${show(value)}.`, { field });
  }
  // Validate a declared zone even when this value has an offset: a misconfigured zone should surface.
  const zoneName = zone === undefined ? undefined : assertZone(zone, options.zoneField ?? "channelZone");
  const m = SHAPE.exec(value.trim());
  if (!m) {
    throw badInput(
      `${field} ${show(value)} is not a time; use ISO-8601 ("2026-11-01T20:15:00+08:00") or "yyyy-MM-dd HH:mm:ss".`,
      { field },
    );
  }
  const [, date, time, offset] = m;
  const iso = `${date}T${time.replace(",", ".")}`;
  let dt: DateTime;
  if (offset) {
    dt = DateTime.fromISO(iso + offset.toUpperCase(), { setZone: true });
  } else {
    if (zoneName === undefined) {
      const hint = options.missingZoneHint ? ` ${options.missingZoneHint}` : "";
      throw badInput(
        `${field} ${show(value)} has no UTC offset and the channel declared no time zone, so the instant is unknown.${hint}`,
        { field },
      );
    }
    dt = DateTime.fromISO(iso, { zone: zoneName });
  }
  if (!dt.isValid) throw badInput(`${field} ${show(value)} is not a valid date and time.`, { field });
  return dt.toUTC().toISO()!;
}

/** Like toUtcIso, but undefined / null / "" give undefined. */
export function optUtcIso(value: unknown, field: string, zone?: string, options?: ZoneOptions): string | undefined {
  return value === undefined || value === null || value === "" ? undefined : toUtcIso(value, field, zone, options);
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
