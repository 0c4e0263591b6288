import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from "typeorm";
import { Channel } from "../kernel/types";
import { AfterSalesStatus, AfterSalesType, type OrderLineSnapshot } from "./domain";

/**
 * An after-sales case on one order. The composite indexes serve the list's filters
 * with its id DESC keyset order; (orderKey, id) also serves every lookup by order.
 */
@Entity("after_sales_cases")
@Index("ix_after_sales_cases_status_id", ["status", "id"])
@Index("ix_after_sales_cases_order_id", ["orderKey", "id"])
@Index("ix_after_sales_cases_type_id", ["type", "id"])
export class AfterSalesCaseRow {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: "int" })
  orderKey!: number;

  @Column({ type: "varchar", length: 12 })
  type!: AfterSalesType;

  @Column({ type: "varchar", length: 10 })
  status!: AfterSalesStatus;

  @Column({ type: "varchar", length: 500 })
  reason!: string;

  @Column({ type: "varchar", length: 3 })
  currency!: string;

  @Column({ type: "int" })
  requestedAmountMinor!: number;

  /** The principal's `sub`: a shopper or the agent acting for them. */
  @Column({ type: "varchar", length: 120 })
  requestedBy!: string;

  @CreateDateColumn()
  createdAt!: Date;

  @UpdateDateColumn()
  updatedAt!: Date;
}

/** One order line in a case: how many units and what part of the line's net they are worth. */
@Entity("after_sales_lines")
export class AfterSalesLineRow {
  @PrimaryGeneratedColumn()
  id!: number;

  @Index("ix_after_sales_lines_case")
  @Column({ type: "int" })
  caseId!: number;

  @Column({ type: "int" })
  orderLineKey!: number;

  @Column({ type: "int" })
  quantity!: number;

  @Column({ type: "int" })
  amountMinor!: number;
}

/**
 * What this subgraph knows of an order, projected from order.created and
 * order.status_changed: enough to check a request (lines, quantities, prices, whether
 * it is paid) and who may make it (the buyer), since the orders tables are not ours to read.
 */
@Entity("order_refs")
@Index("ix_order_refs_buyer", ["channel", "buyerChannelCustomerId"])
export class OrderRefRow {
  @PrimaryColumn({ type: "int" })
  orderKey!: number;

  @Column({ type: "varchar", length: 10 })
  channel!: Channel;

  @Column({ type: "varchar", length: 100 })
  buyerChannelCustomerId!: string;

  @Column({ type: "varchar", length: 3 })
  currency!: string;

  @Column({ type: "simple-json" })
  lines!: OrderLineSnapshot[];

  @Column({ type: "int" })
  totalMinor!: number;

  /** The order's status as its events tell it; null for refs recorded before statuses were kept. */
  @Column({ type: "varchar", length: 20, nullable: true })
  status!: string | null;

  /** The order event (sequence) the status is from: an older event never overwrites it. */
  @Column({ type: "int", default: 0 })
  statusSequence!: number;
}
