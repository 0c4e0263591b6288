import { parsePhoneNumberFromString } from "libphonenumber-js/max";

/**
 * Normalizes a phone as channels send it (spaces, dashes, 0086, full-width digits) to
 * E.164, reading numbers without a country code as Chinese. Returns null if it is not
 * a valid number.
 */
export function toE164(raw: string, defaultCountry: "CN" = "CN"): string | null {
  const folded = raw
    .normalize("NFKC")
    .replace(/^\s*\(?\s*(?:00|\+)?\s*86\s*\)?/, "+86")
    .replace(/[^\d+]/g, "");
  const parsed = parsePhoneNumberFromString(folded, defaultCountry);
  return parsed && parsed.isValid() ? parsed.number : null;
}
