import { Arg, Ctx, Directive, FieldResolver, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import { Brackets } from "typeorm";
import { assertCount, MAX_ATTRIBUTES, optionalText, requiredText } from "../kernel/bounds";
import { connectionType, decodeCursor, pageSize, toConnection } from "../kernel/connection";
import { inTransaction, writeLock } from "../kernel/database";
import { badInput, notFound } from "../kernel/errors";
import { appendEvent } from "../kernel/events";
import { toGlobalId } from "../kernel/global-id";
import { requireRole } from "../kernel/principal";
import type { SubgraphContext } from "../kernel/subgraph";
import { ChannelSkuRow, ProductRow } from "./entities";
import type { ProductLoaders } from "./loaders";
import { ChannelSku, MapChannelSkuInput, OrderLine, Product, toChannelSku, toProduct, UpsertProductInput } from "./schema";

type Ctx = SubgraphContext<ProductLoaders>;

export const ProductConnection = connectionType(Product, "Product");

const SKU_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

@Resolver(() => Product)
export class ProductResolver {
  @Query(() => Product, { nullable: true, description: "A product by its global SKU code. The catalog is public." })
  async product(@Arg("sku") sku: string, @Ctx() ctx: Ctx): Promise<Product | null> {
    const row = await ctx.ds.getRepository(ProductRow).findOneBy({ sku });
    return row ? toProduct(row) : null;
  }

  @Query(() => ProductConnection, { description: "Products by id; search matches a SKU prefix or a word of the title." })
  async products(
    @Ctx() ctx: Ctx,
    @Arg("first", () => Int, { nullable: true }) first?: number,
    @Arg("after", () => String, { nullable: true }) after?: string,
    @Arg("search", () => String, { nullable: true }) search?: string,
  ) {
    const limit = pageSize(first);
    const cursor = decodeCursor(after, ["n"]);
    const qb = ctx.ds.getRepository(ProductRow).createQueryBuilder("p").orderBy("p.id", "ASC").take(limit + 1);
    if (cursor) qb.andWhere("p.id > :after", { after: cursor[0] });
    if (search?.trim()) {
      const term = search.trim().replace(/[\\%_]/g, (c) => `\\${c}`);
      qb.andWhere(
        new Brackets((w) => w.where("p.sku LIKE :prefix ESCAPE '\\'", { prefix: `${term}%` }).orWhere("p.title LIKE :word ESCAPE '\\'", { word: `%${term}%` })),
      );
    }
    const rows = await qb.getMany();
    return toConnection(rows, limit, (r) => [r.id], toProduct);
  }

  @FieldResolver(() => [ChannelSku])
  async channelSkus(@Root() product: Product, @Ctx() ctx: Ctx): Promise<ChannelSku[]> {
    return (await ctx.loaders.mappingsByProduct.load(product.key)).map(toChannelSku);
  }

  @Mutation(() => Product, { description: "Creates or updates a product by SKU (admin, warehouse)." })
  async upsertProduct(@Arg("input") input: UpsertProductInput, @Ctx() ctx: Ctx): Promise<Product> {
    requireRole(ctx.principal, "admin", "warehouse");
    if (!SKU_PATTERN.test(input.sku)) throw badInput(`sku "${input.sku.slice(0, 80)}" is invalid: 1-64 letters, digits, ".", "_" or "-".`, { field: "sku" });
    const title = requiredText(input.title, "title", "title");
    const attributes = assertCount(input.attributes ?? [], "attributes", MAX_ATTRIBUTES).map((a, i) => ({
      name: requiredText(a.name, `attributes[${i}].name`, "attributeName"),
      value: optionalText(a.value, `attributes[${i}].value`, "attributeValue") ?? "",
    }));
    const row = await inTransaction(ctx.ds, async (em) => {
      const existing = await em.findOne(ProductRow, { where: { sku: input.sku }, lock: writeLock(em) });
      if (existing) {
        await em.update(ProductRow, { id: existing.id }, { title, attributes });
        return em.findOneByOrFail(ProductRow, { id: existing.id });
      }
      return em.save(em.create(ProductRow, { sku: input.sku, title, attributes }));
    });
    return toProduct(row);
  }

  @Mutation(() => Product, { description: "Maps a channel's SKU id to a product (admin, channel). Re-mapping moves it." })
  async mapChannelSku(@Arg("input") input: MapChannelSkuInput, @Ctx() ctx: Ctx): Promise<Product> {
    requireRole(ctx.principal, "admin", "channel");
    const channelSkuId = requiredText(input.channelSkuId, "channelSkuId", "channelSkuId");
    const product = await ctx.ds.getRepository(ProductRow).findOneBy({ sku: input.sku });
    if (!product) throw notFound(`No product with sku "${input.sku.slice(0, 80)}".`);
    await inTransaction(ctx.ds, async (em) => {
      const existing = await em.findOne(ChannelSkuRow, { where: { channel: input.channel, channelSkuId }, lock: writeLock(em) });
      if (existing?.productId === product.id) return;
      if (existing) await em.update(ChannelSkuRow, { id: existing.id }, { productId: product.id });
      else await em.insert(ChannelSkuRow, { channel: input.channel, channelSkuId, productId: product.id });
      // Orders waiting on this SKU (UNMAPPED_SKU) are released by this event.
      await appendEvent(em, {
        aggregateId: toGlobalId("Product", product.id),
        type: "product.channel_sku_mapped",
        source: "api",
        actor: ctx.principal!.sub,
        payload: { channel: input.channel, channelSkuId, productKey: product.id, sku: product.sku },
      });
    });
    void ctx.relay.poke();
    return toProduct(product);
  }
}

@Resolver(() => OrderLine)
export class OrderLineProductResolver {
  @FieldResolver(() => Product, { nullable: true, description: "The product the line's channel SKU maps to; null while unmapped." })
  @Directive('@requires(fields: "channel channelSkuId")')
  async product(@Root() line: OrderLine, @Ctx() ctx: Ctx): Promise<Product | null> {
    const row = await ctx.loaders.productByChannelSku.load(`${line.channel}:${line.channelSkuId}`);
    return row ? toProduct(row) : null;
  }
}
