import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from "typeorm";
import { Channel } from "../kernel/types";

export enum CustomerTier {
  STANDARD = "STANDARD",
  SILVER = "SILVER",
  GOLD = "GOLD",
  PLATINUM = "PLATINUM",
}

/** The golden customer record. An absorbed record keeps its row and points at its survivor. */
@Entity("customers")
export class CustomerRow {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: "varchar", length: 100 })
  displayName!: string;

  @Index("ix_customers_phone")
  @Column({ type: "varchar", length: 20, nullable: true })
  phone!: string | null;

  @Column({ type: "varchar", length: 10, default: CustomerTier.STANDARD })
  tier!: CustomerTier;

  @Index("ix_customers_merged_into")
  @Column({ type: "int", nullable: true })
  mergedIntoId!: number | null;

  @Column({ type: "int", default: 1 })
  version!: number;

  @CreateDateColumn()
  createdAt!: Date;

  @UpdateDateColumn()
  updatedAt!: Date;
}

/** One account on one channel (channel + the channel's customer id), as received. */
@Entity("channel_identities")
@Index("uq_channel_identity", ["channel", "channelCustomerId"], { unique: true })
export class ChannelIdentityRow {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: "varchar", length: 10 })
  channel!: Channel;

  @Column({ type: "varchar", length: 100 })
  channelCustomerId!: string;

  @Index("ix_identity_customer")
  @Column({ type: "int" })
  customerId!: number;

  @Column({ type: "varchar", length: 100, nullable: true })
  name!: string | null;

  @Column({ type: "varchar", length: 40, nullable: true })
  phoneRaw!: string | null;

  @Index("ix_identity_phone")
  @Column({ type: "varchar", length: 20, nullable: true })
  phone!: string | null;

  @CreateDateColumn()
  createdAt!: Date;
}
