import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from "typeorm";
import { jsonText, LARGE_TEXT } from "../kernel/large-text";
import { Channel } from "../kernel/types";
import { OrderStatus } from "./status";

export interface AddressSnapshot {
  province: string;
  city: string;
  district: string;
  detail: string;
  recipient?: string | null;
  phone?: string | null;
}

/**
 * An order as the channel sent it: channel references and a snapshot of what was
 * bought at what price. Never a copy of customer or product master data.
 */
@Entity("orders")
@Index("uq_orders_channel_order", ["channel", "channelOrderId"], { unique: true })
@Index("ix_orders_placed", ["placedAt", "id"])
@Index("ix_orders_channel_placed", ["channel", "placedAt", "id"])
@Index("ix_orders_status_placed", ["status", "placedAt", "id"])
@Index("ix_orders_buyer_placed", ["channel", "buyerChannelCustomerId", "placedAt", "id"])
@Index("ix_orders_status_changed", ["status", "statusChangedAt"])
export class OrderRow {
  @PrimaryGeneratedColumn()
  id!: number;

  @Index("uq_orders_number", { unique: true })
  @Column({ type: "varchar", length: 20, nullable: true })
  number!: string | null;

  @Column({ type: "varchar", length: 10 })
  channel!: Channel;

  @Column({ type: "varchar", length: 100 })
  channelOrderId!: string;

  @Column({ type: "varchar", length: 20 })
  status!: OrderStatus;

  @Column({ type: "datetime", precision: 3 })
  placedAt!: Date;

  @Column({ type: "varchar", length: 100 })
  buyerChannelCustomerId!: string;

  @Column({ type: "varchar", length: 3 })
  currency!: string;

  @Column({ type: "int" })
  subtotalMinor!: number;

  @Column({ type: "int" })
  discountMinor!: number;

  @Column({ type: "int" })
  shippingMinor!: number;

  @Column({ type: "int" })
  totalMinor!: number;

  @Column({ type: "simple-json", nullable: true })
  shippingAddress!: AddressSnapshot | null;

  @Column({ type: "datetime", precision: 3, nullable: true })
  promisedDeliveryBy!: Date | null;

  /** When the status last changed (hub clock): the SLA of a stage runs from here. */
  @Column({ type: "datetime", precision: 3 })
  statusChangedAt!: Date;

  /** The source time of the newest channel event applied: older ones never overwrite. */
  @Column({ type: "datetime", precision: 3 })
  sourceUpdatedAt!: Date;

  @Column({ type: "boolean", default: false })
  onHold!: boolean;

  @Column({ type: "varchar", length: 500, nullable: true })
  holdReason!: string | null;

  @Column({ type: "int", default: 1 })
  version!: number;

  @CreateDateColumn()
  createdAt!: Date;

  @UpdateDateColumn()
  updatedAt!: Date;
}

@Entity("order_lines")
export class OrderLineRow {
  @PrimaryGeneratedColumn()
  id!: number;

  @Index("ix_order_lines_order")
  @Column({ type: "int" })
  orderId!: number;

  @Column({ type: "int" })
  lineNo!: number;

  @Column({ type: "varchar", length: 100 })
  channelSkuId!: string;

  @Column({ type: "varchar", length: 200 })
  title!: string;

  @Column({ type: "int" })
  quantity!: number;

  @Column({ type: "int" })
  unitPriceMinor!: number;

  @Column({ type: "int" })
  discountMinor!: number;
}


export enum ChannelEventStatus {
  APPLIED = "APPLIED",
  HELD = "HELD",
  IGNORED = "IGNORED",
}

/**
 * Every accepted channel event, with its raw payload, for audit and exactly-once:
 * (channel, eventId) is unique. A status event for an order not seen yet waits here
 * as HELD until the order arrives.
 */
@Entity("channel_events")
@Index("uq_channel_events", ["channel", "eventId"], { unique: true })
@Index("ix_channel_events_order_ref", ["channel", "channelOrderId", "status"])
export class ChannelEventRow {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: "varchar", length: 10 })
  channel!: Channel;

  @Column({ type: "varchar", length: 150 })
  eventId!: string;

  @Column({ type: "varchar", length: 30 })
  type!: string;

  @Column({ type: "varchar", length: 100 })
  channelOrderId!: string;

  @Column({ type: "datetime", precision: 3 })
  occurredAt!: Date;

  @Column({ type: "datetime", precision: 3 })
  receivedAt!: Date;

  @Column({ type: "varchar", length: 10 })
  status!: ChannelEventStatus;

  @Column({ type: "varchar", length: 200, nullable: true })
  note!: string | null;

  @Index("ix_channel_events_order")
  @Column({ type: "int", nullable: true })
  orderId!: number | null;

  /** The canonical event, so a held event can be applied later. As large as the order it carries. */
  @Column({ type: LARGE_TEXT, transformer: jsonText })
  canonical!: Record<string, unknown>;

  /** The body exactly as the channel sent it. */
  @Column({ type: LARGE_TEXT })
  rawPayload!: string;
}

export enum ExceptionKind {
  UNMAPPED_SKU = "UNMAPPED_SKU",
  SLA_BREACH = "SLA_BREACH",
}

/** The queue staff work from: something about an order needs a person. */
@Entity("order_exceptions")
@Index("ix_order_exceptions_open", ["resolvedAt", "id"])
@Index("ix_order_exceptions_order", ["orderId", "kind"])
export class OrderExceptionRow {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: "int" })
  orderId!: number;

  @Column({ type: "varchar", length: 20 })
  kind!: ExceptionKind;

  /** For SLA_BREACH: the status the order sat in too long. */
  @Column({ type: "varchar", length: 20, nullable: true })
  stage!: string | null;

  @Column({ type: "varchar", length: 500 })
  detail!: string;

  @Column({ type: "datetime", precision: 3 })
  openedAt!: Date;

  @Column({ type: "datetime", precision: 3, nullable: true })
  resolvedAt!: Date | null;

  @Column({ type: "varchar", length: 120, nullable: true })
  resolvedBy!: string | null;

  @Column({ type: "varchar", length: 500, nullable: true })
  resolution!: string | null;
}

/** Projection of products' channel SKU mappings, to tell an unmapped line at once. */
@Entity("known_channel_skus")
export class KnownSkuRow {
  @PrimaryColumn({ type: "varchar", length: 10 })
  channel!: Channel;

  @PrimaryColumn({ type: "varchar", length: 100 })
  channelSkuId!: string;
}
