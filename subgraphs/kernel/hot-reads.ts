import type { DataSource, EntityTarget, ObjectLiteral } from "typeorm";
import type { ColumnMetadata } from "typeorm/metadata/ColumnMetadata";
import type { EntityMetadata } from "typeorm/metadata/EntityMetadata";
import { asBigInt, MAX_BATCH, padIds, PREPARED } from "./prepared-reads";

/**
 * The storefront's hottest reads, "the rows of one entity whose columns are in lists",
 * with their SQL built once. TypeORM's find() builds the text anew on every call
 * (aliases, where-expression, property names replaced by regular expressions): on the
 * storefront query that was about a quarter of each subgraph's CPU. Here the text is
 * built once per entity, columns, order and padded list sizes, runs as a prepared read
 * (see prepared-reads.ts), and the rows are hydrated through the entity's own column
 * metadata, with the driver's conversions and column transformers, as find() does.
 *
 * Several lists are ANDed: `{ channel: CHANNELS, channelCustomerId: [...] }` reads through
 * the (channel, channelCustomerId) index, where the id alone would scan the table. The
 * rows then hold every combination of the lists: callers keep the pairs they asked for.
 * Every list's size is part of the text, so a list that varies little (the channels) is
 * best given whole: one text instead of one per mix.
 *
 * Only for plain entities (checked when a text is first built; anything else stays with
 * find()): no relations, no soft-delete or inheritance columns that find() filters on, no
 * virtual columns, no listeners or subscribers on load.
 */
export type Order<T> = Array<[keyof T & string, "ASC" | "DESC"]>;
export type InLists<T> = Partial<Record<keyof T & string, readonly unknown[]>>;

interface Statement {
  sql: string;
  columns: ColumnMetadata[];
}

const statements = new WeakMap<DataSource, Map<EntityMetadata, Map<string, Statement>>>();

export async function findIn<T extends ObjectLiteral>(ds: DataSource, entity: EntityTarget<T>, where: InLists<T>, order: Order<T> = []): Promise<T[]> {
  const lists = Object.entries(where) as Array<[string, readonly unknown[]]>;
  if (lists.length === 0) throw new Error("findIn needs at least one column to match.");
  const padded: Array<[string, unknown[]]> = [];
  for (const [property, keys] of lists) {
    const distinct = [...new Set(keys)];
    if (distinct.length === 0) return [];
    // Callers batch at most MAX_BATCH (DataLoader's maxBatchSize): a handful of list sizes per read.
    if (distinct.length > MAX_BATCH) throw new Error(`findIn takes at most ${MAX_BATCH} values per column, not ${distinct.length}.`);
    padded.push([property, padIds(distinct)]);
  }
  const meta = ds.getMetadata(entity);
  const statement = statementFor(ds, meta, padded, order);
  const values = padded.flatMap(([, v]) => v);
  const bound = ds.options.type === "better-sqlite3" ? values.map(asBigInt) : values;
  const rows = (await ds.query(statement.sql, bound)) as Array<Record<string, unknown>>;
  return rows.map((row) => hydrate<T>(ds, meta, statement.columns, row));
}

function statementFor(ds: DataSource, meta: EntityMetadata, lists: Array<[string, unknown[]]>, order: Order<ObjectLiteral>): Statement {
  let perEntity = statements.get(ds);
  if (!perEntity) statements.set(ds, (perEntity = new Map()));
  let cache = perEntity.get(meta);
  if (!cache) perEntity.set(meta, (cache = new Map()));
  const key = `${lists.map(([p, v]) => `${p}:${v.length}`).join(",")}|${order.map(([p, d]) => `${p} ${d}`).join(",")}`;
  let statement = cache.get(key);
  if (!statement) {
    statement = buildStatement(ds, meta, lists, order);
    cache.set(key, statement);
  }
  return statement;
}

function buildStatement(ds: DataSource, meta: EntityMetadata, lists: Array<[string, unknown[]]>, order: Order<ObjectLiteral>): Statement {
  const unsupported =
    meta.relations.length > 0 ||
    !!meta.deleteDateColumn ||
    !!meta.discriminatorColumn ||
    meta.afterLoadListeners.length > 0 ||
    ds.subscribers.length > 0 ||
    meta.columns.some((c) => c.isVirtualProperty || !!c.embeddedMetadata) ||
    meta.tablePath.includes(".");
  if (unsupported) {
    throw new Error(`findIn does not read ${meta.name}: relations, soft delete, inheritance, embedded or virtual columns, load listeners, subscribers or a schema-qualified table need find().`);
  }
  const esc = (name: string) => ds.driver.escape(name);
  const column = (p: string) => {
    const c = meta.findColumnWithPropertyPath(p);
    if (!c) throw new Error(`${meta.name} has no column ${p}.`);
    return esc(c.databaseName);
  };
  for (const [, d] of order) if (d !== "ASC" && d !== "DESC") throw new Error(`findIn orders ASC or DESC, not ${String(d)}.`);
  const columns = meta.columns.filter((c) => c.isSelect && !c.isVirtual);
  const conditions = lists.map(([p, v]) => `${column(p)} IN (${new Array(v.length).fill("?").join(", ")})`).join(" AND ");
  const orderBy = order.length > 0 ? ` ORDER BY ${order.map(([p, d]) => `${column(p)} ${d}`).join(", ")}` : "";
  const sql = `/* ${PREPARED} */ SELECT ${columns.map((c) => esc(c.databaseName)).join(", ")} FROM ${esc(meta.tablePath)} WHERE ${conditions}${orderBy}`;
  return { sql, columns };
}

function hydrate<T>(ds: DataSource, meta: EntityMetadata, columns: ColumnMetadata[], row: Record<string, unknown>): T {
  const entity = meta.create(undefined, { fromDeserializer: true });
  for (const c of columns) {
    const value = row[c.databaseName];
    if (value !== undefined) c.setEntityValue(entity, ds.driver.prepareHydratedValue(value, c));
  }
  return entity as T;
}
