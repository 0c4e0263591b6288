import { GraphQLError } from "graphql";
import { isPlaceholderTime, parseInstant, parseOptionalInstant, parseRequiredInstant } from "../../subgraphs/kernel/instant";

function refusal(value: unknown, zone?: string): string {
  try {
    parseInstant(value, "t", { zone });
  } catch (err) {
    expect(err).toBeInstanceOf(GraphQLError);
    expect((err as GraphQLError).extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "t" });
    return (err as GraphQLError).message;
  }
  throw new Error(`${JSON.stringify(value)} was accepted`);
}

describe("the hub's instant parser: strict ISO-8601", () => {
  test.each([
    ["2026-10-01T12:00:00+08", "2026-10-01T04:00:00.000Z"],
    ["2026-10-01T12:00:00+0800", "2026-10-01T04:00:00.000Z"],
    ["2026-10-01T12:00:00+08:00", "2026-10-01T04:00:00.000Z"],
    ["2026-10-01T12:00:00-05:30", "2026-10-01T17:30:00.000Z"],
    ["2026-10-01T04:00:00Z", "2026-10-01T04:00:00.000Z"],
    ["2026-10-01T04:00Z", "2026-10-01T04:00:00.000Z"],
    ["2026-10-01T12:00:00.250+08:00", "2026-10-01T04:00:00.250Z"],
    ["2026-11-20T02:00:00.000Z", "2026-11-20T02:00:00.000Z"],
    ["2026-10-01 12:00:00+08:00", "2026-10-01T04:00:00.000Z"],
  ])("%s is accepted as %s", (value, utc) => {
    expect(parseInstant(value, "t").toISOString()).toBe(utc);
  });

  test.each([
    ["2026-1001", /not an ISO-8601 time/],
    ["2026-10-01", /not an ISO-8601 time/],
    ["12:00", /not an ISO-8601 time/],
    ["20261001T120000Z", /not an ISO-8601 time/],
    ["2026-W40-4T12:00Z", /not an ISO-8601 time/],
    ["2026-10-01T12:00:00+8", /not an ISO-8601 time/],
    ["2026-02-30T12:00:00Z", /not an ISO-8601 time/],
    ["2026-10-01T12:00:00+25:00", /beyond ±14:00/],
    ["2026-10-01T12:00:00", /no UTC offset/],
    ["0001-01-01T00:00:00Z", /outside the years 1000 to 9999/],
    ["", /required/],
    [1793542500, /must be an ISO-8601 time string/],
  ])("%s is refused", (value, message) => {
    expect(refusal(value)).toMatch(message);
  });

  test("a time without an offset is read in a zone only when the caller declares one", () => {
    expect(parseInstant("2026-10-01T12:00:00", "t", { zone: "Asia/Shanghai" }).toISOString()).toBe("2026-10-01T04:00:00.000Z");
    expect(parseInstant("2026-10-01 12:00:00", "t", { zone: "Asia/Shanghai" }).toISOString()).toBe("2026-10-01T04:00:00.000Z");
    // An offset wins over the declared zone.
    expect(parseInstant("2026-10-01T12:00:00Z", "t", { zone: "Asia/Shanghai" }).toISOString()).toBe("2026-10-01T12:00:00.000Z");
    // The declared zone does not make a loose form acceptable.
    expect(refusal("2026-1001", "Asia/Shanghai")).toMatch(/not an ISO-8601 time/);
    expect(refusal("2026-10-01", "Asia/Shanghai")).toMatch(/not an ISO-8601 time/);
  });

  test("placeholders for 'no time' are recognized and read as none when optional", () => {
    const zone = { zone: "Asia/Shanghai" };
    for (const v of ["0001-01-01 00:00:00", "0000-00-00 00:00:00", "1970-01-01 08:00:00", "1970-01-01T00:00:00Z", 0]) {
      expect({ v, placeholder: isPlaceholderTime(v, zone) }).toEqual({ v, placeholder: true });
      expect(parseOptionalInstant(v, "t", zone)).toBeNull();
    }
    expect(isPlaceholderTime("2026-11-01 10:00:00", zone)).toBe(false);
    expect(parseOptionalInstant("", "t")).toBeNull();
    expect(parseOptionalInstant("2026-11-01T10:00:00Z", "t")?.toISOString()).toBe("2026-11-01T10:00:00.000Z");
  });

  test("only the exact placeholders are 'no time': an early time or a typo is read, or refused, never dropped", () => {
    const zone = { zone: "Asia/Shanghai" };
    for (const v of ["0", "1970-01-01 00:00:00", "1970-01-01T08:00:00+08:00", "0001-01-01T00:00:00Z", "0000-00-00"]) {
      expect({ v, placeholder: isPlaceholderTime(v, zone) }).toEqual({ v, placeholder: true });
    }
    // A real time before 1970 is a time.
    expect(parseOptionalInstant("1969-07-20 20:17:00", "t", zone)?.toISOString()).toBe("1969-07-20T12:17:00.000Z");
    expect(parseOptionalInstant("1970-01-01 08:00:01", "t", zone)?.toISOString()).toBe("1970-01-01T00:00:01.000Z");
    // A typo within the DATETIME range is a time too (visible, not lost); outside it, refused.
    expect(parseOptionalInstant("1026-11-01T10:00:00Z", "t")?.toISOString()).toBe("1026-11-01T10:00:00.000Z");
    expect(() => parseOptionalInstant("0026-11-01T10:00:00Z", "t")).toThrow(/outside the years 1000 to 9999/);
    expect(() => parseOptionalInstant("0001-01-01 12:00:00", "t", zone)).toThrow(/outside the years 1000 to 9999/);
  });

  test("24:00:00 is refused, not rolled over to the next day", () => {
    expect(refusal("2026-10-01T24:00:00Z")).toMatch(/hours run from 00 to 23/);
    expect(refusal("2026-10-01 24:00:00", "Asia/Shanghai")).toMatch(/hours run from 00 to 23/);
    expect(() => parseOptionalInstant("2026-10-01T24:00Z", "t")).toThrow(/hours run from 00 to 23/);
  });

  test("a required time refuses the placeholders", () => {
    for (const v of ["1970-01-01T00:00:00Z", "1970-01-01 00:00:00", "0000-00-00 00:00:00"]) {
      expect(() => parseRequiredInstant(v, "placedAt")).toThrow(/placeholder/);
    }
  });
});
