import "reflect-metadata";
import { LocalGraphQLDataSource, type GraphQLDataSourceProcessOptions } from "@apollo/gateway";
import type { GraphQLError } from "graphql";
import { Arg, Ctx, Field, ID, Int, Mutation, ObjectType, Query, registerEnumType, Resolver } from "type-graphql";
import { connectionType, decodeCursor, encodeCursor, MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE, type Connection } from "../subgraphs/kernel/connection";
import { badInput, forbidden, hubError } from "../subgraphs/kernel/errors";
import { PARKED_EVENT_SERVICES, parseParkedEventId, toParkedEventId, type ParkedEventService } from "../subgraphs/kernel/global-id";
import { encodePrincipal, requestTarget, signInternalRequest } from "../subgraphs/kernel/internal-auth";
import { MAX_PARKED_BATCH, PARKED_EVENTS_ROUTE, type ParkedCursor, type ParkedEventView, type RetryResultView } from "../subgraphs/kernel/parked-events-api";
import { requireRole, type Principal } from "../subgraphs/kernel/principal";
import type { SubgraphDefinition } from "../subgraphs/kernel/subgraph";

/**
 * The operations subgraph: the hub's own machinery as an admin sees it, served inside
 * the gateway process (a local data source, no port of its own). Parked events live in
 * each service's own database and a Query field has one owner, so this subgraph owns
 * parkedEvents / retryParkedEvents and asks every service through its signed internal
 * route, with the admin's principal: each service checks the role again and records who
 * looked or retried.
 */
export const OPERATIONS_SUBGRAPH = "operations";

export enum ParkedEventOutcome {
  APPLIED = "APPLIED",
  PARKED = "PARKED",
  FAILED = "FAILED",
  WAITING = "WAITING",
  BUSY = "BUSY",
  GONE = "GONE",
  UNAVAILABLE = "UNAVAILABLE",
}
registerEnumType(ParkedEventOutcome, {
  name: "ParkedEventOutcome",
  valuesConfig: {
    APPLIED: { description: "Applied now; its followers were applied after it as far as they succeed." },
    PARKED: { description: "Failed again and stays parked, with the new error." },
    FAILED: { description: "Failed again; the retry job tries it later." },
    WAITING: { description: "An earlier event of its aggregate (held for the same consumer) failed first; it waits behind that one." },
    BUSY: { description: "Another retry of it is under way; nothing was done." },
    GONE: { description: "It was no longer parked (applied or retried meanwhile, e.g. by another admin); nothing was done." },
    UNAVAILABLE: { description: "Its service could not be asked or gave no answer in time; it may or may not have been retried: list the parked events again." },
  },
});

@ObjectType({ description: "An event a service's consumer failed to apply EVENT_MAX_DELIVERIES times; later events of its aggregate wait behind it (admin)." })
export class ParkedEvent {
  @Field(() => ID, { description: "gid://orderhub/ParkedEvent/<service>:<key>; for retryParkedEvents (not resolvable through node)." })
  id!: string;

  @Field({ description: "The service whose consumer holds it: orders, customers, products or aftersales." })
  service!: string;

  @Field({ description: "The subscription that could not apply it, e.g. aftersales.order-status." })
  consumer!: string;

  @Field(() => ID, { description: "The event's own id (UUIDv7)." })
  eventId!: string;

  @Field({ description: "The event type, e.g. order.status_changed." })
  type!: string;

  @Field(() => ID, { description: "The aggregate's global ID." })
  aggregateId!: string;

  @Field(() => Int, { description: "The event's sequence within its aggregate." })
  sequence!: number;

  @Field(() => Int)
  attempts!: number;

  @Field(() => String, { nullable: true, description: "The last attempt's error message." })
  lastError!: string | null;

  @Field(() => Date, { nullable: true })
  firstFailedAt!: Date | null;

  @Field()
  parkedAt!: Date;

  @Field(() => Int, { description: "How many later events of the same aggregate wait behind it in its service (for any of the service's consumers)." })
  waitingBehind!: number;
}

export const ParkedEventConnection = connectionType(ParkedEvent, "ParkedEvent");

@ObjectType({ description: "What a retry did with one parked event (admin)." })
export class ParkedEventRetry {
  @Field(() => ID)
  id!: string;

  @Field(() => ParkedEventOutcome)
  outcome!: ParkedEventOutcome;

  @Field(() => String, { nullable: true, description: "The error, when it failed again or its service was unavailable." })
  error!: string | null;

  @Field(() => Int, { description: "Events that waited behind it and were applied after it." })
  followersApplied!: number;
}

/** Calls one service's parked-events route, signed for that service with the caller's principal. */
export type ParkedEventsCall = (service: ParkedEventService, body: unknown) => Promise<{ status: number; body: Record<string, unknown> }>;

export interface OperationsContext {
  principal: Principal | null;
  parkedEvents: ParkedEventsCall;
  /** Where a refusal that is the hub's own fault (not the admin's) is logged. */
  warn?: (fields: Record<string, unknown>, message: string) => void;
  /** Errors to answer next to partial data (a service that could not be asked); see OperationsDataSource. */
  operationErrors?: GraphQLError[];
}

export interface ParkedEventsTimeouts {
  /** Listing and checking: like any subgraph call. */
  callMs: number;
  /** Retrying: a batch runs events and their followers, which can take far longer. */
  retryMs: number;
}

/**
 * The operations subgraph as the gateway's data source: runs it in-process and adds the
 * errors its resolvers recorded next to the data they returned, so an admin gets the
 * parked events of the services that answered and an error naming the one that did not.
 */
export class OperationsDataSource extends LocalGraphQLDataSource {
  override async process(options: GraphQLDataSourceProcessOptions) {
    const result = await super.process(options);
    const ctx = options.context as Partial<OperationsContext>;
    const extra = ctx.operationErrors?.splice(0) ?? [];
    return extra.length ? { ...result, errors: [...(result.errors ?? []), ...extra] } : result;
  }
}

/** The route's URL on a service: beside its GraphQL endpoint, so a path prefix (a proxy's) is kept. */
export function parkedEventsUrl(subgraphUrl: string): URL {
  return new URL(PARKED_EVENTS_ROUTE.replace(/^\//, ""), new URL("./", subgraphUrl.replace(/\/+$/, "")));
}

export function parkedEventsClient(urls: Record<ParkedEventService, string>, secret: string, timeouts: ParkedEventsTimeouts, principal: Principal | null): ParkedEventsCall {
  return async (service, body) => {
    const target = parkedEventsUrl(urls[service]);
    const timeoutMs = (body as { action?: string }).action === "retry" ? timeouts.retryMs : timeouts.callMs;
    const raw = JSON.stringify(body);
    let res: Response;
    try {
      res = await fetch(target, {
        method: "POST",
        headers: { "content-type": "application/json", ...signInternalRequest(secret, encodePrincipal(principal), { service, method: "POST", target: requestTarget(target), body: raw }) },
        body: raw,
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch {
      throw hubError("SERVICE_UNAVAILABLE", `The ${service} service is unavailable; its parked events cannot be read or retried now.`, { service });
    }
    return { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, unknown> };
  };
}

/** A service's refusal as the GraphQL error it stands for. */
function refusal(ctx: OperationsContext, service: string, answer: { status: number; body: Record<string, unknown> }): GraphQLError {
  const first = (answer.body.errors as Array<{ message?: string; extensions?: { code?: string } }> | undefined)?.[0];
  if (answer.status === 401) {
    // The admin signed in (the gateway checked the token): the service refused the
    // gateway's own signature (secret mismatch, clock skew, a lost path prefix).
    ctx.warn?.({ service, status: 401, reason: first?.message }, "a service refused the gateway's signed parked-events call");
    return hubError("SERVICE_UNAVAILABLE", `The ${service} service refused the gateway's signed call; its parked events cannot be read or retried now.`, { service });
  }
  if (answer.status === 403) return forbidden(first?.message ?? "Only an admin may see or retry parked events.");
  if (answer.status === 400) return badInput(first?.message ?? "Refused.");
  return hubError("SERVICE_UNAVAILABLE", `The ${service} service could not answer (HTTP ${answer.status}).`, { service });
}

interface Item extends ParkedEventView {
  service: ParkedEventService;
}

const order = (a: ParkedCursor, b: ParkedCursor) => a.parkedAt.localeCompare(b.parkedAt) || a.service.localeCompare(b.service) || a.key - b.key;

function toParkedEvent(i: Item): ParkedEvent {
  return Object.assign(new ParkedEvent(), {
    id: toParkedEventId(i.service, i.key),
    service: i.service,
    consumer: i.consumer,
    eventId: i.eventId,
    type: i.type,
    aggregateId: i.aggregateId,
    sequence: i.sequence,
    attempts: i.attempts,
    lastError: i.lastError,
    firstFailedAt: i.firstFailedAt ? new Date(i.firstFailedAt) : null,
    parkedAt: new Date(i.parkedAt),
    waitingBehind: i.waitingBehind,
  });
}

@Resolver()
export class ParkedEventsResolver {
  @Query(() => ParkedEventConnection, { description: "Parked events of every service, oldest parked first (admin). Viewing is recorded in each service." })
  async parkedEvents(
    @Ctx() ctx: OperationsContext,
    @Arg("first", () => Int, { nullable: true, description: `1 to ${MAX_PAGE_SIZE}, default ${DEFAULT_PAGE_SIZE}.` }) first?: number | null,
    @Arg("after", () => String, { nullable: true, description: "pageInfo.endCursor of the previous page." }) after?: string | null,
  ): Promise<Connection<ParkedEvent>> {
    requireRole(ctx.principal, "admin");
    const size = first ?? DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) throw badInput(`first must be between 1 and ${MAX_PAGE_SIZE}, got ${size}.`, { argument: "first" });
    const key = decodeCursor(after, ["s", "s", "n"]);
    const cursor: ParkedCursor | null = key ? { parkedAt: String(key[0]), service: String(key[1]), key: Number(key[2]) } : null;
    if (cursor && Number.isNaN(Date.parse(cursor.parkedAt))) throw badInput('"after" is not a cursor from this list; pass pageInfo.endCursor back as it was.', { argument: "after" });
    // Each service answers its own oldest `size` after the cursor; the page is the oldest `size` of them all.
    type Answer = { more: boolean; items: Item[] } | { failed: GraphQLError };
    const settled = await Promise.all(
      PARKED_EVENT_SERVICES.map(async (service): Promise<Answer> => {
        try {
          const answer = await ctx.parkedEvents(service, { action: "list", first: size, after: cursor });
          if (answer.status !== 200) throw refusal(ctx, service, answer);
          return { more: Boolean(answer.body.more), items: (answer.body.items as ParkedEventView[]).map((i) => ({ ...i, service })) };
        } catch (err) {
          return { failed: err as GraphQLError };
        }
      }),
    );
    // A service that is down is when admins need this most: the others' events are
    // answered, with an error per missing service. Only unavailability is forgiven; a
    // refusal of the admin (403, 400) fails the whole list.
    const failures = settled.flatMap((s) => ("failed" in s ? [s.failed] : []));
    const refused = failures.find((e) => e.extensions?.code !== "SERVICE_UNAVAILABLE");
    if (refused) throw refused;
    if (failures.length === settled.length) throw failures[0];
    (ctx.operationErrors ??= []).push(...failures);
    const answers = settled.flatMap((s) => ("failed" in s ? [] : [s]));
    const merged = answers.flatMap((a) => a.items).sort(order);
    const page = merged.slice(0, size);
    const edges = page.map((i) => ({ cursor: encodeCursor([i.parkedAt, i.service, i.key]), node: toParkedEvent(i) }));
    // With a service missing the cursor is still a position in the one order of all
    // services, so the next page neither repeats nor skips the answering services' events;
    // the missing service's events before it are seen by listing from the start again.
    return {
      edges,
      pageInfo: {
        hasNextPage: merged.length > size || answers.some((a) => a.more),
        hasPreviousPage: cursor !== null,
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges[edges.length - 1]?.cursor ?? null,
      },
    };
  }

  @Mutation(() => [ParkedEventRetry], {
    description: `Runs each parked event again now, in the order given, and on success the events waiting behind it (admin; at most ${MAX_PARKED_BATCH} ids). An unknown id refuses the whole request; one applied or retried meanwhile answers GONE, and a service that cannot be asked UNAVAILABLE for its ids. Recorded in each service.`,
  })
  async retryParkedEvents(@Ctx() ctx: OperationsContext, @Arg("ids", () => [ID]) ids: string[]): Promise<ParkedEventRetry[]> {
    requireRole(ctx.principal, "admin");
    if (ids.length > MAX_PARKED_BATCH) throw badInput(`At most ${MAX_PARKED_BATCH} ids per retry, got ${ids.length}; nothing was retried.`, { argument: "ids" });
    const parsed = ids.map((id) => ({ id, ...parseParkedEventId(id) }));
    const byService = new Map<ParkedEventService, number[]>();
    for (const p of parsed) byService.set(p.service, [...(byService.get(p.service) ?? []), p.key]);
    // Every id is checked in its service before any is retried: a refused request changes nothing.
    const unknown: string[] = [];
    await Promise.all(
      [...byService].map(async ([service, keys]) => {
        const answer = await ctx.parkedEvents(service, { action: "check", keys });
        if (answer.status !== 200) throw refusal(ctx, service, answer);
        for (const k of answer.body.unknown as number[]) unknown.push(toParkedEventId(service, k));
      }),
    );
    if (unknown.length) {
      const named = ids.filter((id) => unknown.includes(id));
      throw badInput(`Not a parked event: ${named.join(", ")}; nothing was retried.`, { argument: "ids", unknown: named });
    }
    // From here on nothing throws: the retries that ran are answered, whatever a later service does.
    const results = new Map<string, RetryResultView>();
    for (const [service, keys] of byService) {
      let failure: string | null = null;
      try {
        const answer = await ctx.parkedEvents(service, { action: "retry", keys });
        if (answer.status === 200) for (const r of answer.body.results as RetryResultView[]) results.set(toParkedEventId(service, r.key), r);
        else failure = refusal(ctx, service, answer).message;
      } catch (err) {
        failure = err instanceof Error ? err.message : String(err);
      }
      for (const key of keys) {
        const id = toParkedEventId(service, key);
        if (!results.has(id)) results.set(id, { key, outcome: "UNAVAILABLE", error: failure ?? `The ${service} service gave no result for it.`, followersApplied: 0 });
      }
    }
    return [...new Set(ids.map((id) => toParkedEventId(parseParkedEventId(id).service, parseParkedEventId(id).key)))].map((id) => {
      const r = results.get(id)!;
      return Object.assign(new ParkedEventRetry(), { id, outcome: r.outcome as ParkedEventOutcome, error: r.error, followersApplied: r.followersApplied });
    });
  }
}

export const operationsSubgraph = {
  name: OPERATIONS_SUBGRAPH,
  resolvers: [ParkedEventsResolver],
  entities: [],
  migrations: [],
  referenceResolvers: {},
  createLoaders: () => ({}),
} as unknown as SubgraphDefinition<unknown>;
