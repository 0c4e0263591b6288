import { randomUUID } from "node:crypto";
import pino, { type DestinationStream, type Logger } from "pino";
import { ConfigError } from "./config";

type Env = Record<string, string | undefined>;

export type { Logger };

/**
 * Structured logs: one JSON line per request and per consumed event (pino), with a
 * request id the gateway makes and passes to the subgraphs. What goes in a line is
 * chosen field by field: never a token, a body, variables, a name, a phone, an address
 * or a subject — the role, an id the hub made, an operation name, a status, a duration.
 */

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

export function logLevel(env: Env): (typeof LOG_LEVELS)[number] {
  const raw = env.LOG_LEVEL;
  if (raw === undefined || raw === "") return "info";
  const level = raw.trim().toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new ConfigError(`LOG_LEVEL="${raw.slice(0, 40)}" is invalid: expected one of ${LOG_LEVELS.join(", ")}.`);
  return level as (typeof LOG_LEVELS)[number];
}

/** A root logger: level from LOG_LEVEL, ISO times, to stdout unless a destination is given (tests). */
export function createLogger(env: Env, destination?: DestinationStream): Logger {
  const level = logLevel(env);
  const withStack = level === "debug" || level === "trace";
  return pino(
    {
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // Errors keep their type and message; the stack stays out unless debugging.
      serializers: { err: (err: unknown) => errorFields(err, withStack) },
    },
    destination,
  );
}

/**
 * What a log line keeps of an error: its type, code and message with quoted values and
 * long digit runs taken out, and at debug its stack, redacted the same way (its first
 * line repeats the message). A thrown string or object is redacted too: a driver or a
 * library may throw anything, and a log line must not hold a row's values.
 */
export function errorFields(err: unknown, withStack: boolean): Record<string, unknown> {
  if (!(err instanceof Error)) {
    const message = typeof err === "object" && err !== null && typeof (err as { message?: unknown }).message === "string" ? (err as { message: string }).message : String(err);
    return { message: redacted(message) };
  }
  const code = (err as { code?: unknown }).code;
  return {
    type: err.name,
    message: redacted(err.message),
    ...(typeof code === "string" ? { code: redacted(code, 60) } : {}),
    ...(withStack && err.stack ? { stack: redacted(err.stack, 4000) } : {}),
  };
}

/**
 * An error message without the values it quotes: a driver's message can hold a row's
 * values ("Duplicate entry '13800138000' for key …"), and a log line must not.
 */
export function redacted(message: string, max = 500): string {
  return message
    .slice(0, max)
    .replace(/'[^'\n]*'|"[^"\n]*"|`[^`\n]*`/g, "'…'")
    .replace(/\d{5,}/g, "…");
}

let processLogger: Logger | undefined;

/**
 * The logger of code that runs outside any one service's request (schedulers, the
 * outbox relay, the database driver's warnings): the one the process started with
 * (useLogger), or one from the environment.
 */
export function log(): Logger {
  return (processLogger ??= createLogger(process.env));
}

export function useLogger(logger: Logger): void {
  processLogger = logger;
}

// ---------------------------------------------------------------- request id

export const REQUEST_ID_HEADER = "x-request-id";
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{8,64}$/;

/**
 * The id of a request: the caller's x-request-id when it looks like an id (8–64 of
 * letters, digits and . _ : -, so a load balancer's or a client's id carries through),
 * else a new one. Anything longer or stranger is replaced, not cut: a log line never
 * holds what the caller chose to put there.
 */
export function requestIdOf(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && SANE_REQUEST_ID.test(value) ? value : randomUUID();
}

/** What the HTTP layer learns of a request while it runs, for its log line and metrics. */
export interface RequestInfo {
  id: string;
  /** The operation name as the client sent or the document named it (sanitized before use). */
  operation?: string | null;
  /** The first error code of the answer, if any. */
  errorCode?: string;
  roles?: readonly string[];
}

/**
 * A request's info, found from what the code at hand was given: its HTTP response or its
 * Apollo context. Not an AsyncLocalStorage: with one in use Node runs hooks on every
 * promise of every request. A property, not a WeakMap entry, as Apollo hands its plugins
 * a copy of the context (and the copy keeps it).
 */
const REQUEST_INFO = Symbol("requestInfo");

export function bindRequest(key: object, info: RequestInfo): void {
  (key as { [REQUEST_INFO]?: RequestInfo })[REQUEST_INFO] = info;
}

/** The info of the request `key` (its response or its Apollo context) belongs to. */
export function requestInfoOf(key: object): RequestInfo | undefined {
  return (key as { [REQUEST_INFO]?: RequestInfo })[REQUEST_INFO];
}
