import { Arg, Args, Ctx, Field, ID, Int, Mutation, ObjectType, Query, registerEnumType, Resolver } from "type-graphql";
import { In } from "typeorm";
import { connectionType, PageArgs, paginate } from "../kernel/connection";
import { inTransaction, writeLock } from "../kernel/database";
import { badInput, conflict, notFound } from "../kernel/errors";
import { parseGlobalId, toGlobalId } from "../kernel/global-id";
import { requireRole } from "../kernel/principal";
import type { SubgraphContext } from "../kernel/subgraph";
import { Channel } from "../kernel/types";
import type { CustomerLoaders } from "./loaders";
import { Node } from "./node";
import { DeliveryStatus, OutboundDeliveryRow, outboundConfig, webhookId } from "./outbound";

/**
 * What operations see of outbound customer-change webhooks, and the one thing they can do
 * about a channel that was down too long: send its FAILED deliveries again. Admin only:
 * the deliveries carry customer data meant for one channel.
 */
type Ctx = SubgraphContext<CustomerLoaders>;

registerEnumType(DeliveryStatus, { name: "OutboundDeliveryStatus" });

@ObjectType({ implements: Node, description: "One webhook call to one subscribed channel for one customer change (admin)." })
export class OutboundDelivery extends Node {
  @Field(() => Channel)
  channel!: Channel;

  @Field({ description: "customer.updated, customer.merged or customer.unmerged." })
  type!: string;

  @Field(() => ID, { description: "The customer the change concerns." })
  customerId!: string;

  @Field({ description: "The Standard Webhooks message id, the same on every attempt: receivers dedupe on it." })
  webhookId!: string;

  @Field(() => DeliveryStatus)
  status!: DeliveryStatus;

  @Field(() => Int)
  attempts!: number;

  @Field(() => Date, { nullable: true, description: "When it is tried next (PENDING only)." })
  nextAttemptAt!: Date | null;

  @Field(() => String, { nullable: true, description: "Why the last attempt failed: an HTTP status or a transport error." })
  lastError!: string | null;

  @Field(() => Date, { nullable: true })
  deliveredAt!: Date | null;

  @Field()
  createdAt!: Date;
}

export const OutboundDeliveryConnection = connectionType(OutboundDelivery, "OutboundDelivery");

function toDelivery(row: OutboundDeliveryRow): OutboundDelivery {
  return Object.assign(new OutboundDelivery(), {
    id: toGlobalId("OutboundDelivery", row.id),
    channel: row.channel,
    type: row.type,
    customerId: row.payload.customerId,
    webhookId: webhookId(row),
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.status === DeliveryStatus.PENDING ? row.nextAttemptAt : null,
    lastError: row.lastError,
    deliveredAt: row.deliveredAt,
    createdAt: row.createdAt,
  });
}

export async function loadDeliveryNode(ctx: Ctx, key: number): Promise<OutboundDelivery> {
  requireRole(ctx.principal, "admin");
  const row = await ctx.ds.getRepository(OutboundDeliveryRow).findOneBy({ id: key });
  if (!row) throw notFound(`No outbound delivery ${toGlobalId("OutboundDelivery", key)}.`);
  return toDelivery(row);
}

@Resolver(() => OutboundDelivery)
export class OutboundDeliveryResolver {
  @Query(() => OutboundDeliveryConnection, { description: "Outbound customer-change webhooks, oldest first, e.g. the FAILED ones to send again (admin)." })
  async outboundDeliveries(
    @Ctx() ctx: Ctx,
    @Args(() => PageArgs) page: PageArgs,
    @Arg("status", () => DeliveryStatus, { nullable: true }) status?: DeliveryStatus,
    @Arg("channel", () => Channel, { nullable: true }) channel?: Channel,
  ) {
    requireRole(ctx.principal, "admin");
    const qb = ctx.ds.getRepository(OutboundDeliveryRow).createQueryBuilder("d");
    if (status) qb.andWhere("d.status = :status", { status });
    if (channel) qb.andWhere("d.channel = :channel", { channel });
    return paginate(qb, page, { order: "ASC", keys: [{ column: "d.id", kind: "n", of: (r) => r.id }] }, toDelivery);
  }

  /**
   * FAILED deliveries go back to PENDING with a fresh count of attempts, due now; the
   * dispatcher sends them in their original order, ahead of newer ones for that channel,
   * under the same webhook-id (receivers that already applied a newer change compare
   * occurredAt). A PENDING one stays as it is. A DELIVERED one, one for a channel no
   * longer subscribed, or an unknown ID rejects the whole call and changes nothing.
   */
  @Mutation(() => [OutboundDelivery], { description: "Sends FAILED outbound deliveries again (admin). Returns them as they are now." })
  async redeliverOutbound(@Arg("ids", () => [ID]) ids: string[], @Ctx() ctx: Ctx): Promise<OutboundDelivery[]> {
    requireRole(ctx.principal, "admin");
    if (ids.length === 0 || ids.length > 100) throw badInput("Name 1 to 100 deliveries.", { argument: "ids" });
    const keys = [...new Set(ids.map((id) => parseGlobalId(id, "OutboundDelivery")))];
    const rows = await inTransaction(ctx.ds, async (em) => {
      const found = await em.find(OutboundDeliveryRow, { where: { id: In(keys) }, order: { id: "ASC" }, lock: writeLock(em) });
      const missing = keys.filter((k) => !found.some((r) => r.id === k));
      if (missing.length) throw notFound(`No outbound delivery ${missing.map((k) => toGlobalId("OutboundDelivery", k)).join(", ")}.`);
      const delivered = found.filter((r) => r.status === DeliveryStatus.DELIVERED);
      if (delivered.length) throw conflict(`Already delivered: ${delivered.map((r) => toGlobalId("OutboundDelivery", r.id)).join(", ")}.`);
      // A channel that is no longer subscribed has nowhere to send it: it would wait forever.
      const subscribed = outboundConfig(ctx.env).targets;
      const orphaned = found.filter((r) => r.status === DeliveryStatus.FAILED && !subscribed[r.channel]);
      if (orphaned.length) throw conflict(`${[...new Set(orphaned.map((r) => r.channel))].join(", ")} is not subscribed any more (OUTBOUND_WEBHOOK_URL_<CHANNEL>); nothing to send to.`);
      const failed = found.filter((r) => r.status === DeliveryStatus.FAILED).map((r) => r.id);
      if (failed.length) await em.update(OutboundDeliveryRow, { id: In(failed), status: DeliveryStatus.FAILED }, { status: DeliveryStatus.PENDING, attempts: 0, nextAttemptAt: ctx.clock.now() });
      return em.find(OutboundDeliveryRow, { where: { id: In(keys) }, order: { id: "ASC" } });
    });
    return rows.map(toDelivery);
  }
}
