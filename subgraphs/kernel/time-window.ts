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
