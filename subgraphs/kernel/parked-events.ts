import { In, type DataSource } from "typeorm";
import { inTransaction } from "./database";
import { DeliveryAuditRow, DeliveryHoldRow, HoldState } from "./delivery-holds";
import type { HeldQueues } from "./delivery";
import { hasRole } from "./principal";
import type { InternalRoute } from "./subgraph";
import { withErrorCode } from "./errors";

// The route's path, limits and answers live in parked-events-api.ts, which the gateway's
// operations subgraph imports without this database code.
import { MAX_PARKED_BATCH, type ParkedCursor, type ParkedEventView, type RetryResultView } from "./parked-events-api";
export { MAX_PARKED_BATCH, PARKED_EVENTS_ROUTE, type ParkedCursor, type ParkedEventView, type RetryResultView } from "./parked-events-api";

/** The internal route behind the admin's parked-events API, in each service: lists and retries its own parked events. */

type Body =
  | { action: "list"; first: number; after?: ParkedCursor | null }
  | { action: "check"; keys: number[] }
  | { action: "retry"; keys: number[] };

const refuse = (status: number, code: string, message: string, extra: Record<string, unknown> = {}) => ({
  status,
  body: { errors: [{ message, extensions: withErrorCode({ code, ...extra }) }] },
});

const isCursor = (c: ParkedCursor) =>
  typeof c === "object" && typeof c.parkedAt === "string" && !Number.isNaN(Date.parse(c.parkedAt)) && typeof c.service === "string" && Number.isInteger(c.key);

function parseBody(raw: string): Body | null {
  try {
    const b = JSON.parse(raw) as Body;
    if (b.action === "list" && Number.isInteger(b.first) && b.first >= 1 && b.first <= MAX_PARKED_BATCH && (b.after == null || isCursor(b.after))) return b;
    if ((b.action === "check" || b.action === "retry") && Array.isArray(b.keys) && b.keys.length <= MAX_PARKED_BATCH && b.keys.every((k) => Number.isInteger(k) && k > 0)) return b;
  } catch {
    // answered below
  }
  return null;
}

export function parkedEventsRoute(service: string, ds: DataSource, queues: HeldQueues): InternalRoute {
  const holds = () => ds.getRepository(DeliveryHoldRow);
  const audit = async (action: string, actor: string, detail: Record<string, unknown>): Promise<number> => {
    const inserted = await inTransaction(ds, (em) => em.insert(DeliveryAuditRow, { action, actor: actor.slice(0, 120), at: queues.clock.now(), detail } as never));
    return Number(inserted.identifiers[0].id);
  };

  async function list(first: number, after: ParkedCursor | null | undefined): Promise<{ items: ParkedEventView[]; more: boolean }> {
    const qb = holds().createQueryBuilder("h").where("h.state = :parked", { parked: HoldState.PARKED });
    if (after) {
      // Within this service the order is (parkedAt, key); the service name decides ties of parkedAt between services.
      const at = new Date(after.parkedAt);
      if (service < after.service) qb.andWhere("h.parkedAt > :at", { at });
      else if (service === after.service) qb.andWhere("(h.parkedAt > :at OR (h.parkedAt = :at AND h.id > :key))", { at, key: after.key });
      else qb.andWhere("h.parkedAt >= :at", { at });
    }
    const fetched = await qb.orderBy("h.parkedAt", "ASC").addOrderBy("h.id", "ASC").take(first + 1).getMany();
    const more = fetched.length > first;
    const rows = fetched.slice(0, first);
    if (rows.length === 0) return { items: [], more };
    // How many wait behind each: the later holds of its aggregate's queue (all the service's subscriptions), in one statement for the page.
    const behind = await holds()
      .createQueryBuilder("f")
      .select(["f.id AS id", "f.aggregateId AS aggregateId", "f.sequence AS sequence"])
      .where("f.aggregateId IN (:...aggs)", { aggs: [...new Set(rows.map((r) => r.aggregateId))] })
      .andWhere("f.consumer IN (:...consumers)", { consumers: queues.consumers.length ? [...queues.consumers] : [""] })
      .getRawMany<{ id: number; aggregateId: string; sequence: number }>();
    const items = rows.map((r) => ({
      key: r.id,
      consumer: r.consumer,
      eventId: r.eventId,
      type: r.type,
      aggregateId: r.aggregateId,
      sequence: r.sequence,
      attempts: r.attempts,
      lastError: r.lastError,
      firstFailedAt: r.firstFailedAt?.toISOString() ?? null,
      parkedAt: r.parkedAt!.toISOString(),
      waitingBehind: behind.filter((f) => f.aggregateId === r.aggregateId && (Number(f.sequence) > r.sequence || (Number(f.sequence) === r.sequence && Number(f.id) > r.id))).length,
    }));
    return { items, more };
  }

  /** Keys that name no parked event of this service. */
  async function unknownKeys(keys: number[]): Promise<number[]> {
    if (keys.length === 0) return [];
    const found = await holds().find({ select: { id: true }, where: { id: In(keys), state: HoldState.PARKED } });
    const known = new Set(found.map((r) => r.id));
    return keys.filter((k) => !known.has(k));
  }

  return async (req) => {
    if (!req.principal) return refuse(401, "UNAUTHENTICATED", "Sign in first: send a bearer token.");
    if (!hasRole(req.principal, "admin")) return refuse(403, "FORBIDDEN", "Only an admin may see or retry parked events.");
    const body = parseBody(req.body);
    if (!body) return refuse(400, "BAD_REQUEST", `Expected {"action":"list","first":1..${MAX_PARKED_BATCH}} or {"action":"check"|"retry","keys":[…at most ${MAX_PARKED_BATCH}]}.`);
    const actor = req.principal.sub;
    if (body.action === "list") {
      const { items, more } = await list(body.first, body.after);
      // Only pages that show parked events: a dashboard polling an empty list would add rows forever.
      if (items.length > 0) await audit("list", actor, { keys: items.map((i) => i.key), after: body.after ?? null });
      return { status: 200, body: { service, items, more } };
    }
    const keys = [...new Set(body.keys)];
    if (body.action === "check") return { status: 200, body: { service, unknown: await unknownKeys(keys) } };
    // No refusal here: the gateway checked every key first, and a key retried or applied
    // since then (another admin, the retry job) answers GONE, so the other keys' results
    // are not lost behind an error.
    // Recorded before anything runs, so a retry that dies half-way is on record too.
    const auditId = await audit("retry", actor, { keys });
    const results: RetryResultView[] = [];
    for (const key of keys) {
      const r = await queues.retryParked(key);
      results.push({ key, outcome: r.outcome, error: r.error ?? null, followersApplied: r.followersApplied });
    }
    await inTransaction(ds, (em) => em.update(DeliveryAuditRow, { id: auditId }, { detail: { keys, results } } as never));
    return { status: 200, body: { service, results } };
  };
}
