import { Arg, Args, Ctx, Directive, FieldResolver, Mutation, Query, Resolver, Root } from "type-graphql";
import { Brackets } from "typeorm";
import { connectionType, PageArgs, paginate } from "../kernel/connection";
import { requireRole, requireRoleForChannel } from "../kernel/principal";
import type { SubgraphContext } from "../kernel/subgraph";
import { LIKE_ESCAPE, likeTerm, mapChannelSku, upsertProduct } from "./catalog-service";
import { ProductRow } from "./entities";
import type { ProductLoaders } from "./loaders";
import { ChannelSku, MapChannelSkuInput, OrderLine, Product, toChannelSku, toProduct, UpsertProductInput } from "./schema";

type Ctx = SubgraphContext<ProductLoaders>;

export const ProductConnection = connectionType(Product, "Product");

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
    @Args(() => PageArgs) page: PageArgs,
    @Arg("search", () => String, { nullable: true }) search?: string,
  ) {
    const term = search ? likeTerm(search) : "";
    const qb = ctx.ds.getRepository(ProductRow).createQueryBuilder("p");
    if (term) {
      const like = (column: string, param: string) => `${column} LIKE :${param} ESCAPE '${LIKE_ESCAPE}'`;
      qb.andWhere(new Brackets((w) => w.where(like("p.sku", "prefix"), { prefix: `${term}%` }).orWhere(like("p.title", "word"), { word: `%${term}%` })));
    }
    return paginate(qb, page, { order: "ASC", keys: [{ column: "p.id", kind: "n", of: (r) => r.id }] }, toProduct);
  }

  @FieldResolver(() => [ChannelSku])
  async channelSkus(@Root() product: Product, @Ctx() ctx: Ctx): Promise<ChannelSku[]> {
    return (await ctx.loaders.mappingsByProduct.load(product.key)).map(toChannelSku);
  }

  @Mutation(() => Product, { description: "Creates or updates a product by SKU (admin, warehouse)." })
  async upsertProduct(@Arg("input") input: UpsertProductInput, @Ctx() ctx: Ctx): Promise<Product> {
    const principal = requireRole(ctx.principal, "admin", "warehouse");
    const row = await upsertProduct(ctx.ds, input, principal.sub);
    void ctx.relay.poke();
    return toProduct(row);
  }

  @Mutation(() => Product, { description: "Maps a channel's SKU id to a product (admin, or a channel token for its own channel). Re-mapping moves it." })
  async mapChannelSku(@Arg("input") input: MapChannelSkuInput, @Ctx() ctx: Ctx): Promise<Product> {
    const principal = requireRoleForChannel(ctx.principal, input.channel, "admin", "channel");
    const row = await mapChannelSku(ctx.ds, input, principal.sub);
    void ctx.relay.poke();
    return toProduct(row);
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
