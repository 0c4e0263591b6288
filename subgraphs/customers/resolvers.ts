import { Arg, Ctx, Directive, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import { connectionType, decodeCursor, pageSize, toConnection } from "../kernel/connection";
import { inTransaction } from "../kernel/database";
import { badInput, notFound } from "../kernel/errors";
import { parseAnyGlobalId, parseGlobalId } from "../kernel/global-id";
import { hasRole, isStaff, requireRole, requireSignedIn, type Principal } from "../kernel/principal";
import type { SubgraphContext } from "../kernel/subgraph";
import { Node } from "./node";
import { CustomerRow } from "./entities";
import { registerIdentity } from "./identities";
import type { CustomerLoaders } from "./loaders";
import { ChannelIdentity, Customer, Order, RegisterIdentityInput, toChannelIdentity, toCustomer } from "./schema";

type Ctx = SubgraphContext<CustomerLoaders>;

export const CustomerConnection = connectionType(Customer, "Customer");

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
  if (!row) throw notFound(`No customer ${`gid://orderhub/Customer/${key}`} that you can see.`);
  return toCustomer(row, ctx.principal);
}

@Resolver(() => Customer)
export class CustomerResolver {
  @Query(() => Customer, { nullable: true, description: "The signed-in shopper; null for staff." })
  async me(@Ctx() ctx: Ctx): Promise<Customer | null> {
    const principal = requireSignedIn(ctx.principal);
    if (!principal.customerKey) return null;
    const row = await ctx.loaders.survivorById.load(principal.customerKey);
    return row ? toCustomer(row, principal) : null;
  }

  @Query(() => Customer, { nullable: true, description: "A customer by ID. An absorbed customer's ID gives its survivor." })
  async customer(@Arg("id", () => ID) id: string, @Ctx() ctx: Ctx): Promise<Customer | null> {
    const key = parseGlobalId(id, "Customer");
    requireSignedIn(ctx.principal);
    const row = await visibleCustomer(ctx, await ctx.loaders.survivorById.load(key));
    return row ? toCustomer(row, ctx.principal) : null;
  }

  @Query(() => CustomerConnection, { description: "Golden customers, oldest first (staff)." })
  async customers(
    @Ctx() ctx: Ctx,
    @Arg("first", () => Int, { nullable: true }) first?: number,
    @Arg("after", () => String, { nullable: true }) after?: string,
  ) {
    requireRole(ctx.principal, "cs_agent", "cs_supervisor", "finance", "warehouse", "bi_analyst", "admin");
    const limit = pageSize(first);
    const cursor = decodeCursor(after, ["n"]);
    const qb = ctx.ds.getRepository(CustomerRow).createQueryBuilder("c").where("c.mergedIntoId IS NULL").orderBy("c.id", "ASC").take(limit + 1);
    if (cursor) qb.andWhere("c.id > :after", { after: cursor[0] });
    const rows = await qb.getMany();
    return toConnection(rows, limit, (r) => [r.id], (r) => toCustomer(r, ctx.principal));
  }

  @FieldResolver(() => [ChannelIdentity])
  async identities(@Root() customer: Customer, @Ctx() ctx: Ctx): Promise<ChannelIdentity[]> {
    return (await ctx.loaders.identitiesByCustomer.load(customer.key)).map((r) => toChannelIdentity(r, ctx.principal));
  }

  @Mutation(() => Customer, {
    description: "Records a channel identity and links it to a golden customer (admin, cs_supervisor, channel). Idempotent.",
  })
  async registerChannelIdentity(@Arg("input") input: RegisterIdentityInput, @Ctx() ctx: Ctx): Promise<Customer> {
    const principal = requireRole(ctx.principal, "admin", "cs_supervisor", "channel");
    const customerKey = input.customerId ? parseGlobalId(input.customerId, "Customer") : null;
    const { identity } = await inTransaction(ctx.ds, (em) => registerIdentity(em, { ...input, customerKey }, "api", principal.sub));
    void ctx.relay.poke();
    const row = await ctx.loaders.survivorById.load(identity.customerId);
    return toCustomer(row!, principal);
  }
}

@Resolver(() => Order)
export class OrderCustomerResolver {
  @FieldResolver(() => Customer, { nullable: true, description: "The golden customer behind the buyer's channel account." })
  @Directive('@requires(fields: "channel buyerChannelCustomerId")')
  async customer(@Root() order: Order, @Ctx() ctx: Ctx): Promise<Customer | null> {
    const row = await visibleCustomer(ctx, await ctx.loaders.customerByIdentity.load(`${order.channel}:${order.buyerChannelCustomerId}`));
    return row ? toCustomer(row, ctx.principal) : null;
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
  return Object.assign({ __typename: type, id });
}

export type { Principal };
