import type { IncomingMessage, ServerResponse } from "node:http";
import { HeaderMap, type ApolloServer, type BaseContext, type HTTPGraphQLResponse } from "@apollo/server";
import type { HubErrorCode } from "./error-codes";
import { withErrorCode } from "./errors";
import { bindRequest, requestInfoOf } from "./logging";

/** Small HTTP helpers shared by the gateway and the subgraphs. */
export class BodyTooLarge extends Error {}

export async function readBody(req: IncomingMessage, maxBytes: number): Promise<string> {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > maxBytes) throw new BodyTooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new BodyTooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** A GraphQL-shaped error response for failures before GraphQL execution starts (code and errorCode from the table). */
export function sendError(res: ServerResponse, status: number, code: HubErrorCode, message: string, headers: Record<string, string> = {}): void {
  // The request's log line and metrics report the code it was refused with.
  const info = requestInfoOf(res);
  if (info && !info.errorCode) info.errorCode = code;
  sendJson(res, status, errorBody(code, message), headers);
}

export function errorBody(code: HubErrorCode, message: string, extra: Record<string, unknown> = {}) {
  return { errors: [{ message, extensions: withErrorCode({ ...extra, code }) }] };
}

export function toHeaderMap(req: IncomingMessage): HeaderMap {
  const map = new HeaderMap();
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined) map.set(k, Array.isArray(v) ? v.join(", ") : v);
  }
  return map;
}

export async function writeApolloResponse(res: ServerResponse, response: HTTPGraphQLResponse): Promise<void> {
  const headers: Record<string, string> = {};
  for (const [k, v] of response.headers) headers[k] = v;
  res.writeHead(response.status ?? 200, headers);
  if (response.body.kind === "complete") {
    res.end(response.body.string);
  } else {
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  }
}

export async function executeGraphQL<C extends BaseContext>(
  apollo: ApolloServer<C>,
  req: IncomingMessage,
  res: ServerResponse,
  body: unknown,
  context: () => Promise<C>,
): Promise<void> {
  const url = new URL(req.url ?? "/", "http://localhost");
  const info = requestInfoOf(res);
  const response = await apollo.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method: req.method ?? "GET", headers: toHeaderMap(req), search: url.search, body },
    // Apollo's plugins and formatError see the context, never the response: the request's info goes with it.
    context: async () => {
      const value = await context();
      if (info) bindRequest(value, info);
      return value;
    },
  });
  await writeApolloResponse(res, response);
}

/** Parses a JSON body; returns undefined for an empty one. Throws SyntaxError on bad JSON. */
export function parseJsonBody(text: string): unknown {
  return text.length === 0 ? undefined : JSON.parse(text);
}

/**
 * The client went away before its request was read or answered (a closed tab, a load
 * generator stopping): nothing failed on our side, so it is not an error to log.
 */
export function isClientGone(req: IncomingMessage, err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return req.destroyed && (code === "ECONNRESET" || code === "ERR_STREAM_PREMATURE_CLOSE" || (err as Error)?.message === "aborted");
}
