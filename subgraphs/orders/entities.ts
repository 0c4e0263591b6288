import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from "typeorm";
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
