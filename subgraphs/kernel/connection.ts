import { Directive, Field, Int, ObjectType, type ClassType } from "type-graphql";
import { badInput } from "./errors";

/** Relay pagination with keyset cursors: a cursor is the sort key of the last row seen. */
@ObjectType()
@Directive("@shareable")
export class PageInfo {
  @Field()
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

export interface Edge<T> {
  cursor: string;
  node: T;
}
export interface Connection<T> {
  edges: Edge<T>[];
  pageInfo: PageInfo;
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

export function pageSize(first: number | null | undefined): number {
  if (first === null || first === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
    throw badInput(`first must be between 1 and ${MAX_PAGE_SIZE}, got ${first}.`, { argument: "first" });
  }
  return first;
}

export function encodeCursor(key: Array<string | number>): string {
  return Buffer.from(JSON.stringify(key)).toString("base64url");
}

/** Decodes a cursor made by `encodeCursor` with the given shape (s = string, n = number). */
export function decodeCursor(cursor: string | null | undefined, shape: Array<"s" | "n">): Array<string | number> | null {
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
  throw badInput(`"after" is not a cursor from this list; pass pageInfo.endCursor back as it was.`, { argument: "after" });
}

/** Builds a connection from `limit + 1` rows fetched in order. */
export function toConnection<R, T>(rows: R[], limit: number, cursorOf: (r: R) => Array<string | number>, nodeOf: (r: R) => T): Connection<T> {
  const page = rows.slice(0, limit);
  const edges = page.map((r) => ({ cursor: encodeCursor(cursorOf(r)), node: nodeOf(r) }));
  return {
    edges,
    pageInfo: { hasNextPage: rows.length > limit, endCursor: edges.length ? edges[edges.length - 1].cursor : null },
  };
}

export { Int };
