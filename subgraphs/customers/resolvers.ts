import { Arg, Args, Ctx, Directive, FieldResolver, ID, Mutation, Query, Resolver, Root } from "type-graphql";
import { In, type DataSource } from "typeorm";
import { connectionType, decodeCursor, encodeCursor, PageArgs, paginate } from "../kernel/connection";
import { inTransaction } from "../kernel/database";
import { badInput, forbidden, notFound } from "../kernel/errors";
import { OutboxEvent } from "../kernel/events";
import { parseAnyGlobalId, parseGlobalId, toGlobalId } from "../kernel/global-id";
import { parseInstant } from "../kernel/time-window";
import { pseudonym } from "../kernel/masking";
import { hasRole, isStaff, requireRole, requireRoleForChannel, requireSignedIn, STAFF_ROLES, type Principal } from "../kernel/principal";
import type { SubgraphContext } from "../kernel/subgraph";
import { CandidateStatus, ChannelIdentityRow, CustomerRow, MatchCandidateRow } from "./entities";
import { resolveIdentity } from "./identities";
import { checkIdentityInput, checkStewardAction } from "./identity-input";
import type { CustomerLoaders } from "./loaders";
import { matchConfig } from "./match-config";
import { mergeCustomers, unmergeCustomer } from "./merges";
import { Node } from "./node";
import { loadDeliveryNode } from "./outbound-resolvers";
import {
  ChannelIdentity,
  Customer,
  CustomerChange,
  CustomerMatchCandidate,
  LineageEntry,
  Order,
  RegisterIdentityInput,
  toChannelIdentity,
  toCustomer,
} from "./schema";

type Ctx = SubgraphContext<CustomerLoaders>;

export const CustomerConnection = connectionType(Customer, "Customer");
export const CustomerMatchCandidateConnection = connectionType(CustomerMatchCandidate, "CustomerMatchCandidate");
export const CustomerChangeConnection = connectionType(CustomerChange, "CustomerChange");

const STEWARDS = ["admin", "cs_supervisor"] as const;

/** Staff see every customer; a shopper sees only their own record (following merges). */
async function visibleCustomer(ctx: Ctx, row: CustomerRow | null): Promise<CustomerRow | null> {
  if (!row) return null;
  if (isStaff(ctx.principal)) return row;
  if (hasRole(ctx.principal, "customer") && ctx.principal?.customerKey) {
    const own = await ctx.loaders.survivorById.load(ctx.principal.customerKey);
    return own?.id === row.id ? row : null;
  }
  return null;
}

export async function loadCustomerNode(ctx: Ctx, key: number): Promise<Customer> {
  requireSignedIn(ctx.principal);
  const row = await visibleCustomer(ctx, await ctx.loaders.survivorById.load(key));
  if (!row) throw notFound(`No customer ${toGlobalId("Customer", key)} that you can see.`);
  return toCustomer(row);
}

function toCandidate(row: MatchCandidateRow): CustomerMatchCandidate {
  return Object.assign(new CustomerMatchCandidate(), {
    id: toGlobalId("CustomerMatchCandidate", row.id),
    score: row.score,
    evidence: row.evidence,
    status: row.status,
    createdAt: row.createdAt,
    keys: [row.customerA, row.customerB] as [number, number],
  });
}

@Resolver(() => Customer)
export class CustomerResolver {
  @Query(() => Customer, { nullable: true, description: "The signed-in shopper; null for staff." })
  async me(@Ctx() ctx: Ctx): Promise<Customer | null> {
    const principal = requireSignedIn(ctx.principal);
    if (!principal.customerKey) return null;
    const row = await ctx.loaders.survivorById.load(principal.customerKey);
    return row ? toCustomer(row) : null;
  }

  @Query(() => Customer, { nullable: true, description: "A customer by ID. An absorbed customer's ID gives its survivor." })
  async customer(@Arg("id", () => ID) id: string, @Ctx() ctx: Ctx): Promise<Customer | null> {
    const key = parseGlobalId(id, "Customer");
    requireSignedIn(ctx.principal);
    const row = await visibleCustomer(ctx, await ctx.loaders.survivorById.load(key));
    return row ? toCustomer(row) : null;
  }

  @Query(() => CustomerConnection, { description: "Golden customers, oldest first (staff)." })
  async customers(
    @Ctx() ctx: Ctx,
    @Args(() => PageArgs) page: PageArgs,
  ) {
    requireRole(ctx.principal, ...STAFF_ROLES);
    const qb = ctx.ds.getRepository(CustomerRow).createQueryBuilder("c").where("c.mergedIntoId IS NULL");
    return paginate(qb, page, { order: "ASC", keys: [{ column: "c.id", kind: "n", of: (r) => r.id }] }, (r) => toCustomer(r));
  }

  @FieldResolver(() => [ChannelIdentity])
  async identities(@Root() customer: Customer, @Ctx() ctx: Ctx): Promise<ChannelIdentity[]> {
    return (await ctx.loaders.identitiesByCustomer.load(customer.key)).map((r) => toChannelIdentity(r));
  }

  @FieldResolver(() => [LineageEntry], { description: "Per golden field: the value, the identity it came from and the rule that won." })
  async lineage(@Root() customer: Customer, @Ctx() ctx: Ctx): Promise<LineageEntry[]> {
    const identities = await ctx.loaders.identitiesByCustomer.load(customer.key);
    return (customer.row.lineage ?? []).map((l) => {
      const source = identities.find((i) => i.id === l.identityId);
      return Object.assign(new LineageEntry(), {
        field: l.field,
        value: l.value,
        rule: l.rule,
        source: source ? toChannelIdentity(source) : null,
        identityKey: l.identityId,
      });
    });
  }

  @Mutation(() => Customer, {
    description: "Records a channel identity (or a channel's customer update) and resolves it to a golden customer (admin, cs_supervisor, or a channel token for its own channel).",
  })
  async registerChannelIdentity(@Arg("input") input: RegisterIdentityInput, @Ctx() ctx: Ctx): Promise<Customer> {
    const principal = requireRoleForChannel(ctx.principal, input.channel, "admin", "cs_supervisor", "channel");
    // Attaching to a chosen customer is a steward's call: a channel naming any customer
    // could pin its account to another channel's shopper and read that shopper's orders.
    if (input.customerId && !hasRole(principal, "admin", "cs_supervisor")) {
      throw forbidden("Only admin or cs_supervisor may attach an identity to a chosen customer (customerId); a channel token registers without it.");
    }
    checkIdentityInput(input);
    const customerKey = input.customerId ? parseGlobalId(input.customerId, "Customer") : null;
    const observedAt = input.observedAt ? parseInstant(input.observedAt, "observedAt") : null;
    const result = await inTransaction(ctx.ds, (em) =>
      resolveIdentity(em, { ...input, address: input.address?.text ?? input.address ?? null, customerKey, observedAt }, { config: matchConfig(ctx.env), clock: ctx.clock, source: "api", actor: principal.sub, strict: true }),
    );
    void ctx.relay.poke();
    const row = await ctx.ds.getRepository(CustomerRow).findOneByOrFail({ id: result.customerKey });
    return toCustomer(row);
  }

  @Mutation(() => Customer, { description: "Merges customers into a survivor (admin, cs_supervisor). Returns the survivor." })
  async mergeCustomers(
    @Arg("survivorId", () => ID) survivorId: string,
    @Arg("absorbedIds", () => [ID]) absorbedIds: string[],
    @Ctx() ctx: Ctx,
    @Arg("note", () => String, { nullable: true }) note?: string,
  ): Promise<Customer> {
    const principal = requireRole(ctx.principal, ...STEWARDS);
    checkStewardAction(note, absorbedIds, "absorbedIds");
    const survivor = parseGlobalId(survivorId, "Customer");
    const absorbed = absorbedIds.map((id) => parseGlobalId(id, "Customer"));
    const key = await inTransaction(ctx.ds, (em) => mergeCustomers(em, survivor, absorbed, { actor: principal.sub, note: note ?? null, clock: ctx.clock }));
    void ctx.relay.poke();
    return toCustomer(await ctx.ds.getRepository(CustomerRow).findOneByOrFail({ id: key }));
  }

  @Mutation(() => [Customer], { description: "Takes identities out of a customer; they go back to their own customer (admin, cs_supervisor)." })
  async unmergeCustomer(
    @Arg("id", () => ID) id: string,
    @Arg("identityIds", () => [ID]) identityIds: string[],
    @Ctx() ctx: Ctx,
    @Arg("note", () => String, { nullable: true }) note?: string,
  ): Promise<Customer[]> {
    const principal = requireRole(ctx.principal, ...STEWARDS);
    checkStewardAction(note, identityIds, "identityIds");
    const key = parseGlobalId(id, "Customer");
    const identities = identityIds.map((i) => parseGlobalId(i, "ChannelIdentity"));
    const keys = await inTransaction(ctx.ds, (em) => unmergeCustomer(em, key, identities, { actor: principal.sub, note: note ?? null, clock: ctx.clock }));
    void ctx.relay.poke();
    const rows = await ctx.ds.getRepository(CustomerRow).findBy({ id: In(keys) });
    return keys.map((k) => toCustomer(rows.find((r) => r.id === k)!));
  }
}

@Resolver(() => ChannelIdentity)
export class ChannelIdentityResolver {
  @FieldResolver()
  pseudonym(@Root() identity: ChannelIdentity, @Ctx() ctx: Ctx): string {
    return pseudonym(ctx.pseudonymKey, identity.channel, identity.channelCustomerId);
  }
}

@Resolver(() => CustomerMatchCandidate)
export class MatchCandidateResolver {
  @Query(() => CustomerMatchCandidateConnection, { description: "Pairs the matcher could not decide alone, oldest first (admin, cs_supervisor)." })
  async customerMatchCandidates(
    @Ctx() ctx: Ctx,
    @Args(() => PageArgs) page: PageArgs,
    @Arg("status", () => CandidateStatus, { nullable: true, defaultValue: CandidateStatus.OPEN }) status?: CandidateStatus,
  ) {
    requireRole(ctx.principal, ...STEWARDS);
    const qb = ctx.ds.getRepository(MatchCandidateRow).createQueryBuilder("m").where("m.status = :status", { status });
    return paginate(qb, page, { order: "ASC", keys: [{ column: "m.id", kind: "n", of: (r) => r.id }] }, toCandidate);
  }

  @FieldResolver(() => [Customer], { description: "The two customers, as they are now (an absorbed one shows its survivor)." })
  async customers(@Root() c: CustomerMatchCandidate, @Ctx() ctx: Ctx): Promise<Customer[]> {
    const rows = await ctx.loaders.survivorById.loadMany(c.keys);
    return rows.filter((r): r is CustomerRow => !!r && !(r instanceof Error)).map(toCustomer);
  }

  @Mutation(() => CustomerMatchCandidate, { description: "Marks a candidate pair as not the same person (admin, cs_supervisor)." })
  async dismissMatchCandidate(@Arg("id", () => ID) id: string, @Ctx() ctx: Ctx): Promise<CustomerMatchCandidate> {
    const principal = requireRole(ctx.principal, ...STEWARDS);
    const key = parseGlobalId(id, "CustomerMatchCandidate");
    const repo = ctx.ds.getRepository(MatchCandidateRow);
    const row = await repo.findOneBy({ id: key });
    if (!row) throw notFound(`No match candidate ${id}.`);
    if (row.status === CandidateStatus.OPEN) await repo.update({ id: key, status: CandidateStatus.OPEN }, { status: CandidateStatus.DISMISSED, decidedBy: principal.sub });
    return toCandidate(await repo.findOneByOrFail({ id: key }));
  }
}

/**
 * A poller may still hold a cursor from when the feed paged by event id: it is read as
 * that event's position, so the poller goes on where it was. Any other cursor is left to
 * paginate to check.
 */
async function positionCursor(ds: DataSource, cursor: string | null | undefined): Promise<string | null | undefined> {
  let key: Array<string | number> | null;
  try {
    key = decodeCursor(cursor, ["s"]);
  } catch {
    return cursor;
  }
  const row = key && (await ds.getRepository(OutboxEvent).findOneBy({ id: String(key[0]) }));
  return row && row.position !== null ? encodeCursor([row.position]) : cursor;
}

@Resolver(() => CustomerChange)
export class CustomerChangeResolver {
  @Query(() => CustomerChangeConnection, { description: "Every golden-record change and merge, in order (staff). Poll with after = the last cursor." })
  async customerChanges(
    @Ctx() ctx: Ctx,
    @Args(() => PageArgs) page: PageArgs,
  ) {
    requireRole(ctx.principal, ...STAFF_ROLES);
    // Pages by the feed position the relay gives each event as it publishes it, in commit
    // order: the id is made before commit, so a late commit would land behind a cursor.
    // Events not yet published have none and show up once they are.
    const qb = ctx.ds.getRepository(OutboxEvent).createQueryBuilder("e").where("e.type LIKE 'customer.%'").andWhere("e.position IS NOT NULL");
    page = { ...page, after: await positionCursor(ctx.ds, page.after), before: await positionCursor(ctx.ds, page.before) };
    return paginate(qb, page, { order: "ASC", keys: [{ column: "e.position", kind: "n", of: (r) => r.position! }] }, (r) => ({
      id: r.id,
      type: r.type,
      customerId: r.aggregateId,
      source: r.source,
      actor: r.actor,
      recordedAt: r.recordedAt,
      data: JSON.stringify(r.payload),
    }));
  }
}

@Resolver(() => Order)
export class OrderCustomerResolver {
  @FieldResolver(() => Customer, { nullable: true, description: "The golden customer behind the buyer's channel account." })
  @Directive('@requires(fields: "channel buyerAccount")')
  async customer(@Root() order: Order, @Ctx() ctx: Ctx): Promise<Customer | null> {
    const row = await visibleCustomer(ctx, await ctx.loaders.customerByIdentity.load(`${order.channel}:${order.buyerAccount}`));
    return row ? toCustomer(row) : null;
  }
}

/** Resolves any global ID. The owning subgraph resolves the fields and checks access. */
@Resolver()
export class NodeResolver {
  @Query(() => Node, { nullable: true, description: "Any entity by global ID." })
  async node(@Arg("id", () => ID) id: string, @Ctx() ctx: Ctx): Promise<Node | null> {
    return resolveNode(id, ctx);
  }

  @Query(() => [Node], { nullable: "items", description: "Several entities by global ID, in the order asked." })
  async nodes(@Arg("ids", () => [ID]) ids: string[], @Ctx() ctx: Ctx): Promise<Array<Node | null>> {
    if (ids.length > 100) throw badInput("nodes takes at most 100 IDs.", { argument: "ids" });
    ids.forEach((id) => parseAnyGlobalId(id));
    return Promise.all(ids.map((id) => resolveNode(id, ctx).catch(() => null)));
  }
}

async function resolveNode(id: string, ctx: Ctx): Promise<Node | null> {
  const { type, key } = parseAnyGlobalId(id);
  requireSignedIn(ctx.principal);
  if (type === "Customer") return loadCustomerNode(ctx, key);
  if (type === "ChannelIdentity") {
    const row = await ctx.ds.getRepository(ChannelIdentityRow).findOneBy({ id: key });
    if (!row || !(await visibleCustomer(ctx, await ctx.loaders.survivorById.load(row.customerId)))) throw notFound(`No identity ${id} that you can see.`);
    return toChannelIdentity(row);
  }
  if (type === "OutboundDelivery") return loadDeliveryNode(ctx, key);
  if (type === "CustomerMatchCandidate") {
    requireRole(ctx.principal, ...STEWARDS);
    const row = await ctx.ds.getRepository(MatchCandidateRow).findOneBy({ id: key });
    if (!row) throw notFound(`No match candidate ${id}.`);
    return toCandidate(row);
  }
  return Object.assign({ __typename: type, id });
}

export type { Principal };
