import { DateTime } from "luxon";
import { badInput } from "./errors";
import { assertZone } from "./instant";

export { parseInstant } from "./instant";

/**
 * A calendar day in a zone, as UTC bounds [from, to). "Yesterday in New York" is
 * computed in New York, once; a DST day is 23 or 25 hours long.
 */
export function dayInZone(date: string, zone: string, field = "placedOnDate"): { from: Date; to: Date } {
  assertZone(zone, "timeZone");
  const start = DateTime.fromFormat(date, "yyyy-MM-dd", { zone });
  if (!start.isValid || start.year < 1000) throw badInput(`${field} must be a date like 2026-11-01.`, { field });
  return { from: start.startOf("day").toUTC().toJSDate(), to: start.startOf("day").plus({ days: 1 }).toUTC().toJSDate() };
}
