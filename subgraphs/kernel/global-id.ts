import { SUBGRAPH_NAMES, type SubgraphName } from "./config";
import { badInput } from "./errors";

/**
 * Global IDs: gid://orderhub/<Type>/<key>. <Type> equals the GraphQL __typename.
 * This is the only module that knows the format.
 */
export const NODE_TYPES = ["Order", "OrderLine", "OrderException", "Customer", "ChannelIdentity", "CustomerMatchCandidate", "OutboundDelivery", "Product", "AfterSalesCase"] as const;
export type NodeType = (typeof NODE_TYPES)[number];

const PREFIX = "gid://orderhub/";
const KEY_PATTERN = /^[1-9][0-9]{0,9}$/;
/** Keys are INT columns: a larger key names nothing, and is refused like any malformed one. */
const MAX_KEY = 2_147_483_647;

export function toGlobalId(type: NodeType, key: number | string): string {
  return `${PREFIX}${type}/${key}`;
}

export interface ParsedGlobalId {
  type: NodeType;
  key: number;
}

/** Parses any global ID of a known type; malformed input is BAD_USER_INPUT. */
export function parseAnyGlobalId(id: unknown): ParsedGlobalId {
  if (typeof id !== "string" || !id.startsWith(PREFIX)) {
    throw badInput(`"${String(id).slice(0, 100)}" is not a global ID; expected gid://orderhub/<Type>/<key>.`, { argument: "id" });
  }
  const [type, key, ...rest] = id.slice(PREFIX.length).split("/");
  if (rest.length > 0 || !type || !key) {
    throw badInput(`"${id.slice(0, 100)}" is not a global ID; expected gid://orderhub/<Type>/<key>.`);
  }
  if (!(NODE_TYPES as readonly string[]).includes(type)) {
    throw badInput(`Unknown type "${type}" in ID "${id.slice(0, 100)}"; known types: ${NODE_TYPES.join(", ")}.`);
  }
  if (!KEY_PATTERN.test(key) || Number(key) > MAX_KEY) {
    throw badInput(`"${id.slice(0, 100)}" has an invalid key "${key.slice(0, 40)}".`);
  }
  return { type: type as NodeType, key: Number(key) };
}

const withArticle = (type: string) => `${/^[AEIOU]/.test(type) ? "an" : "a"} ${type}`;

/** Parses a global ID that must be of `expected`; any other type names the expected one. */
export function parseGlobalId(id: unknown, expected: NodeType): number {
  let parsed: ParsedGlobalId;
  try {
    parsed = parseAnyGlobalId(id);
  } catch (e) {
    throw badInput(`Expected ${withArticle(expected)} ID (gid://orderhub/${expected}/<key>): ${(e as Error).message}`, { expectedType: expected });
  }
  if (parsed.type !== expected) {
    throw badInput(`Expected ${withArticle(expected)} ID, got ${withArticle(parsed.type)} ID "${String(id)}".`, { expectedType: expected });
  }
  return parsed.key;
}

/**
 * Parked events are rows of the service whose consumer could not apply them:
 * gid://orderhub/ParkedEvent/<service>:<key>. They are not Nodes (node() does not
 * resolve them); their ids are for retryParkedEvents.
 */
export const PARKED_EVENT_SERVICES = SUBGRAPH_NAMES;
export type ParkedEventService = SubgraphName;

export function toParkedEventId(service: ParkedEventService, key: number): string {
  return `${PREFIX}ParkedEvent/${service}:${key}`;
}

export function parseParkedEventId(id: unknown): { service: ParkedEventService; key: number } {
  const m = typeof id === "string" ? /^gid:\/\/orderhub\/ParkedEvent\/([a-z]+):([1-9][0-9]{0,9})$/.exec(id) : null;
  if (!m || !(PARKED_EVENT_SERVICES as readonly string[]).includes(m[1]) || Number(m[2]) > MAX_KEY) {
    throw badInput(`"${String(id).slice(0, 100)}" is not a parked event ID; expected gid://orderhub/ParkedEvent/<service>:<key> (service: ${PARKED_EVENT_SERVICES.join(", ")}).`, { argument: "ids", expectedType: "ParkedEvent" });
  }
  return { service: m[1] as ParkedEventService, key: Number(m[2]) };
}
