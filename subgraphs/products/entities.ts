import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from "typeorm";
import { Channel } from "../kernel/types";

export interface ProductAttributeValue {
  name: string;
  value: string;
}

/** A product in the global SKU pool: the one record every channel's SKU maps to. */
@Entity("products")
export class ProductRow {
  @PrimaryGeneratedColumn()
  id!: number;

  @Index("uq_products_sku", { unique: true })
  @Column({ type: "varchar", length: 64 })
  sku!: string;

  @Column({ type: "varchar", length: 200 })
  title!: string;

  @Column({ type: "simple-json" })
  attributes!: ProductAttributeValue[];

  @CreateDateColumn()
  createdAt!: Date;

  @UpdateDateColumn()
  updatedAt!: Date;
}

/** A channel's own SKU id, mapped to one product. */
@Entity("channel_sku_mappings")
@Index("uq_channel_sku", ["channel", "channelSkuId"], { unique: true })
export class ChannelSkuRow {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: "varchar", length: 10 })
  channel!: Channel;

  @Column({ type: "varchar", length: 100 })
  channelSkuId!: string;

  @Index("ix_channel_sku_product")
  @Column({ type: "int" })
  productId!: number;

  @CreateDateColumn()
  createdAt!: Date;
}
