import { ArgsType, Directive, Field, Int, ObjectType, type ClassType } from "type-graphql";
import type { ObjectLiteral, SelectQueryBuilder } from "typeorm";
import { badInput } from "./errors";

/**
 * Relay cursor connections with keyset cursors: a cursor is the sort key of its row, so
 * a page never skips or repeats a row when rows are added or removed elsewhere in the list.
 * Every connection pages through `paginate`, so they all take the same four arguments
 * and answer the same PageInfo.
 */
@ObjectType({ description: "Where a page sits in its list (Relay Cursor Connections)." })
@Directive("@shareable")
export class PageInfo {
  @Field({ description: "Rows follow this page's last edge (or follow `before`)." })
  hasNextPage!: boolean;

  @Field({ description: "Rows precede this page's first edge (or precede `after`)." })
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true, description: "The first edge's cursor; null on an empty page." })
  startCursor!: string | null;

  @Field(() => String, { nullable: true, description: "The last edge's cursor; null on an empty page." })
  endCursor!: string | null;
}

@ArgsType()
export class PageArgs {
  @Field(() => Int, { nullable: true, description: "Page forward: the first n rows (1 to 100, default 20) after `after`." })
  first?: number | null;

  @Field(() => String, { nullable: true, description: "A cursor from this list (pageInfo.endCursor to go on)." })
  after?: string | null;

  @Field(() => Int, { nullable: true, description: "Page backward: the last n rows (1 to 100) before `before`. Not with `first`." })
  last?: number | null;

  @Field(() => String, { nullable: true, description: "A cursor from this list (pageInfo.startCursor to go back)." })
  before?: string | null;
}

export interface Edge<T> {
  cursor: string;
  node: T;
}

/** PageInfo as resolvers return it: a flag that needs a query is a promise, run only when selected. */
export interface PageInfoValue {
  hasNextPage: boolean | Promise<boolean>;
  hasPreviousPage: boolean | Promise<boolean>;
  startCursor: string | null;
  endCursor: string | null;
}

export interface Connection<T> {
  edges: Edge<T>[];
  pageInfo: PageInfoValue;
}

export function connectionType<T extends object>(nodeType: ClassType<T>, name: string) {
  @ObjectType(`${name}Edge`)
  class EdgeType {
    @Field()
    cursor!: string;

    @Field(() => nodeType)
    node!: T;
  }

  @ObjectType(`${name}Connection`)
  class ConnectionType {
    @Field(() => [EdgeType])
    edges!: EdgeType[];

    @Field(() => PageInfo)
    pageInfo!: PageInfo;
  }
  return ConnectionType as ClassType<Connection<T>>;
}

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

export type CursorKey = Array<string | number>;

export interface PagePlan {
  /** Forward takes rows from the start of the (bounded) list, backward from its end. */
  direction: "forward" | "backward";
  limit: number;
}

function size(value: number, argument: "first" | "last"): number {
  if (!Number.isInteger(value) || value < 1 || value > MAX_PAGE_SIZE) {
    throw badInput(`${argument} must be between 1 and ${MAX_PAGE_SIZE}, got ${value}.`, { argument });
  }
  return value;
}

/**
 * Which end of the list a page is taken from. `first` and `last` together would mean
 * "the last m of the first n", which the spec discourages and no client needs: refused.
 * `before` without a size pages backward (the rows just before it), as a client that
 * passes startCursor back expects.
 */
export function pagePlan(args: PageArgs): PagePlan {
  const hasFirst = args.first !== null && args.first !== undefined;
  const hasLast = args.last !== null && args.last !== undefined;
  if (hasFirst && hasLast) throw badInput("Pass first or last, not both: first pages forward, last pages backward.", { argument: "last" });
  if (hasLast) return { direction: "backward", limit: size(args.last!, "last") };
  if (hasFirst) return { direction: "forward", limit: size(args.first!, "first") };
  return { direction: args.before !== null && args.before !== undefined && (args.after === null || args.after === undefined) ? "backward" : "forward", limit: DEFAULT_PAGE_SIZE };
}

export function encodeCursor(key: CursorKey): string {
  return Buffer.from(JSON.stringify(key)).toString("base64url");
}

/** Decodes a cursor made by `encodeCursor` with the given shape (s = string, n = number). */
export function decodeCursor(cursor: string | null | undefined, shape: Array<"s" | "n">, argument: "after" | "before" = "after"): CursorKey | null {
  if (cursor === null || cursor === undefined) return null;
  try {
    const key = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (
      Array.isArray(key) &&
      key.length === shape.length &&
      key.every((v, i) => (shape[i] === "n" ? Number.isSafeInteger(v) : typeof v === "string"))
    ) {
      return key;
    }
  } catch {
    /* fall through */
  }
  throw notACursor(argument);
}

function notACursor(argument: "after" | "before") {
  const hint = argument === "after" ? "pageInfo.endCursor" : "pageInfo.startCursor";
  return badInput(`"${argument}" is not a cursor from this list; pass ${hint} back as it was.`, { argument });
}

/** One column of a list's sort order; the last one must be unique (the id) so the order is total. */
export interface SortKey<R> {
  /** The column as the query builder names it, e.g. "o.placedAt". */
  column: string;
  /** What the cursor holds: a string or a safe integer. */
  kind: "s" | "n";
  /** The row's value as it goes into the cursor. */
  of(row: R): string | number;
  /** Turns a decoded cursor value into the SQL parameter; undefined when it is not valid. */
  parse?(value: string | number): unknown;
}

export interface Keyset<R> {
  keys: Array<SortKey<R>>;
  /** The list's order, applied to every key. */
  order: "ASC" | "DESC";
}

let paramSeq = 0;

/**
 * SQL for "the row comes after the cursor row in the list's order" (strictly), as a
 * lexicographic comparison over the keys: (k0 > c0) OR (k0 = c0 AND k1 > c1) OR ...
 */
function afterCondition<R>(keyset: Keyset<R>, values: unknown[]): [string, Record<string, unknown>] {
  const op = keyset.order === "ASC" ? ">" : "<";
  const names = values.map(() => `page_${++paramSeq}`);
  const params = Object.fromEntries(names.map((n, i) => [n, values[i]]));
  const terms = keyset.keys.map((key, i) => {
    const equal = keyset.keys.slice(0, i).map((k, j) => `${k.column} = :${names[j]}`);
    return `(${[...equal, `${key.column} ${op} :${names[i]}`].join(" AND ")})`;
  });
  return [`(${terms.join(" OR ")})`, params];
}

/** The reverse order: what comes before the cursor row in the list comes after it here. */
function reversed<R>(keyset: Keyset<R>): Keyset<R> {
  return { keys: keyset.keys, order: keyset.order === "ASC" ? "DESC" : "ASC" };
}

function cursorValues<R>(keyset: Keyset<R>, cursor: string | null | undefined, argument: "after" | "before"): unknown[] | null {
  const key = decodeCursor(cursor, keyset.keys.map((k) => k.kind), argument);
  if (!key) return null;
  return keyset.keys.map((k, i) => {
    if (!k.parse) return key[i];
    const value = k.parse(key[i]);
    if (value === undefined) throw notACursor(argument);
    return value;
  });
}

async function anyRow<R extends ObjectLiteral>(qb: SelectQueryBuilder<R>, column: string): Promise<boolean> {
  return (await qb.select(column, "k").limit(1).getRawOne()) !== undefined;
}

/** Runs the promise-returning function once, on first use. */
function once<V>(f: () => Promise<V>): () => Promise<V> {
  let value: Promise<V> | undefined;
  return () => (value ??= f());
}

/**
 * One page of `qb` (filters and joins applied, no order or limit) by keyset.
 *
 * Forward, the rows after `after`, in list order, limit + 1 fetched: the extra row
 * says whether a next page exists. Backward, the same in reverse order, turned back.
 * Both cursors together bound the list on both sides.
 *
 * The flags are truthful in both directions, also where the spec would allow `false`:
 * hasPreviousPage when paging forward from `after` is whether any row sits at or before
 * `after` (the cursor row may have been deleted or left the filter since), and
 * hasNextPage when paging backward from `before` likewise. Those need one more query,
 * which runs only when the client selects the flag.
 */
export async function paginate<R extends ObjectLiteral, T>(
  qb: SelectQueryBuilder<R>,
  args: PageArgs,
  keyset: Keyset<R>,
  nodeOf: (row: R) => T,
): Promise<Connection<T>> {
  const plan = pagePlan(args);
  const after = cursorValues(keyset, args.after, "after");
  const before = cursorValues(keyset, args.before, "before");
  const unbounded = qb.clone();
  if (after) qb.andWhere(...afterCondition(keyset, after));
  if (before) qb.andWhere(...afterCondition(reversed(keyset), before));
  const order = plan.direction === "forward" ? keyset.order : reversed(keyset).order;
  keyset.keys.forEach((k, i) => (i === 0 ? qb.orderBy(k.column, order) : qb.addOrderBy(k.column, order)));
  // limit, not take: take with any join runs a second, DISTINCT query first.
  const rows = await qb.limit(plan.limit + 1).getMany();
  const more = rows.length > plan.limit;
  const page = rows.slice(0, plan.limit);
  if (plan.direction === "backward") page.reverse();

  const edges = page.map((r) => ({ cursor: encodeCursor(keyset.keys.map((k) => k.of(r))), node: nodeOf(r) }));
  const idColumn = keyset.keys[keyset.keys.length - 1].column;
  // "At or before `after`" is "not after it": the keys are unique and never null.
  const rowsUpToAfter = once(() => {
    const [condition, params] = afterCondition(keyset, after!);
    return anyRow(unbounded.clone().andWhere(`NOT ${condition}`, params), idColumn);
  });
  const rowsFromBefore = once(() => {
    const [condition, params] = afterCondition(reversed(keyset), before!);
    return anyRow(unbounded.clone().andWhere(`NOT ${condition}`, params), idColumn);
  });
  const moreAhead = plan.direction === "forward" && more;
  const moreBehind = plan.direction === "backward" && more;
  return {
    edges,
    pageInfo: {
      get hasNextPage() {
        return moreAhead || !before ? moreAhead : rowsFromBefore();
      },
      get hasPreviousPage() {
        return moreBehind || !after ? moreBehind : rowsUpToAfter();
      },
      startCursor: edges.length ? edges[0].cursor : null,
      endCursor: edges.length ? edges[edges.length - 1].cursor : null,
    },
  };
}

export { Int };
