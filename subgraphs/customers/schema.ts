import { Directive, Field, Float, ID, InputType, ObjectType, registerEnumType } from "type-graphql";
import { toGlobalId } from "../kernel/global-id";
import { Channel } from "../kernel/types";
import { Node } from "./node";
import { CandidateStatus, ChannelIdentityRow, CustomerRow, CustomerTier, type GoldenAddress } from "./entities";

registerEnumType(CustomerTier, { name: "CustomerTier", description: "One tier for the whole hub." });

@ObjectType({ description: "A place, cleansed: GB/T 2260 district code and normalized text. Unknown places are kept as given and flagged." })
export class CustomerAddress {
  @Field(() => String, { nullable: true, description: "GB/T 2260 district code; null when the place is unknown." })
  code!: string | null;

  @Field(() => String, { nullable: true })
  province!: string | null;

  @Field(() => String, { nullable: true })
  city!: string | null;

  @Field(() => String, { nullable: true })
  district!: string | null;

  @Field(() => String, { nullable: true, description: "Street and number; null for BI." })
  detail!: string | null;

  @Field({ description: "true when the place could not be recognized; kept as given, never guessed." })
  flagged!: boolean;
}

export function toAddress(a: GoldenAddress | null): CustomerAddress | null {
  if (!a) return null;
  return { code: a.code, province: a.province, city: a.city, district: a.district, detail: a.detail, flagged: a.flagged };
}

@ObjectType({ implements: Node, description: "One account on one sales channel, as the channel sent it (cleansed)." })
export class ChannelIdentity extends Node {
  @Field(() => Channel)
  channel!: Channel;

  @Field(() => String, { nullable: true, description: "The account id on the channel (a JD pin is a login, a POS id a member card). Null for BI, who get pseudonym." })
  channelCustomerId!: string; // always set here; the visibility policy nulls it for BI

  @Field({ description: "A stable pseudonym of this channel account; the same as Order.buyerPseudonym of its orders." })
  pseudonym!: string;

  @Field(() => String, { nullable: true, description: "Null for BI." })
  name!: string | null;

  @Field(() => String, { nullable: true, description: "E.164; masked for BI (+86*******8000)." })
  phone!: string | null;

  @Field(() => CustomerAddress, { nullable: true })
  address!: CustomerAddress | null;

  @Field(() => String, { nullable: true, description: "The tier this channel shows for the account: a source, not the hub's tier." })
  reportedTier!: string | null;

  @Field(() => Boolean, { nullable: true })
  marketingOptIn!: boolean | null;

  @Field({ description: "Source time of the newest data applied." })
  observedAt!: Date;

  key!: number;
}

@ObjectType({ description: "Where one golden field's value came from, and which rule chose it." })
export class LineageEntry {
  @Field()
  field!: string;

  @Field(() => String, { nullable: true })
  value!: string | null;

  @Field()
  rule!: string;

  @Field(() => ChannelIdentity, { nullable: true, description: "The identity the value came from; null for values derived over all (tier)." })
  source!: ChannelIdentity | null;

  identityKey!: number | null;
}

export function toChannelIdentity(row: ChannelIdentityRow): ChannelIdentity {
  return Object.assign(new ChannelIdentity(), {
    id: toGlobalId("ChannelIdentity", row.id),
    key: row.id,
    channel: row.channel,
    channelCustomerId: row.channelCustomerId,
    name: row.name,
    phone: row.phone,
    address: toAddress(row.address),
    reportedTier: row.reportedTier,
    marketingOptIn: row.marketingOptIn,
    observedAt: row.observedAt,
  });
}

registerEnumType(CandidateStatus, { name: "MatchCandidateStatus" });

@ObjectType({ implements: Node, description: "Two customers the matcher thinks may be one person, with the evidence, for a data steward." })
export class CustomerMatchCandidate extends Node {
  @Field(() => Float)
  score!: number;

  @Field(() => [String])
  evidence!: string[];

  @Field(() => CandidateStatus)
  status!: CandidateStatus;

  @Field()
  createdAt!: Date;

  keys!: [number, number];
}

@ObjectType({ description: "One change to the golden records, in the order it happened." })
export class CustomerChange {
  @Field(() => ID, { description: "The change's UUIDv7; the feed is ordered by it." })
  id!: string;

  @Field({ description: "customer.updated, customer.merged, customer.unmerged, customer.identity_linked ..." })
  type!: string;

  @Field(() => ID, { description: "The customer it concerns." })
  customerId!: string;

  @Field()
  source!: string;

  @Field(() => String, { nullable: true })
  actor!: string | null;

  @Field()
  recordedAt!: Date;

  @Field({ description: "The change as JSON." })
  data!: string;
}

@ObjectType({ implements: Node, description: "The golden customer record, one per person across all channels." })
@Directive('@key(fields: "id")')
export class Customer extends Node {
  @Field(() => String, { nullable: true, description: "Null for BI." })
  displayName!: string; // always set here; the visibility policy nulls it for BI

  @Field(() => String, { nullable: true, description: "E.164; masked for BI (+86*******8000)." })
  phone!: string | null;

  @Field(() => CustomerTier, { description: "One tier for the whole hub, from the lifetime paid amount on all channels." })
  tier!: CustomerTier;

  @Field()
  createdAt!: Date;

  @Field(() => CustomerAddress, { nullable: true })
  address!: CustomerAddress | null;

  @Field(() => Boolean, { nullable: true, description: "Marketing consent: the newest statement; an opt-out beats an older opt-in." })
  marketingOptIn!: boolean | null;

  key!: number;
  row!: CustomerRow;
}

export function toCustomer(row: CustomerRow): Customer {
  return Object.assign(new Customer(), {
    id: toGlobalId("Customer", row.id),
    key: row.id,
    displayName: row.displayName,
    phone: row.phone,
    tier: row.tier,
    createdAt: row.createdAt,
    address: toAddress(row.address),
    marketingOptIn: row.marketingOptIn,
    row,
  });
}

/** Orders owns Order; this subgraph adds `customer`, resolved from the buyer's channel identity. */
@ObjectType({ implements: Node })
@Directive('@key(fields: "id")')
export class Order extends Node {
  @Field(() => Channel)
  @Directive("@external")
  channel!: Channel;

  /** The buyer's raw channel account, never in the public API (see the orders subgraph). */
  @Field()
  @Directive("@external")
  buyerAccount!: string;
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

@InputType({ description: "An address as the channel has it: in parts, or as one line in text." })
export class IdentityAddressInput {
  @Field(() => String, { nullable: true, description: 'One-line address, e.g. "北京朝阳区建国路1号"; when given, the parts are ignored.' })
  text?: string;

  @Field(() => String, { nullable: true })
  province?: string;

  @Field(() => String, { nullable: true })
  city?: string;

  @Field(() => String, { nullable: true })
  district?: string;

  @Field(() => String, { nullable: true })
  detail?: string;
}

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

  @Field(() => ID, { nullable: true, description: "Attach to this existing customer instead of matching." })
  customerId?: string;

  @Field(() => String, { nullable: true, description: "The tier the channel shows for this account (kept as a source)." })
  reportedTier?: string;

  @Field(() => Boolean, { nullable: true })
  phoneVerified?: boolean;

  @Field(() => String, { nullable: true })
  deviceFingerprint?: string;

  @Field(() => IdentityAddressInput, { nullable: true })
  address?: IdentityAddressInput;

  @Field(() => Boolean, { nullable: true })
  marketingOptIn?: boolean;

  @Field(() => String, { nullable: true, description: "When the channel observed this data (ISO-8601 with offset); default now." })
  observedAt?: string;
}
