import { Directive, Field, ID, InputType, ObjectType } from "type-graphql";
import { toGlobalId } from "../kernel/global-id";
import { Channel } from "../kernel/types";
import { Node } from "./node";
import type { ChannelSkuRow, ProductRow } from "./entities";

@ObjectType()
export class ProductAttribute {
  @Field()
  name!: string;

  @Field()
  value!: string;
}

@ObjectType({ description: "A channel's SKU id that maps to this product." })
export class ChannelSku {
  @Field(() => Channel)
  channel!: Channel;

  @Field()
  channelSkuId!: string;
}

@ObjectType({ implements: Node, description: "A product in the global SKU pool." })
@Directive('@key(fields: "id")')
export class Product extends Node {
  @Field({ description: "Global SKU code, unique across the hub." })
  sku!: string;

  @Field()
  title!: string;

  @Field(() => [ProductAttribute])
  attributes!: ProductAttribute[];

  /** Internal key for field resolvers; not in the schema. */
  key!: number;
}

export function toProduct(row: ProductRow): Product {
  return Object.assign(new Product(), {
    id: toGlobalId("Product", row.id),
    key: row.id,
    sku: row.sku,
    title: row.title,
    attributes: row.attributes,
  });
}

export function toChannelSku(row: ChannelSkuRow): ChannelSku {
  return { channel: row.channel, channelSkuId: row.channelSkuId };
}

/** The orders subgraph owns OrderLine; this subgraph adds `product` from the line's channel SKU. */
@ObjectType()
@Directive('@key(fields: "id")')
export class OrderLine {
  @Field(() => ID)
  id!: string;

  @Field(() => Channel)
  @Directive("@external")
  channel!: Channel;

  @Field()
  @Directive("@external")
  channelSkuId!: string;
}

@InputType()
export class ProductAttributeInput {
  @Field()
  name!: string;

  @Field()
  value!: string;
}

@InputType()
export class UpsertProductInput {
  @Field()
  sku!: string;

  @Field()
  title!: string;

  @Field(() => [ProductAttributeInput], { nullable: true })
  attributes?: ProductAttributeInput[];
}

@InputType()
export class MapChannelSkuInput {
  @Field(() => Channel)
  channel!: Channel;

  @Field()
  channelSkuId!: string;

  @Field({ description: "Global SKU code of the product to map to." })
  sku!: string;
}
