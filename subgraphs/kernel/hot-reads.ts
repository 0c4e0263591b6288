import type { DataSource, EntityTarget, ObjectLiteral } from "typeorm";
import type { ColumnMetadata } from "typeorm/metadata/ColumnMetadata";
import type { EntityMetadata } from "typeorm/metadata/EntityMetadata";
import { padIds, PREPARED } from "./prepared-reads";

/**
 * The storefront's hottest reads, "the rows of one entity whose column is in a list",
 * with their SQL built once. TypeORM's find() builds the text anew on every call
 * (aliases, where-expression, property names replaced by regular expressions): on the
 * storefront query that was about a quarter of each subgraph's CPU. Here the text is
 * built once per entity, column, order and padded list size, runs as a prepared read
 * (see prepared-reads.ts), and the rows are hydrated through the entity's own column
 * metadata, with the driver's conversions and column transformers, as find() does.
 *
 * Only for plain entities: no relations loaded, no virtual columns, no listeners on load
 * (checked when a text is first built; anything else stays with find()).
 */
export type Order<T> = Array<[keyof T & string, "ASC" | "DESC"]>;

interface Statement {
  sql: string;
  columns: ColumnMetadata[];
}

const statements = new WeakMap<DataSource, Map<string, Statement>>();

export async function findIn<T extends ObjectLiteral>(
  ds: DataSource,
  entity: EntityTarget<T>,
  property: keyof T & string,
  keys: readonly unknown[],
  order: Order<T> = [],
): Promise<T[]> {
  if (keys.length === 0) return [];
  const values = padIds([...new Set(keys)]);
  const meta = ds.getMetadata(entity);
  const statement = statementFor(ds, meta, property, values.length, order);
  const sqlite = ds.options.type === "better-sqlite3";
  // On SQLite an integer is bound as a 64-bit integer, the value a literal would have had.
  const bound = sqlite ? values.map((v) => (typeof v === "number" && Number.isSafeInteger(v) ? BigInt(v) : v)) : values;
  const rows = (await ds.query(statement.sql, bound)) as Array<Record<string, unknown>>;
  return rows.map((row) => hydrate<T>(ds, meta, statement.columns, row));
}

function statementFor(ds: DataSource, meta: EntityMetadata, property: string, size: number, order: Order<ObjectLiteral>): Statement {
  let cache = statements.get(ds);
  if (!cache) statements.set(ds, (cache = new Map()));
  const key = `${meta.name}|${property}|${order.map(([p, d]) => `${p} ${d}`).join(",")}|${size}`;
  let statement = cache.get(key);
  if (!statement) {
    statement = buildStatement(ds, meta, property, size, order);
    cache.set(key, statement);
  }
  return statement;
}

function buildStatement(ds: DataSource, meta: EntityMetadata, property: string, size: number, order: Order<ObjectLiteral>): Statement {
  if (meta.relations.some((r) => r.isEager) || meta.afterLoadListeners.length > 0 || meta.columns.some((c) => c.isVirtualProperty) || meta.tablePath.includes(".")) {
    throw new Error(`findIn does not read ${meta.name}: eager relations, load listeners, virtual columns or a schema-qualified table need find().`);
  }
  const esc = (name: string) => ds.driver.escape(name);
  const column = (p: string) => {
    const c = meta.findColumnWithPropertyPath(p);
    if (!c) throw new Error(`${meta.name} has no column ${p}.`);
    return esc(c.databaseName);
  };
  const columns = meta.columns.filter((c) => c.isSelect && !c.isVirtual);
  const orderBy = order.length > 0 ? ` ORDER BY ${order.map(([p, d]) => `${column(p)} ${d}`).join(", ")}` : "";
  const sql =
    `/* ${PREPARED} */ SELECT ${columns.map((c) => esc(c.databaseName)).join(", ")} FROM ${esc(meta.tablePath)}` +
    ` WHERE ${column(property)} IN (${new Array(size).fill("?").join(", ")})${orderBy}`;
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
