import DataLoader from "dataloader";
import { In, type DataSource } from "typeorm";
import { findIn } from "../kernel/hot-reads";
import { MAX_BATCH } from "../kernel/prepared-reads";
import { CHANNELS, idsOfChannelKeys } from "../kernel/types";
import { ChannelSkuRow, ProductRow } from "./entities";

// The storefront's reads: built once, prepared once (hot-reads.ts).
const hot = { maxBatchSize: MAX_BATCH };

export function createLoaders(ds: DataSource) {
  const productById = new DataLoader<number, ProductRow | null>(async (ids) => {
    const rows = await findIn(ds, ProductRow, { id: ids });
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => byId.get(id) ?? null);
  }, hot);

  /** Key: "<CHANNEL>:<channelSkuId>". One query for the mappings, one for the products. */
  const productByChannelSku = new DataLoader<string, ProductRow | null>(async (keys) => {
    // Every channel, so the read goes through the (channel, channelSkuId) index with one text
    // whatever the mix of channels; only the pairs asked for count below.
    const mappings = await findIn(ds, ChannelSkuRow, { channel: CHANNELS, channelSkuId: idsOfChannelKeys(keys) });
    const productIds = new Map(mappings.map((m) => [`${m.channel}:${m.channelSkuId}`, m.productId]));
    const products = await productById.loadMany([...new Set(productIds.values())]);
    const byId = new Map(products.filter((p): p is ProductRow => !!p && !(p instanceof Error)).map((p) => [p.id, p]));
    return keys.map((k) => byId.get(productIds.get(k) ?? -1) ?? null);
  }, hot);

  const mappingsByProduct = new DataLoader<number, ChannelSkuRow[]>(async (ids) => {
    const rows = await ds.getRepository(ChannelSkuRow).find({ where: { productId: In([...ids]) }, order: { id: "ASC" } });
    return ids.map((id) => rows.filter((r) => r.productId === id));
  });

  return { productById, productByChannelSku, mappingsByProduct };
}

export type ProductLoaders = ReturnType<typeof createLoaders>;
