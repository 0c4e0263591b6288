import {
  defaultFieldResolver,
  getNamedType,
  isObjectType,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type GraphQLFieldResolver,
  type GraphQLSchema,
} from "graphql";
import { forbidden, unauthenticated } from "./errors";
import { maskPayloadJson, maskPhone, type PayloadView } from "./masking";
import type { Principal, Role } from "./principal";

/**
 * Who sees which field, for every object type of the public schema: one table, applied
 * in one place (applyVisibility wraps every field resolver of each subgraph's schema,
 * entity fields reached through _entities included).
 *
 * This is field-level: which rows a caller reaches (a shopper's own orders) stays with
 * the row rules next to the queries (canSeeOrder, visibleCustomer, ...), and who may run
 * an operation stays with its resolver. Query and Mutation are therefore not in here.
 *
 * Per audience a field is shown as is, masked, hidden (null; nullable fields only, a test
 * checks) or denied (FORBIDDEN, for fields an audience must not ask for at all).
 */

export const AUDIENCES = ["anonymous", "shopper", "staff", "bi", "channel", "admin"] as const;
export type Audience = (typeof AUDIENCES)[number];

const AUDIENCE_OF_ROLE: Record<Role, Audience> = {
  customer: "shopper",
  cs_agent: "staff",
  cs_supervisor: "staff",
  finance: "staff",
  warehouse: "staff",
  bi_analyst: "bi",
  channel: "channel",
  admin: "admin",
};

/** What maskers get besides the value. */
export interface VisibilityContext {
  principal: Principal | null;
  pseudonymKey: string;
}

export interface Masker {
  name: string;
  /** Between two maskers of a caller's roles the stricter (higher) wins, whatever the role order. */
  strictness: number;
  mask(value: unknown, parent: Record<string, unknown>, ctx: VisibilityContext): unknown;
}

export type Action = "show" | "hide" | "deny" | Masker;
export type Rule = Readonly<Record<Audience, Action>>;
/** "*" covers every field of a type that only carries other types (connections, edges). */
export type Policy = Readonly<Record<string, Readonly<Record<string, Rule>>>>;

/** A rule: `signedIn` for every signed-in audience not named; anonymous callers are denied unless named. */
function rule(spec: Partial<Record<Audience, Action>> & { signedIn: Action }): Rule {
  const { signedIn, ...named } = spec;
  return Object.fromEntries(AUDIENCES.map((a) => [a, named[a] ?? (a === "anonymous" ? "deny" : signedIn)])) as Rule;
}

const PUBLIC = rule({ signedIn: "show", anonymous: "show" });
/** Whoever reaches the row (the row rules decide) sees the field. */
const SIGNED_IN = rule({ signedIn: "show" });
/** The hub's own people: staff, BI and admins. Shoppers and channels may not ask. */
const HUB_STAFF = rule({ signedIn: "deny", staff: "show", bi: "show", admin: "show" });
const ADMIN_ONLY = rule({ signedIn: "deny", admin: "show" });
/** A person's name, street or raw channel account id: not for BI. */
const PERSON = rule({ signedIn: "show", bi: "hide" });
/** Staff internals: hidden from shoppers and channels. */
const INTERNAL = rule({ signedIn: "show", shopper: "hide", channel: "hide" });
/** Free text and staff ids written by staff: for staff only (free text may quote a person). */
const STAFF_TEXT = rule({ signedIn: "show", shopper: "hide", channel: "hide", bi: "hide" });
/** Staff fields whose text may quote a person: not for BI either. */
const HUB_STAFF_TEXT = rule({ signedIn: "deny", staff: "show", bi: "hide", admin: "show" });
/**
 * Pseudonyms are for counting buyers without seeing who: BI and staff. Beside the raw
 * account id a shopper or channel sees, they would make a re-identification dictionary.
 * Not nullable in the schema, so denied rather than hidden.
 */
const PSEUDONYM = HUB_STAFF;

const masked = (name: string, mask: Masker["mask"], strictness = 1): Masker => ({ name, strictness, mask });
/** A phone that is not a string cannot be masked: nothing of it is shown. */
const phone = masked("phone", (v) => (typeof v === "string" ? maskPhone(v) : null));
const payload = (view: PayloadView) => masked(`payload:${view}`, (v, _p, ctx) => (typeof v === "string" ? maskPayloadJson(v, view, ctx.pseudonymKey) : v), view === "bi" ? 2 : 1);
/** A lineage value is what its field is: a name or an address is hidden, a phone masked. */
const lineageValue = masked("lineage-value", (v, parent) => {
  if (parent.field === "phone") return typeof v === "string" ? maskPhone(v) : null;
  if (typeof v !== "string") return v;
  return ["displayName", "address", "name"].includes(String(parent.field)) ? null : v;
});

const PHONE = rule({ signedIn: "show", bi: phone });
const EVENT_DATA = rule({ signedIn: "show", shopper: payload("external"), channel: payload("external"), bi: payload("bi") });

const every = (r: Rule) => ({ "*": r });
const CONNECTIONS = ["AfterSalesCase", "Customer", "CustomerChange", "CustomerMatchCandidate", "Order", "OrderException", "OutboundDelivery", "Product"];

export const POLICY: Policy = {
  ...Object.fromEntries(CONNECTIONS.flatMap((t) => [[`${t}Connection`, every(PUBLIC)], [`${t}Edge`, every(PUBLIC)]])),
  PageInfo: every(PUBLIC),
  Money: { amount: PUBLIC, currencyCode: PUBLIC },

  Order: {
    id: SIGNED_IN,
    number: SIGNED_IN,
    channel: SIGNED_IN,
    channelOrderId: SIGNED_IN,
    status: SIGNED_IN,
    placedAt: SIGNED_IN,
    buyerChannelCustomerId: PERSON,
    buyerPseudonym: PSEUDONYM,
    // Not in the public API (@inaccessible): only the gateway asks for it, to resolve
    // Order.customer in the customers subgraph (@requires). Hiding it would break that.
    buyerAccount: SIGNED_IN,
    customer: rule({ signedIn: "show", channel: "hide" }),
    subtotal: SIGNED_IN,
    discount: SIGNED_IN,
    shippingFee: SIGNED_IN,
    total: SIGNED_IN,
    shippingAddress: SIGNED_IN,
    promisedDeliveryBy: SIGNED_IN,
    onHold: SIGNED_IN,
    holdReason: STAFF_TEXT,
    statusChangedAt: SIGNED_IN,
    updatedAt: SIGNED_IN,
    lines: SIGNED_IN,
    events: SIGNED_IN,
    priority: HUB_STAFF,
    exceptions: HUB_STAFF,
    afterSalesCases: SIGNED_IN,
  },
  Address: { province: SIGNED_IN, city: SIGNED_IN, district: SIGNED_IN, detail: PERSON },
  OrderLine: {
    id: SIGNED_IN,
    channel: SIGNED_IN,
    channelSkuId: SIGNED_IN,
    title: SIGNED_IN,
    quantity: SIGNED_IN,
    unitPrice: SIGNED_IN,
    discount: SIGNED_IN,
    lineTotal: SIGNED_IN,
    product: SIGNED_IN,
  },
  OrderEvent: {
    id: SIGNED_IN,
    sequence: SIGNED_IN,
    type: SIGNED_IN,
    source: SIGNED_IN,
    actor: STAFF_TEXT,
    occurredAt: SIGNED_IN,
    recordedAt: SIGNED_IN,
    data: EVENT_DATA,
  },
  OrderPriority: { level: HUB_STAFF, score: HUB_STAFF, reasons: HUB_STAFF },
  OrderException: {
    id: HUB_STAFF,
    kind: HUB_STAFF,
    stage: HUB_STAFF,
    detail: HUB_STAFF,
    openedAt: HUB_STAFF,
    resolvedAt: HUB_STAFF,
    resolvedBy: HUB_STAFF_TEXT,
    resolution: HUB_STAFF_TEXT,
    order: HUB_STAFF,
  },

  Customer: {
    id: SIGNED_IN,
    // A channel gets back the customer it registered an identity for: the golden record
    // holds what other channels sent, which is theirs to share (outbound webhooks), not ours to answer.
    displayName: rule({ signedIn: "show", bi: "hide", channel: "hide" }),
    phone: rule({ signedIn: "show", bi: phone, channel: "hide" }),
    tier: SIGNED_IN,
    createdAt: SIGNED_IN,
    address: rule({ signedIn: "show", channel: "hide" }),
    marketingOptIn: SIGNED_IN,
    identities: rule({ signedIn: "show", channel: "deny" }),
    lineage: rule({ signedIn: "show", channel: "deny" }),
    orders: rule({ signedIn: "show", channel: "deny" }),
  },
  CustomerAddress: { code: SIGNED_IN, province: SIGNED_IN, city: SIGNED_IN, district: SIGNED_IN, detail: PERSON, flagged: SIGNED_IN },
  ChannelIdentity: {
    id: SIGNED_IN,
    channel: SIGNED_IN,
    channelCustomerId: PERSON,
    pseudonym: PSEUDONYM,
    name: PERSON,
    phone: PHONE,
    address: SIGNED_IN,
    reportedTier: SIGNED_IN,
    marketingOptIn: SIGNED_IN,
    observedAt: SIGNED_IN,
  },
  LineageEntry: { field: SIGNED_IN, value: rule({ signedIn: "show", bi: lineageValue }), rule: SIGNED_IN, source: SIGNED_IN },
  CustomerChange: {
    id: HUB_STAFF,
    type: HUB_STAFF,
    customerId: HUB_STAFF,
    source: HUB_STAFF,
    actor: HUB_STAFF_TEXT,
    recordedAt: HUB_STAFF,
    data: rule({ signedIn: "deny", staff: "show", admin: "show", bi: payload("bi") }),
  },
  CustomerMatchCandidate: {
    id: HUB_STAFF,
    score: HUB_STAFF,
    // Evidence quotes phones and addresses.
    evidence: rule({ signedIn: "deny", staff: "show", admin: "show" }),
    status: HUB_STAFF,
    createdAt: HUB_STAFF,
    customers: HUB_STAFF,
  },
  OutboundDelivery: {
    id: ADMIN_ONLY,
    channel: ADMIN_ONLY,
    type: ADMIN_ONLY,
    customerId: ADMIN_ONLY,
    webhookId: ADMIN_ONLY,
    status: ADMIN_ONLY,
    attempts: ADMIN_ONLY,
    nextAttemptAt: ADMIN_ONLY,
    lastError: ADMIN_ONLY,
    deliveredAt: ADMIN_ONLY,
    createdAt: ADMIN_ONLY,
  },

  // The catalog is public.
  Product: { id: PUBLIC, sku: PUBLIC, title: PUBLIC, attributes: PUBLIC, channelSkus: PUBLIC },
  ProductAttribute: { name: PUBLIC, value: PUBLIC },
  ChannelSku: { channel: PUBLIC, channelSkuId: PUBLIC },

  AfterSalesCase: {
    id: SIGNED_IN,
    type: SIGNED_IN,
    status: SIGNED_IN,
    // The shopper's own words, read by staff; may quote a person. Not nullable, so denied to BI.
    reason: rule({ signedIn: "show", bi: "deny" }),
    requestedAmount: SIGNED_IN,
    createdAt: SIGNED_IN,
    lines: SIGNED_IN,
    order: SIGNED_IN,
  },
  AfterSalesLine: { orderLine: SIGNED_IN, quantity: SIGNED_IN, amount: SIGNED_IN },

  // The event spine's failures (the gateway's operations subgraph): admins only, since an
  // error message may quote the data of the event it failed on.
  ParkedEventConnection: every(ADMIN_ONLY),
  ParkedEventEdge: every(ADMIN_ONLY),
  ParkedEvent: every(ADMIN_ONLY),
  ParkedEventRetry: every(ADMIN_ONLY),
};

/** Types the policy does not cover: operations (authorized by their resolvers) and federation's own. */
export function isExemptType(schema: GraphQLSchema, typeName: string): boolean {
  const roots = [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].map((t) => t?.name);
  return roots.includes(typeName) || typeName.startsWith("__") || typeName === "_Service";
}

export function ruleFor(typeName: string, fieldName: string, policy: Policy = POLICY): Rule | undefined {
  const type = policy[typeName];
  return type?.[fieldName] ?? type?.["*"];
}

const RANK = { deny: 0, hide: 1, mask: 2, show: 3 };
const rankOf = (a: Action) => RANK[typeof a === "string" ? a : "mask"];

/** With several roles, the most open action of any of them; between two maskers the stricter. */
export function actionFor(rule: Rule, principal: Principal | null): Action {
  if (!principal || principal.roles.length === 0) return rule.anonymous;
  let best: Action = "deny";
  for (const role of principal.roles) {
    const action = rule[AUDIENCE_OF_ROLE[role]] ?? "deny";
    if (rankOf(action) > rankOf(best)) best = action;
    else if (typeof action === "object" && typeof best === "object" && action.strictness > best.strictness) best = action;
  }
  return best;
}

const isPromiseLike = (v: unknown): v is PromiseLike<unknown> => typeof (v as PromiseLike<unknown> | null)?.then === "function";

function guard(typeName: string, fieldName: string, rule: Rule, resolve: GraphQLFieldResolver<unknown, VisibilityContext>): GraphQLFieldResolver<unknown, VisibilityContext> {
  return (source, args, ctx, info) => {
    const action = actionFor(rule, ctx.principal);
    if (action === "show") return resolve(source, args, ctx, info);
    if (action === "hide") return null;
    if (action === "deny") throw ctx.principal ? forbidden(`You may not see ${typeName}.${fieldName}.`) : unauthenticated();
    const value = resolve(source, args, ctx, info);
    const apply = (v: unknown) => (v === null || v === undefined ? v : action.mask(v, source as Record<string, unknown>, ctx));
    return isPromiseLike(value) ? value.then(apply) : apply(value);
  };
}

/**
 * Puts every field of the schema behind its rule. A field without a rule stops the
 * subgraph from starting: nothing is served that the policy does not name.
 */
export function applyVisibility(schema: GraphQLSchema, policy: Policy = POLICY): void {
  const missing: string[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || isExemptType(schema, type.name)) continue;
    for (const field of Object.values(type.getFields())) {
      const rule = ruleFor(type.name, field.name, policy);
      if (!rule) {
        missing.push(`${type.name}.${field.name}`);
        continue;
      }
      // Shown to everyone, anonymous callers included: a guard would only cost a call per value.
      if (AUDIENCES.every((a) => rule[a] === "show")) continue;
      field.resolve = guard(type.name, field.name, rule, (field.resolve ?? defaultFieldResolver) as GraphQLFieldResolver<unknown, VisibilityContext>);
    }
  }
  if (missing.length) throw new Error(`No visibility rule for ${missing.join(", ")}: add them to subgraphs/kernel/visibility.ts.`);
}

/**
 * The fields of an operation its caller is denied, found before anything runs. The
 * gateway refuses a mutation that asks for one: answering with an error after the
 * write would leave a changed row behind a rejected request.
 */
export function deniedFields(schema: GraphQLSchema, document: DocumentNode, principal: Principal | null, policy: Policy = POLICY): string[] {
  const typeInfo = new TypeInfo(schema);
  const denied = new Set<string>();
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        const parent = typeInfo.getParentType();
        // Meta fields (__typename) name the type, never data; clients add them everywhere.
        if (node.name.value.startsWith("__")) return;
        if (!parent || !isObjectType(getNamedType(parent)) || isExemptType(schema, parent.name)) return;
        const rule = ruleFor(parent.name, node.name.value, policy);
        if (!rule || actionFor(rule, principal) === "deny") denied.add(`${parent.name}.${node.name.value}`);
      },
    }),
  );
  return [...denied];
}
