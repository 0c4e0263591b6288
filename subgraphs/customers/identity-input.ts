import { assertCount, assertLength, MAX_IDS, optionalText, TEXT_LIMITS } from "../kernel/bounds";
import type { RegisterIdentityInput } from "./schema";

/**
 * Bounds of what a caller may register about a channel identity (kernel/bounds.ts), checked
 * before anything is written, so an over-long value is a BAD_USER_INPUT naming its field.
 */
export function checkIdentityInput(input: RegisterIdentityInput): void {
  optionalText(input.channelCustomerId, "channelCustomerId", "channelCustomerId");
  optionalText(input.name, "name", "personName");
  optionalText(input.phone, "phone", "phone");
  optionalText(input.deviceFingerprint, "deviceFingerprint", "deviceFingerprint");
  optionalText(input.reportedTier, "reportedTier", "reportedTier");
  const a = input.address;
  if (a) {
    optionalText(a.text, "address.text", "addressDetail");
    optionalText(a.province, "address.province", "region");
    optionalText(a.city, "address.city", "region");
    optionalText(a.district, "address.district", "region");
    optionalText(a.detail, "address.detail", "addressDetail");
  }
}

/** A steward's note on a merge or unmerge, and the customers it names. */
export function checkStewardAction(note: string | null | undefined, ids: readonly string[], idsField: string): void {
  if (note) assertLength(note, "note", TEXT_LIMITS.reason);
  assertCount(ids, idsField, MAX_IDS);
}
