import { forbidden, unauthenticated } from "./errors";
import type { Channel } from "./types";

export const ROLES = ["customer", "cs_agent", "cs_supervisor", "finance", "warehouse", "bi_analyst", "admin", "channel"] as const;
export type Role = (typeof ROLES)[number];

/** Staff who may see every order and case (each subgraph may narrow this further). */
export const STAFF_ROLES: readonly Role[] = ["cs_agent", "cs_supervisor", "finance", "warehouse", "bi_analyst", "admin"];

/** The verified caller, as the gateway passes it on. Customers carry their customer key. */
export interface Principal {
  sub: string;
  roles: Role[];
  /** Numeric key of the golden customer, for role `customer`. */
  customerKey?: number;
  /** The one channel a `channel` token acts for (its `channel` claim). */
  channel?: Channel;
}

export function hasRole(p: Principal | null, ...roles: Role[]): boolean {
  return !!p && p.roles.some((r) => roles.includes(r));
}

export function isStaff(p: Principal | null): boolean {
  return hasRole(p, ...STAFF_ROLES);
}

export function requireSignedIn(p: Principal | null): Principal {
  if (!p) throw unauthenticated();
  return p;
}

export function requireRole(p: Principal | null, ...roles: Role[]): Principal {
  const signedIn = requireSignedIn(p);
  if (!hasRole(signedIn, ...roles)) throw forbidden(`This needs one of the roles: ${roles.join(", ")}.`);
  return signedIn;
}

/**
 * requireRole for an operation on one channel's data (ingest an order, map a SKU,
 * attach an identity): a channel token may only act for the channel it names. The
 * other roles allowed are not narrowed. Call it before anything is written.
 */
export function requireRoleForChannel(p: Principal | null, channel: Channel, ...roles: Role[]): Principal {
  const signedIn = requireRole(p, ...roles);
  if (hasRole(signedIn, ...roles.filter((r) => r !== "channel"))) return signedIn;
  if (signedIn.channel !== channel) throw forbidden(`This token acts for the ${signedIn.channel ?? "(unnamed)"} channel only; it cannot act for ${channel}.`);
  return signedIn;
}
