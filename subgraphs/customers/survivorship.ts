import type { GoldenAddress, LineageRecord } from "./entities";
import { CustomerTier } from "./entities";

/**
 * The golden record from its channel identities, one explicit rule per field. Every
 * value records which identity and which rule won, so anyone can see why.
 */
export interface SourceIdentity {
  id: number;
  channel: string;
  name: string | null;
  phone: string | null;
  phoneVerified: boolean;
  address: GoldenAddress | null;
  marketingOptIn: boolean | null;
  observedAt: Date;
}

/**
 * How far each channel's personal data is trusted: a POS member card is shown in
 * person; the own web store holds a verified account; marketplaces pass on what the
 * buyer typed, with Douyin the least curated.
 */
export const CHANNEL_TRUST: Record<string, number> = { POS: 5, WEB: 4, JD: 3, TAOBAO: 2, DOUYIN: 1 };

/** Lifetime paid amount (CNY, major units) from which each tier applies. */
export const TIER_THRESHOLDS: ReadonlyArray<{ tier: CustomerTier; atLeast: number }> = [
  { tier: CustomerTier.PLATINUM, atLeast: 10_000 },
  { tier: CustomerTier.GOLD, atLeast: 5_000 },
  { tier: CustomerTier.SILVER, atLeast: 1_000 },
  { tier: CustomerTier.STANDARD, atLeast: 0 },
];

export interface Golden {
  displayName: string;
  phone: string | null;
  address: GoldenAddress | null;
  marketingOptIn: boolean | null;
  tier: CustomerTier;
  lineage: LineageRecord[];
}

const newestFirst = (a: SourceIdentity, b: SourceIdentity) => b.observedAt.getTime() - a.observedAt.getTime() || b.id - a.id;

function pick<T>(field: string, candidates: SourceIdentity[], value: (s: SourceIdentity) => T | null, order: (a: SourceIdentity, b: SourceIdentity) => number, rule: string) {
  const winner = candidates.filter((s) => value(s) !== null && value(s) !== undefined).sort(order)[0];
  return winner ? { value: value(winner)!, lineage: { field, value: String(value(winner)), identityId: winner.id, rule } } : null;
}

export function survivorship(sources: SourceIdentity[], lifetimePaidCnyMinor: number, fallbackName: string): Golden {
  const lineage: LineageRecord[] = [];

  // Name: most trusted source, then the most complete spelling, then the most recent.
  const name = pick(
    "displayName",
    sources,
    (s) => s.name,
    (a, b) => (CHANNEL_TRUST[b.channel] ?? 0) - (CHANNEL_TRUST[a.channel] ?? 0) || (b.name?.length ?? 0) - (a.name?.length ?? 0) || newestFirst(a, b),
    "most trusted source",
  );
  lineage.push(name?.lineage ?? { field: "displayName", value: fallbackName, identityId: null, rule: "no name given: channel account" });

  // Phone: verified beats unverified, then the most recent.
  const phone = pick("phone", sources, (s) => s.phone, (a, b) => Number(b.phoneVerified) - Number(a.phoneVerified) || newestFirst(a, b), "verified beats unverified, then most recent");
  if (phone) lineage.push(phone.lineage);

  // Address: a known place beats an unknown one, then the most recent.
  const address = pick("address", sources, (s) => s.address, (a, b) => Number(!b.address?.flagged) - Number(!a.address?.flagged) || newestFirst(a, b), "known place, then most recent");
  if (address) lineage.push({ ...address.lineage, value: address.value.text });

  // Consent: the most recent statement; an opt-out always beats an opt-in that is not newer.
  const consent = pick("marketingOptIn", sources, (s) => s.marketingOptIn, (a, b) => b.observedAt.getTime() - a.observedAt.getTime() || Number(a.marketingOptIn) - Number(b.marketingOptIn), "most recent; opt-out beats an older or equal opt-in");
  if (consent) lineage.push(consent.lineage);

  // Tier: one value for the hub, from the lifetime paid amount on every channel.
  const major = lifetimePaidCnyMinor / 100;
  const tier = TIER_THRESHOLDS.find((t) => major >= t.atLeast)!.tier;
  lineage.push({ field: "tier", value: tier, identityId: null, rule: `lifetime paid ${major.toFixed(2)} CNY across all channels` });

  return { displayName: name?.value ?? fallbackName, phone: phone?.value ?? null, address: address?.value ?? null, marketingOptIn: consent?.value ?? null, tier, lineage };
}
