import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from "typeorm";
import { Channel } from "../kernel/types";
import type { CleanAddress } from "./cleansing";

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

  /** Golden address: GB/T 2260 district code (null if the place is unknown) and normalized text. */
  @Column({ type: "varchar", length: 12, nullable: true })
  addressCode!: string | null;

  @Column({ type: "simple-json", nullable: true })
  address!: GoldenAddress | null;

  @Column({ type: "boolean", nullable: true })
  marketingOptIn!: boolean | null;

  /** Per golden field: the value, the identity it came from and the rule that won. */
  @Column({ type: "simple-json", nullable: true })
  lineage!: LineageRecord[] | null;

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
// Blocking key for a mistyped phone: the same name (key) in the same district.
@Index("ix_identity_name_district", ["nameKey", "addressCode"])
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

  /** The golden record this identity first belonged to; an unmerge sends it back there. */
  @Column({ type: "int" })
  originCustomerId!: number;

  @Column({ type: "varchar", length: 100, nullable: true })
  name!: string | null;

  @Column({ type: "varchar", length: 40, nullable: true })
  phoneRaw!: string | null;

  @Index("ix_identity_phone")
  @Column({ type: "varchar", length: 20, nullable: true })
  phone!: string | null;

  @Column({ type: "boolean", default: false })
  phoneVerified!: boolean;

  /** Phonetic key of the name (pinyin), for matching. */
  @Column({ type: "varchar", length: 100, nullable: true })
  nameKey!: string | null;

  @Index("ix_identity_device")
  @Column({ type: "varchar", length: 100, nullable: true })
  deviceFingerprint!: string | null;

  @Column({ type: "simple-json", nullable: true })
  addressRaw!: Record<string, unknown> | string | null;

  @Index("ix_identity_district")
  @Column({ type: "varchar", length: 12, nullable: true })
  addressCode!: string | null;

  @Column({ type: "simple-json", nullable: true })
  address!: GoldenAddress | null;

  /** Hash of the full normalized address line (placed addresses only): the blocking key for "same address". */
  @Index("ix_identity_address_key")
  @Column({ type: "varchar", length: 32, nullable: true })
  addressKey!: string | null;

  /** The tier the channel itself shows for this account: a source, not the hub's tier. */
  @Column({ type: "varchar", length: 20, nullable: true })
  reportedTier!: string | null;

  @Column({ type: "boolean", nullable: true })
  marketingOptIn!: boolean | null;

  /** Source time of the newest data applied to this identity ("most recent" rules use it). */
  @Column({ type: "datetime", precision: 3 })
  observedAt!: Date;

  @CreateDateColumn()
  createdAt!: Date;
}

/** A cleansed address, as stored on identities and on the golden record. */
export type GoldenAddress = CleanAddress;

export interface LineageRecord {
  field: string;
  value: string | null;
  identityId: number | null;
  rule: string;
}

export enum CandidateStatus {
  OPEN = "OPEN",
  MERGED = "MERGED",
  DISMISSED = "DISMISSED",
}

/** A pair the matcher found plausible but not certain: a data steward decides. */
@Entity("customer_match_candidates")
@Index("ix_match_candidates_status", ["status", "id"])
@Index("ix_match_candidates_pair", ["customerA", "customerB"])
export class MatchCandidateRow {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: "int" })
  customerA!: number;

  @Column({ type: "int" })
  customerB!: number;

  @Column({ type: "float" })
  score!: number;

  @Column({ type: "simple-json" })
  evidence!: string[];

  @Column({ type: "varchar", length: 10 })
  status!: CandidateStatus;

  @Column({ type: "datetime", precision: 3 })
  createdAt!: Date;

  @Column({ type: "varchar", length: 120, nullable: true })
  decidedBy!: string | null;
}

/** What each order contributes to its buyer's lifetime paid amount (fed by order events). */
@Entity("customer_spend")
@Index("ix_spend_buyer", ["channel", "channelCustomerId"])
export class SpendRow {
  @PrimaryColumn({ type: "int" })
  orderKey!: number;

  @Column({ type: "varchar", length: 10 })
  channel!: string;

  @Column({ type: "varchar", length: 100 })
  channelCustomerId!: string;

  @Column({ type: "varchar", length: 3 })
  currency!: string;

  @Column({ type: "int" })
  totalMinor!: number;

  @Column({ type: "boolean" })
  paid!: boolean;

  @Column({ type: "boolean" })
  cancelled!: boolean;
}
