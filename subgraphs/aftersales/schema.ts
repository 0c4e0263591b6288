import { Directive, Field, ID, InputType, Int, ObjectType, registerEnumType } from "type-graphql";
import { toGlobalId } from "../kernel/global-id";
import { Money, money } from "../kernel/types";
import { Node } from "./node";
import { AfterSalesStatus, AfterSalesType } from "./domain";
import type { AfterSalesCaseRow, AfterSalesLineRow } from "./entities";

registerEnumType(AfterSalesType, { name: "AfterSalesType", description: "What the shopper asks for." });
registerEnumType(AfterSalesStatus, { name: "AfterSalesStatus", description: "Where a case stands." });

/** Orders owns OrderLine; a case line only points at it, so this stub cannot be resolved here. */
@ObjectType({ implements: Node })
@Directive('@key(fields: "id", resolvable: false)')
export class OrderLine extends Node {}

/** Orders owns Order; this subgraph adds the order's after-sales cases. */
@ObjectType({ implements: Node })
@Directive('@key(fields: "id")')
export class Order extends Node {}

export function orderStub(orderKey: number): Order {
  return Object.assign(new Order(), { id: toGlobalId("Order", orderKey) });
}

@ObjectType({ description: "Units of one order line in a case and the part of the line's net they are worth." })
export class AfterSalesLine {
  @Field(() => OrderLine)
  orderLine!: OrderLine;

  @Field(() => Int)
  quantity!: number;

  @Field(() => Money)
  amount!: Money;
}

@ObjectType({ implements: Node, description: "A shopper's request to return, refund or exchange units of one order." })
@Directive('@key(fields: "id")')
export class AfterSalesCase extends Node {
  @Field(() => AfterSalesType)
  type!: AfterSalesType;

  @Field(() => AfterSalesStatus)
  status!: AfterSalesStatus;

  @Field()
  reason!: string;

  @Field(() => Money, { description: "The sum of the lines' amounts, in the order's currency." })
  requestedAmount!: Money;

  @Field()
  createdAt!: Date;

  /** Internal keys for field resolvers; not in the schema. */
  key!: number;
  orderKey!: number;
  currency!: string;
}

export function toCase(row: AfterSalesCaseRow): AfterSalesCase {
  return Object.assign(new AfterSalesCase(), {
    id: toGlobalId("AfterSalesCase", row.id),
    key: row.id,
    orderKey: row.orderKey,
    currency: row.currency,
    type: row.type,
    status: row.status,
    reason: row.reason,
    requestedAmount: money(row.requestedAmountMinor, row.currency),
    createdAt: row.createdAt,
  });
}

export function toLine(row: AfterSalesLineRow, currency: string): AfterSalesLine {
  return Object.assign(new AfterSalesLine(), {
    orderLine: Object.assign(new OrderLine(), { id: toGlobalId("OrderLine", row.orderLineKey) }),
    quantity: row.quantity,
    amount: money(row.amountMinor, currency),
  });
}

@InputType()
export class AfterSalesLineInput {
  @Field(() => ID)
  orderLineId!: string;

  @Field(() => Int)
  quantity!: number;
}

@InputType()
export class RequestAfterSalesInput {
  @Field(() => ID)
  orderId!: string;

  @Field(() => AfterSalesType)
  type!: AfterSalesType;

  @Field({ description: "Why, in the shopper's words; 1 to 500 characters." })
  reason!: string;

  @Field(() => [AfterSalesLineInput], { description: "Each order line at most once, with the units it concerns." })
  lines!: AfterSalesLineInput[];
}

@InputType()
export class AfterSalesCaseFilter {
  @Field(() => ID, { nullable: true })
  orderId?: string;

  @Field(() => AfterSalesStatus, { nullable: true })
  status?: AfterSalesStatus;

  @Field(() => AfterSalesType, { nullable: true })
  type?: AfterSalesType;
}
