import { DateTime, IANAZone } from "luxon";
import { badInput } from "./errors";

/**
 * A calendar day in a zone, as UTC bounds [from, to). "Yesterday in New York" is
 * computed in New York, once; a DST day is 23 or 25 hours long.
 */
export function dayInZone(date: string, zone: string, field = "placedOnDate"): { from: Date; to: Date } {
  if (!zone.includes("/") && zone !== "UTC") throw badInput(`timeZone "${zone.slice(0, 40)}" must be an IANA zone such as America/New_York.`, { field: "timeZone" });
  if (!IANAZone.isValidZone(zone)) throw badInput(`timeZone "${zone.slice(0, 40)}" is not an IANA zone.`, { field: "timeZone" });
  const start = DateTime.fromISO(date, { zone });
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || !start.isValid) throw badInput(`${field} must be a date like 2026-11-01.`, { field });
  return { from: start.startOf("day").toUTC().toJSDate(), to: start.startOf("day").plus({ days: 1 }).toUTC().toJSDate() };
}

/** An instant must carry its offset; "2026-03-01 10:00" alone says nothing about where. */
export function parseInstant(value: string, field: string): Date {
  const dt = DateTime.fromISO(value, { setZone: true });
  if (!dt.isValid) throw badInput(`${field} "${value.slice(0, 40)}" is not an ISO-8601 time.`, { field });
  if (!/(Z|[+-]\d{2}:?\d{2})$/i.test(value.trim())) {
    throw badInput(`${field} "${value.slice(0, 40)}" has no UTC offset; send it with Z or +08:00.`, { field });
  }
  return dt.toUTC().toJSDate();
}
