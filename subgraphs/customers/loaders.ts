import DataLoader from "dataloader";
import { In, type DataSource } from "typeorm";
import { findIn } from "../kernel/hot-reads";
import { MAX_BATCH } from "../kernel/prepared-reads";
import { CHANNELS, idsOfChannelKeys } from "../kernel/types";
import { ChannelIdentityRow, CustomerRow } from "./entities";

// The storefront's reads: built once, prepared once (hot-reads.ts).
const hot = { maxBatchSize: MAX_BATCH };

export function createLoaders(ds: DataSource) {
  /** Loads a customer and follows merges, so an absorbed key yields its survivor. */
  const survivorById = new DataLoader<number, CustomerRow | null>(async (ids) => {
    const found = new Map<number, CustomerRow>();
    let wanted = [...new Set(ids)];
    // Merge chains are short (a survivor is never absorbed without re-pointing), so this loops at most a few times.
    for (let hop = 0; wanted.length > 0 && hop < 5; hop++) {
      const rows = await findIn(ds, CustomerRow, { id: wanted });
      rows.forEach((r) => found.set(r.id, r));
      wanted = rows.map((r) => r.mergedIntoId).filter((id): id is number => id !== null && !found.has(id));
    }
    const follow = (id: number): CustomerRow | null => {
      let row = found.get(id) ?? null;
      for (let hop = 0; row?.mergedIntoId && hop < 5; hop++) row = found.get(row.mergedIntoId) ?? null;
      return row;
    };
    return ids.map(follow);
  }, hot);

  /** Key "<CHANNEL>:<channelCustomerId>" to the golden customer. */
  const customerByIdentity = new DataLoader<string, CustomerRow | null>(async (keys) => {
    // Every channel, so the read goes through the (channel, channelCustomerId) index with one
    // text whatever the mix of channels; only the pairs asked for count below.
    const rows = await findIn(ds, ChannelIdentityRow, { channel: CHANNELS, channelCustomerId: idsOfChannelKeys(keys) });
    const byKey = new Map(rows.map((r) => [`${r.channel}:${r.channelCustomerId}`, r.customerId]));
    const customers = await survivorById.loadMany(keys.map((k) => byKey.get(k) ?? 0));
    return customers.map((c) => (c instanceof Error ? null : c));
  }, hot);

  /** A merge moves the absorbed customers' identities to the survivor, so customerId is the owner. */
  const identitiesByCustomer = new DataLoader<number, ChannelIdentityRow[]>(async (ids) => {
    const rows = await ds.getRepository(ChannelIdentityRow).find({ where: { customerId: In([...ids]) }, order: { id: "ASC" } });
    return ids.map((id) => rows.filter((r) => r.customerId === id));
  });

  return { survivorById, customerByIdentity, identitiesByCustomer };
}

export type CustomerLoaders = ReturnType<typeof createLoaders>;
