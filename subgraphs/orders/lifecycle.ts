import { conflict } from "../kernel/errors";
import { OrderStatus as S } from "./status";

/**
 * The order process as data: every allowed transition is a row here and nowhere else.
 * Forward along the main path; cancellation only before anything has shipped (after
 * that it is an after-sales matter).
 */
export const TRANSITIONS: Readonly<Record<S, readonly S[]>> = {
  [S.PENDING_PAYMENT]: [S.PAID, S.CANCELLED],
  [S.PAID]: [S.FULFILLING, S.CANCELLED],
  [S.FULFILLING]: [S.PARTIALLY_SHIPPED, S.SHIPPED, S.CANCELLED],
  [S.PARTIALLY_SHIPPED]: [S.SHIPPED],
  [S.SHIPPED]: [S.DELIVERED],
  [S.DELIVERED]: [S.COMPLETED],
  [S.COMPLETED]: [],
  [S.CANCELLED]: [],
};

export const TERMINAL: readonly S[] = [S.COMPLETED, S.CANCELLED];

/** Position on the main path; a status event whose target is at or before the current position is stale. */
const RANK: Record<S, number> = {
  [S.PENDING_PAYMENT]: 0,
  [S.PAID]: 1,
  [S.FULFILLING]: 2,
  [S.PARTIALLY_SHIPPED]: 3,
  [S.SHIPPED]: 4,
  [S.DELIVERED]: 5,
  [S.COMPLETED]: 6,
  [S.CANCELLED]: 7,
};

export function canTransition(from: S, to: S): boolean {
  return TRANSITIONS[from].includes(to);
}

export function assertTransition(from: S, to: S): void {
  if (!canTransition(from, to)) {
    throw conflict(`An order cannot go from ${from} to ${to}.`, { from, to });
  }
}

/** The shortest chain of allowed transitions from `from` to `to` (excluding `from`), or null. */
export function pathTo(from: S, to: S): S[] | null {
  const queue: S[][] = [[from]];
  const seen = new Set<S>([from]);
  while (queue.length) {
    const path = queue.shift()!;
    for (const next of TRANSITIONS[path[path.length - 1]]) {
      if (next === to) return [...path.slice(1), next];
      if (!seen.has(next)) {
        seen.add(next);
        queue.push([...path, next]);
      }
    }
  }
  return null;
}

export type StatusDecision =
  | { kind: "apply"; path: S[] }
  | { kind: "stale"; reason: string }
  | { kind: "none" };

/**
 * What a channel status event does to an order in `current`:
 * - the target is reachable: apply, through any skipped steps (a "shipped" that overtook
 *   its "paid" implies the payment), recorded step by step;
 * - the target is at or behind the current status: stale, recorded and ignored;
 * - otherwise (e.g. paid after cancelled): a CONFLICT naming from and to.
 */
export function decideStatus(current: S, target: S | null): StatusDecision {
  if (target === null) return { kind: "none" };
  if (target === current) return { kind: "stale", reason: `already ${current}` };
  const path = pathTo(current, target);
  if (path) return { kind: "apply", path };
  if (target !== S.CANCELLED && current !== S.CANCELLED && RANK[target] < RANK[current]) {
    return { kind: "stale", reason: `${target} is behind ${current}` };
  }
  assertTransition(current, target);
  return { kind: "none" };
}

/** The status a canonical event type moves an order to, given where it is. */
export function targetOf(type: string, current: S): S | null {
  switch (type) {
    case "order.paid":
      return S.PAID;
    case "order.shipped":
      return S.SHIPPED;
    case "order.delivered":
      return S.DELIVERED;
    case "order.cancelled":
      return S.CANCELLED;
    case "order.refunded":
      // A full refund before anything shipped closes the order; after that the
      // refund belongs to after-sales and the order keeps its status.
      return [S.PENDING_PAYMENT, S.PAID, S.FULFILLING].includes(current) ? S.CANCELLED : null;
    default:
      return null;
  }
}
