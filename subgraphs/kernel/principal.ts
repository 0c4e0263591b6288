import { forbidden, unauthenticated } from "./errors";

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
}

export function hasRole(p: Principal | null, ...roles: Role[]): boolean {
  return !!p && p.roles.some((r) => roles.includes(r));
}

export function isStaff(p: Principal | null): boolean {
  return hasRole(p, ...STAFF_ROLES);
}

/** Personal data is masked for BI: they get aggregates, not people. */
export function seesPersonalData(p: Principal | null): boolean {
  return hasRole(p, "customer", "cs_agent", "cs_supervisor", "finance", "warehouse", "admin");
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
