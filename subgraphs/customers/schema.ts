import { Directive, Field, ID, InputType, ObjectType, registerEnumType } from "type-graphql";
import { toGlobalId } from "../kernel/global-id";
import { type Principal, seesPersonalData } from "../kernel/principal";
import { Channel } from "../kernel/types";
import { Node } from "./node";
import { ChannelIdentityRow, CustomerRow, CustomerTier } from "./entities";
import { maskPhone } from "./phone";

registerEnumType(CustomerTier, { name: "CustomerTier", description: "One tier for the whole hub." });

@ObjectType({ description: "One account on one sales channel that belongs to this customer." })
export class ChannelIdentity {
  @Field(() => ID)
  id!: string;

  @Field(() => Channel)
  channel!: Channel;

  @Field()
  channelCustomerId!: string;

  @Field(() => String, { nullable: true })
  name!: string | null;
}

@ObjectType({ implements: Node, description: "The golden customer record, one per person across all channels." })
@Directive('@key(fields: "id")')
export class Customer extends Node {
  @Field()
  displayName!: string;

  @Field(() => String, { nullable: true, description: "E.164; masked for BI." })
  phone!: string | null;

  @Field(() => CustomerTier)
  tier!: CustomerTier;

  @Field()
  createdAt!: Date;

  key!: number;
}

export function toCustomer(row: CustomerRow, viewer: Principal | null): Customer {
  const personal = seesPersonalData(viewer);
  return Object.assign(new Customer(), {
    id: toGlobalId("Customer", row.id),
    key: row.id,
    displayName: personal ? row.displayName : `${[...row.displayName][0] ?? ""}**`,
    phone: row.phone && !personal ? maskPhone(row.phone) : row.phone,
    tier: row.tier,
    createdAt: row.createdAt,
  });
}

export function toChannelIdentity(row: ChannelIdentityRow, viewer: Principal | null): ChannelIdentity {
  return {
    id: String(row.id),
    channel: row.channel,
    channelCustomerId: row.channelCustomerId,
    name: seesPersonalData(viewer) ? row.name : null,
  };
}

/** Orders owns Order; this subgraph adds `customer`, resolved from the buyer's channel identity. */
@ObjectType({ implements: Node })
@Directive('@key(fields: "id")')
export class Order extends Node {
  @Field(() => Channel)
  @Directive("@external")
  channel!: Channel;

  @Field()
  @Directive("@external")
  buyerChannelCustomerId!: string;
}

/** Stubs so Query.node can name every entity type; the owning subgraphs resolve their fields. */
@ObjectType({ implements: Node })
@Directive('@key(fields: "id", resolvable: false)')
export class OrderLine extends Node {}

@ObjectType({ implements: Node })
@Directive('@key(fields: "id", resolvable: false)')
export class Product extends Node {}

@ObjectType({ implements: Node })
@Directive('@key(fields: "id", resolvable: false)')
export class OrderException extends Node {}

@ObjectType({ implements: Node })
@Directive('@key(fields: "id", resolvable: false)')
export class AfterSalesCase extends Node {}

@InputType()
export class RegisterIdentityInput {
  @Field(() => Channel)
  channel!: Channel;

  @Field()
  channelCustomerId!: string;

  @Field(() => String, { nullable: true })
  name?: string;

  @Field(() => String, { nullable: true, description: "Any common format; stored as E.164." })
  phone?: string;

  @Field(() => ID, { nullable: true, description: "Attach to this existing customer instead of creating one." })
  customerId?: string;

  @Field(() => CustomerTier, { nullable: true })
  tier?: CustomerTier;
}
