import { Directive, Field, ID, InputType, Int, ObjectType, registerEnumType } from "type-graphql";
import { toGlobalId } from "../kernel/global-id";
import { Channel, Money, money } from "../kernel/types";
import { Node } from "./node";
import { ExceptionKind, type OrderExceptionRow, type OrderLineRow, type OrderRow } from "./entities";
import { OrderStatus } from "./status";

@ObjectType({ description: "Where the order ships, as the channel sent it. BI does not see the street (detail)." })
export class Address {
  @Field()
  province!: string;

  @Field()
  city!: string;

  @Field()
  district!: string;

  @Field(() => String, { nullable: true })
  detail!: string | null;
}

@ObjectType({ implements: Node, description: "One line of an order: the channel SKU, quantity and price as bought." })
@Directive('@key(fields: "id")')
export class OrderLine extends Node {
  @Field(() => Channel)
  channel!: Channel;

  @Field({ description: "The channel's own SKU id; the products subgraph maps it to a product." })
  channelSkuId!: string;

  @Field()
  title!: string;

  @Field(() => Int)
  quantity!: number;

  @Field(() => Money)
  unitPrice!: Money;

  @Field(() => Money)
  discount!: Money;

  @Field(() => Money, { description: "unitPrice x quantity - discount." })
  lineTotal!: Money;
}

@ObjectType({ implements: Node, description: "One order from one channel: one consistent record." })
@Directive('@key(fields: "id")')
export class Order extends Node {
  @Field({ description: "The hub's order number, e.g. OH-00000042." })
  number!: string;

  @Field(() => Channel)
  channel!: Channel;

  @Field({ description: "The order's id on its channel (unique per channel)." })
  channelOrderId!: string;

  @Field(() => OrderStatus)
  status!: OrderStatus;

  @Field({ description: "When the buyer placed it, in UTC." })
  placedAt!: Date;

  @Field(() => String, { nullable: true, description: "The buyer's account id on the channel (a login, a member card). Null for BI, who get buyerPseudonym." })
  buyerChannelCustomerId!: string; // always set here; the visibility policy nulls it for BI

  @Field({ description: "Internal: the buyer's channel account, for Order.customer in the customers subgraph. Not in the public API." })
  @Directive("@inaccessible")
  buyerAccount!: string;

  @Field(() => Money)
  subtotal!: Money;

  @Field(() => Money)
  discount!: Money;

  @Field(() => Money)
  shippingFee!: Money;

  @Field(() => Money)
  total!: Money;

  @Field({ description: "A stable pseudonym of the buyer's channel account, the same on every order of that account: count distinct buyers without seeing who." })
  buyerPseudonym!: string;

  @Field(() => Address, { nullable: true })
  shippingAddress!: Address | null;

  @Field(() => Date, { nullable: true, description: "When the channel promised delivery, in UTC." })
  promisedDeliveryBy!: Date | null;

  @Field({ description: "Held orders are paused: no automation, no SLA clock." })
  onHold!: boolean;

  @Field(() => String, { nullable: true })
  holdReason!: string | null;

  @Field({ description: "When the order entered its current status." })
  statusChangedAt!: Date;

  @Field()
  updatedAt!: Date;

  key!: number;
  /** The stored row, for field resolvers. */
  row!: OrderRow;
}

@ObjectType({ description: "One entry of an order's history, from the outbox." })
export class OrderEvent {
  @Field(() => ID, { description: "The event's UUIDv7." })
  id!: string;

  @Field(() => Int, { description: "Position in this order's history, from 1." })
  sequence!: number;

  @Field()
  type!: string;

  @Field({ description: "Where it came from: a channel, the api, or the hub itself." })
  source!: string;

  @Field(() => String, { nullable: true, description: "Who did it: a channel, a staff member, or automation." })
  actor!: string | null;

  @Field({ description: "When it happened at the source (UTC)." })
  occurredAt!: Date;

  @Field({ description: "When the hub recorded it (UTC)." })
  recordedAt!: Date;

  @Field({ description: "The event's data as JSON." })
  data!: string;
}

export enum PriorityLevel {
  URGENT = "URGENT",
  HIGH = "HIGH",
  NORMAL = "NORMAL",
}
registerEnumType(PriorityLevel, { name: "PriorityLevel" });

@ObjectType({ description: "How urgent the order is, and why." })
export class OrderPriority {
  @Field(() => PriorityLevel)
  level!: PriorityLevel;

  @Field(() => Int)
  score!: number;

  @Field(() => [String])
  reasons!: string[];
}

registerEnumType(ExceptionKind, { name: "OrderExceptionKind" });

@ObjectType({ implements: Node, description: "Something about an order that needs a person." })
@Directive('@key(fields: "id")')
export class OrderException extends Node {
  @Field(() => ExceptionKind)
  kind!: ExceptionKind;

  @Field(() => String, { nullable: true, description: "For SLA_BREACH: the status the order sat in too long." })
  stage!: string | null;

  @Field()
  detail!: string;

  @Field()
  openedAt!: Date;

  @Field(() => Date, { nullable: true })
  resolvedAt!: Date | null;

  @Field(() => String, { nullable: true })
  resolvedBy!: string | null;

  @Field(() => String, { nullable: true })
  resolution!: string | null;

  orderKey!: number;
}

export function toOrderException(row: OrderExceptionRow): OrderException {
  return Object.assign(new OrderException(), {
    id: toGlobalId("OrderException", row.id),
    kind: row.kind,
    stage: row.stage,
    detail: row.detail,
    openedAt: row.openedAt,
    resolvedAt: row.resolvedAt,
    resolvedBy: row.resolvedBy,
    resolution: row.resolution,
    orderKey: row.orderId,
  });
}

@InputType()
export class OrderExceptionFilter {
  @Field(() => ExceptionKind, { nullable: true })
  kind?: ExceptionKind;

  @Field(() => Boolean, { nullable: true, description: "true: only unresolved; false: only resolved." })
  open?: boolean;

  @Field(() => Channel, { nullable: true })
  channel?: Channel;
}

export function toOrder(row: OrderRow): Order {
  const c = row.currency;
  const a = row.shippingAddress;
  return Object.assign(new Order(), {
    id: toGlobalId("Order", row.id),
    key: row.id,
    number: row.number ?? orderNumber(row.id),
    channel: row.channel,
    channelOrderId: row.channelOrderId,
    status: row.status,
    placedAt: row.placedAt,
    buyerChannelCustomerId: row.buyerChannelCustomerId,
    buyerAccount: row.buyerChannelCustomerId,
    subtotal: money(row.subtotalMinor, c),
    discount: money(row.discountMinor, c),
    shippingFee: money(row.shippingMinor, c),
    total: money(row.totalMinor, c),
    shippingAddress: a ? { province: a.province, city: a.city, district: a.district, detail: a.detail } : null,
    promisedDeliveryBy: row.promisedDeliveryBy,
    onHold: row.onHold,
    holdReason: row.holdReason,
    statusChangedAt: row.statusChangedAt,
    row,
    updatedAt: row.updatedAt,
  });
}

export function orderNumber(id: number): string {
  return `OH-${String(id).padStart(8, "0")}`;
}

export function toOrderLine(row: OrderLineRow, order: OrderRow): OrderLine {
  const c = order.currency;
  return Object.assign(new OrderLine(), {
    id: toGlobalId("OrderLine", row.id),
    channel: order.channel,
    channelSkuId: row.channelSkuId,
    title: row.title,
    quantity: row.quantity,
    unitPrice: money(row.unitPriceMinor, c),
    discount: money(row.discountMinor, c),
    lineTotal: money(row.unitPriceMinor * row.quantity - row.discountMinor, c),
  });
}

/** Customers owns Customer; this subgraph adds the customer's orders. */
@ObjectType()
@Directive('@key(fields: "id")')
export class Customer {
  @Field(() => ID)
  id!: string;
}

@InputType()
export class OrderFilter {
  @Field(() => Channel, { nullable: true })
  channel?: Channel;

  @Field(() => OrderStatus, { nullable: true })
  status?: OrderStatus;

  @Field(() => String, { nullable: true, description: 'Placed at or after this instant: ISO-8601 with an offset, e.g. "2026-11-01T00:00:00+08:00".' })
  placedFrom?: string;

  @Field(() => String, { nullable: true, description: "Placed before this instant: ISO-8601 with an offset." })
  placedTo?: string;

  @Field(() => String, { nullable: true })
  channelOrderId?: string;

  @Field(() => String, { nullable: true, description: 'Placed on this calendar day ("2026-11-01") in timeZone.' })
  placedOnDate?: string;

  @Field(() => String, { nullable: true, description: "IANA zone for placedOnDate, e.g. America/New_York. Required with placedOnDate." })
  timeZone?: string;
}

@InputType()
export class BuyerInput {
  @Field()
  channelCustomerId!: string;

  @Field(() => String, { nullable: true })
  name?: string;

  @Field(() => String, { nullable: true })
  phone?: string;

  @Field(() => String, { nullable: true })
  deviceFingerprint?: string;
}

@InputType({ description: "Where the order ships: a delivery contact, not evidence of who the buyer is (see receiverIsBuyer)." })
export class AddressInput {
  @Field()
  province!: string;

  @Field()
  city!: string;

  @Field()
  district!: string;

  @Field()
  detail!: string;

  @Field(() => String, { nullable: true, description: "Who receives the parcel." })
  recipient?: string;

  @Field(() => String, { nullable: true, description: "The recipient's phone." })
  phone?: string;
}

@InputType()
export class OrderLineInput {
  @Field()
  channelSkuId!: string;

  @Field(() => String, { nullable: true })
  title?: string;

  @Field(() => Int)
  quantity!: number;

  @Field({ description: 'Decimal string in the order currency, e.g. "99.90".' })
  unitPrice!: string;

  @Field(() => String, { nullable: true })
  discount?: string;
}

@InputType()
export class IngestOrderInput {
  @Field(() => Channel)
  channel!: Channel;

  @Field()
  channelOrderId!: string;

  @Field({ description: "ISO-8601 with an offset (Z or +08:00); stored in UTC." })
  placedAt!: string;

  @Field()
  currency!: string;

  @Field(() => OrderStatus, { nullable: true })
  status?: OrderStatus;

  @Field(() => BuyerInput)
  buyer!: BuyerInput;

  @Field(() => AddressInput, { nullable: true })
  shippingAddress?: AddressInput;

  @Field(() => Boolean, {
    nullable: true,
    description:
      "true when the channel states that the recipient of shippingAddress is the buyer; only then does the address count towards " +
      "recognizing the buyer. Default false: a gift's recipient is someone else.",
  })
  receiverIsBuyer?: boolean;

  @Field(() => String, { nullable: true })
  shippingFee?: string;

  @Field(() => String, { nullable: true, description: "An order-level discount; spread over the lines by their amounts." })
  couponDiscount?: string;

  @Field(() => String, { nullable: true, description: "ISO-8601 with an offset." })
  promisedDeliveryBy?: string;

  @Field(() => [OrderLineInput])
  lines!: OrderLineInput[];
}
