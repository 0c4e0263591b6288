import { createHash } from "node:crypto";
import { LRUCache } from "lru-cache";

/**
 * The products subgraph's entity answers, reused for a few seconds (PRODUCT_CACHE_SECONDS).
 *
 * A storefront page asks for the product of every line it shows, and those products are
 * the public catalog: every Product field is PUBLIC in the visibility policy, and a line's
 * product is a function of its channel SKU alone, not of which line or whose order it is.
 * So the answer for (channel, channelSkuId) is the same for every line that sells it, and
 * a page whose products are all known skips the products fetch.
 *
 * What this costs: a product's title, or a channel SKU re-mapped to another product, may
 * show its old value for up to the cache's lifetime. A catalog mutation through this
 * gateway empties it at once; another gateway instance sees the change within the lifetime.
 * Only whole fetches are answered from the cache (every representation known): a partial
 * answer would renumber the entities and the error paths the planner maps back by index.
 */
export const CATALOG_SERVICE = "products";

/** Per entity type the products subgraph resolves: the representation fields its answer depends on. */
export const DEPENDS_ON: Readonly<Record<string, readonly string[]>> = {
  OrderLine: ["channel", "channelSkuId"],
  Product: ["id"],
};

const MAX_ENTRIES = 20_000;
/** Keys and answers together (characters): products carry attributes and mapping lists. */
const MAX_SIZE = 32 * 1024 * 1024;

export class CatalogCache {
  // As JSON text: the planner merges later fetches into the entities it is given, so each
  // answer gets objects of its own.
  private readonly entries: LRUCache<string, string>;
  /**
   * Moves on at every clear: a read that began before a catalog write and ends after it
   * carries the old generation, and its (possibly old) answer is not kept.
   */
  private generation = 0;

  constructor(ttlMs: number) {
    this.entries = new LRUCache<string, string>({ max: MAX_ENTRIES, maxSize: MAX_SIZE, sizeCalculation: (v, k) => v.length + k.length, ttl: ttlMs });
  }

  /** Taken before a fetch is sent; store() keeps its answer only if nothing was cleared since. */
  currentGeneration(): number {
    return this.generation;
  }

  /**
   * One key per representation, or null when the fetch is not one the cache may answer
   * (not an entity fetch, or an entity type it does not know). The key holds the fetch's
   * text and other variables (what is selected, with which arguments) and the caller's
   * roles, so no answer crosses to a caller who could see less.
   */
  keysOf(query: string, variables: Record<string, unknown> | undefined, roles: readonly string[]): string[] | null {
    const representations = variables?.representations;
    if (!Array.isArray(representations) || representations.length === 0 || !query.includes("_entities")) return null;
    const { representations: _, ...rest } = variables!;
    // Hashed: the fetch's text repeated in every key would make each many times its answer.
    const prefix = createHash("sha256").update(`${query}\n${JSON.stringify(rest)}\n${[...roles].sort().join(",")}`).digest("base64url");
    const keys: string[] = [];
    for (const r of representations as Array<Record<string, unknown>>) {
      const fields = r && typeof r === "object" ? DEPENDS_ON[String(r.__typename)] : undefined;
      if (!fields) return null;
      keys.push(prefix + String(r.__typename) + JSON.stringify(fields.map((f) => r[f] ?? null)));
    }
    return keys;
  }

  /** The entities for `keys`, in order, when every one is cached; otherwise null. */
  lookup(keys: string[]): object[] | null {
    const found: object[] = [];
    for (const k of keys) {
      const hit = this.entries.get(k);
      if (hit === undefined) return null;
      found.push(JSON.parse(hit) as object);
    }
    return found;
  }

  /**
   * Keeps the answers of an error-free fetch sent at `generation`. A null entity is not
   * kept; a line whose SKU is unmapped is an entity with `product: null` and is, for the
   * cache's lifetime, unless a mapping through this gateway clears it.
   */
  store(keys: string[], entities: unknown, generation: number): void {
    if (generation !== this.generation || !Array.isArray(entities) || entities.length !== keys.length) return;
    entities.forEach((e, i) => {
      if (e && typeof e === "object") this.entries.set(keys[i], JSON.stringify(e));
    });
  }

  clear(): void {
    this.generation++;
    this.entries.clear();
  }
}
