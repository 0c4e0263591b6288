import { createHmac } from "node:crypto";
import type * as PhoneNumbers from "libphonenumber-js/max";

/**
 * The maskers the visibility policy uses. Pure functions of their input (and the
 * pseudonym key), so each can be tested on its own.
 */

/**
 * libphonenumber-js, loaded on the first phone masked: its metadata takes several MB, and
 * the gateway process loads this module (through the visibility policy) but masks no phone.
 */
let phoneNumberLib: typeof PhoneNumbers | undefined;
const phoneNumbers = () => (phoneNumberLib ??= require("libphonenumber-js/max") as typeof PhoneNumbers);

/**
 * Keeps the country calling code and the last four digits; every other digit becomes
 * `*`: +85291234567 -> +852****4567, +8613800138000 -> +86*******8000. A value that is
 * not a parseable number keeps only its last four digits.
 */
export function maskPhone(phone: string): string {
  const parsed = phoneNumbers().parsePhoneNumberFromString(phone);
  const digits = phone.replace(/\D/g, "");
  const prefix = parsed && digits.startsWith(parsed.countryCallingCode) ? parsed.countryCallingCode : "";
  const national = digits.slice(prefix.length);
  const keep = national.length > 4 ? 4 : 0;
  return `${prefix ? `+${prefix}` : ""}${"*".repeat(national.length - keep)}${national.slice(national.length - keep)}`;
}

/**
 * A stable stand-in for one channel account: a keyed HMAC, so the same account always
 * gives the same pseudonym (BI can count distinct buyers) but it cannot be reversed or
 * recomputed without the key.
 */
export function pseudonym(key: string, channel: string, channelCustomerId: string): string {
  return `psn_${createHmac("sha256", key).update(`${channel}\u0000${channelCustomerId}`).digest("base64url").slice(0, 27)}`;
}

/**
 * What each key of an event payload (order history, customer change feed) carries.
 * Keys not listed carry neither a person nor a staff internal. Matched at every depth.
 */
const PAYLOAD_KEYS: Record<string, "person" | "phone" | "account" | "place" | "internal" | "staff"> = {
  name: "person",
  displayName: "person",
  receiverName: "person",
  buyerNick: "person",
  recipient: "person",
  contact: "person",
  email: "person",
  deviceFingerprint: "person",
  phone: "phone",
  mobile: "phone",
  channelCustomerId: "account",
  buyerChannelCustomerId: "account",
  address: "place",
  shippingAddress: "place",
  // Written by staff or the matcher, for staff: exception details and match scores.
  detail: "internal",
  stage: "internal",
  skus: "internal",
  score: "internal",
  match: "internal",
  // Free text and staff ids, for staff only: reasons, resolutions and steward notes are
  // typed by people and may quote a person; match evidence quotes phones and addresses.
  reason: "staff",
  holdReason: "staff",
  note: "staff",
  resolution: "staff",
  evidence: "staff",
  actor: "staff",
  resolvedBy: "staff",
  decidedBy: "staff",
  requestedBy: "staff",
};

/** Inside a place: the street and the one-line text are the person's; the region is not. */
const STREET_KEYS = new Set(["detail", "text"]);

/**
 * - `external`: a shopper or a channel, looking at their own data: staff internals are left out.
 * - `bi`: no person: names, contacts, devices and streets are left out, phones are
 *   masked (a phone that is not a string is left out), channel account ids become
 *   pseudonyms; free text and staff ids (reasons, notes, match evidence, actors) are
 *   left out too.
 */
export type PayloadView = "external" | "bi";

export function maskPayload(payload: unknown, view: PayloadView, pseudonymKey: string): unknown {
  const walk = (value: unknown, channel: string | undefined, inPlace: boolean): unknown => {
    if (Array.isArray(value)) return value.map((v) => walk(v, channel, inPlace));
    if (!value || typeof value !== "object") return value;
    const record = value as Record<string, unknown>;
    const here = typeof record.channel === "string" ? record.channel : channel;
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(record)) {
      const kind = inPlace && STREET_KEYS.has(key) ? "street" : PAYLOAD_KEYS[key];
      if (view === "external") {
        if (kind === "internal" || kind === "staff") continue;
      } else if (kind === "person" || kind === "street" || kind === "staff") {
        continue;
      } else if (kind === "phone") {
        // A number or an object under a phone key cannot be masked: leave it out.
        if (typeof v === "string") out[key] = maskPhone(v);
        continue;
      } else if (kind === "account") {
        if (typeof v === "string" && here) out[key] = pseudonym(pseudonymKey, here, v);
        continue;
      }
      out[key] = walk(v, here, kind === "place" || (inPlace && kind === undefined));
    }
    return out;
  };
  return walk(payload, undefined, false);
}

/** maskPayload for a JSON text (the form the API serves payloads in). */
export function maskPayloadJson(json: string, view: PayloadView, pseudonymKey: string): string {
  return JSON.stringify(maskPayload(JSON.parse(json), view, pseudonymKey));
}
