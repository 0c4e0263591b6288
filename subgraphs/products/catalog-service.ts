import type { DataSource, EntityManager } from "typeorm";
import { assertCount, MAX_ATTRIBUTES, optionalText, requiredText } from "../kernel/bounds";
import { inTransaction, isUniqueViolation, writeLock } from "../kernel/database";
import { badInput, notFound } from "../kernel/errors";
import { appendEvent } from "../kernel/events";
import { toGlobalId } from "../kernel/global-id";
import type { Channel } from "../kernel/types";
import { ChannelSkuRow, ProductRow, type ProductAttributeValue } from "./entities";

/**
 * Every write to the catalog goes through here: input checked and bounded first, then
 * the row change and its event in one transaction.
 */

export const PRODUCT_CREATED = "product.created";
export const PRODUCT_UPDATED = "product.updated";
export const SKU_MAPPED = "product.channel_sku_mapped";

const SKU_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const MAX_SEARCH_LENGTH = 100;

export interface ProductInput {
  sku: string;
  title: string;
  attributes?: ProductAttributeValue[] | null;
}

export interface ChannelSkuInput {
  channel: Channel;
  channelSkuId: string;
  sku: string;
}

function checkSku(sku: string, field = "sku"): string {
  if (!SKU_PATTERN.test(sku)) throw badInput(`${field} "${sku.slice(0, 80)}" is invalid: 1-64 letters, digits, ".", "_" or "-".`, { field });
  return sku;
}

/** Pure: the product as it will be stored, or a BAD_USER_INPUT naming the field. */
export function checkProduct(input: ProductInput): { sku: string; title: string; attributes: ProductAttributeValue[] } {
  const sku = checkSku(input.sku);
  const title = requiredText(input.title, "title", "title");
  // The limits keep the attributes' JSON within its column (see kernel/bounds).
  const attributes = assertCount(input.attributes ?? [], "attributes", MAX_ATTRIBUTES).map((a, i) => ({
    name: requiredText(a.name, `attributes[${i}].name`, "attributeName"),
    value: optionalText(a.value, `attributes[${i}].value`, "attributeValue") ?? "",
  }));
  return { sku, title, attributes };
}

/** Creates the product, or updates the one with this SKU; a repeat that changes nothing writes nothing. */
export async function upsertProduct(ds: DataSource, input: ProductInput, actor: string): Promise<ProductRow> {
  const product = checkProduct(input);
  return onceMoreOnDuplicate(() => inTransaction(ds, async (em) => {
    const existing = await em.findOne(ProductRow, { where: { sku: product.sku }, lock: writeLock(em) });
    if (existing && existing.title === product.title && JSON.stringify(existing.attributes) === JSON.stringify(product.attributes)) return existing;
    let row: ProductRow;
    if (existing) {
      await em.update(ProductRow, { id: existing.id }, { title: product.title, attributes: product.attributes });
      row = await em.findOneByOrFail(ProductRow, { id: existing.id });
    } else {
      row = await em.save(em.create(ProductRow, product));
    }
    await record(em, row, existing ? PRODUCT_UPDATED : PRODUCT_CREATED, actor, { productKey: row.id, sku: row.sku, title: row.title, attributes: row.attributes });
    return row;
  }));
}

/** Maps a channel's SKU id to the product with `sku`; re-mapping moves it. */
export async function mapChannelSku(ds: DataSource, input: ChannelSkuInput, actor: string): Promise<ProductRow> {
  const channelSkuId = requiredText(input.channelSkuId, "channelSkuId", "channelSkuId");
  const sku = checkSku(input.sku);
  return onceMoreOnDuplicate(() => inTransaction(ds, async (em) => {
    const product = await em.findOneBy(ProductRow, { sku });
    if (!product) throw notFound(`No product with sku "${sku}".`);
    const existing = await em.findOne(ChannelSkuRow, { where: { channel: input.channel, channelSkuId }, lock: writeLock(em) });
    if (existing?.productId === product.id) return product;
    if (existing) await em.update(ChannelSkuRow, { id: existing.id }, { productId: product.id });
    else await em.insert(ChannelSkuRow, { channel: input.channel, channelSkuId, productId: product.id });
    // Orders waiting on this SKU (UNMAPPED_SKU) are released by this event.
    await record(em, product, SKU_MAPPED, actor, { channel: input.channel, channelSkuId, productKey: product.id, sku: product.sku });
    return product;
  }));
}

/**
 * Two requests for the same new key both find no row (there is none to lock) and both
 * insert; the second fails on the unique key. Run once more, it finds the first one's row.
 */
async function onceMoreOnDuplicate<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (isUniqueViolation(err)) return work();
    throw err;
  }
}

/** A search term as a LIKE pattern part: bounded, with its wildcards escaped by LIKE_ESCAPE (not a
 * backslash: MariaDB reads '\\' in a string literal as an escape and the SQL breaks). */
export const LIKE_ESCAPE = "!";
export function likeTerm(search: string): string {
  const term = search.trim();
  if (term.length > MAX_SEARCH_LENGTH) throw badInput(`search must be at most ${MAX_SEARCH_LENGTH} characters.`, { argument: "search" });
  return term.replace(/[!%_]/g, (c) => `${LIKE_ESCAPE}${c}`);
}

function record(em: EntityManager, product: ProductRow, type: string, actor: string, payload: Record<string, unknown>) {
  return appendEvent(em, { aggregateId: toGlobalId("Product", product.id), type, source: "api", actor, payload });
}
