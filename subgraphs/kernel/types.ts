import "reflect-metadata";
import { Directive, Field, ID, InterfaceType, ObjectType, registerEnumType } from "type-graphql";
import { formatMinor } from "./money";

/**
 * Every entity is a Node; its id is a global ID and __typename tells the type.
 * Each subgraph defines its own Node class: type-graphql adds every implementation of
 * an interface it sees to a schema, and each subgraph must only carry its own types.
 */
export function defineNodeInterface() {
  @InterfaceType("Node", {
    resolveType: (value: { __typename?: string; constructor?: { name?: string } }) => value.__typename ?? value.constructor?.name,
  })
  abstract class Node {
    @Field(() => ID)
    id!: string;
  }
  return Node;
}

@ObjectType({ description: "An amount in a currency. amount is a decimal string such as \"99.90\", never a float." })
@Directive("@shareable")
export class Money {
  @Field()
  amount!: string;

  @Field()
  currencyCode!: string;
}

export function money(minor: number, currency: string): Money {
  return { amount: formatMinor(minor, currency), currencyCode: currency };
}

/** Sales channels. The string values are what the database stores. */
export enum Channel {
  TAOBAO = "TAOBAO",
  JD = "JD",
  DOUYIN = "DOUYIN",
  WEB = "WEB",
  POS = "POS",
}
registerEnumType(Channel, { name: "Channel", description: "A sales channel the hub receives orders from." });
export const CHANNELS = Object.values(Channel);

/** The ids of loader keys "<CHANNEL>:<id>". */
export function idsOfChannelKeys(keys: readonly string[]): string[] {
  return keys.map((k) => k.slice(k.indexOf(":") + 1));
}
