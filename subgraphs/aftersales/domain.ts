import { TEXT_LIMITS } from "../kernel/bounds";
import { allocate } from "../kernel/money";

/**
 * After-sales rules as plain data and functions: no database, no GraphQL. The case
 * service loads the order snapshot and the open claims, calls `planRequest`, and persists
 * the plan it gets back, so every rule here is testable on its own.
 */

export enum AfterSalesType {
  RETURN = "RETURN",
  REFUND_ONLY = "REFUND_ONLY",
  EXCHANGE = "EXCHANGE",
}

export enum AfterSalesStatus {
  REQUESTED = "REQUESTED",
  APPROVED = "APPROVED",
  REJECTED = "REJECTED",
  COMPLETED = "COMPLETED",
  CANCELLED = "CANCELLED",
}

/** Cases in these states hold on to their units; rejected and cancelled ones give them back. */
export const OPEN_STATUSES: readonly AfterSalesStatus[] = [AfterSalesStatus.REQUESTED, AfterSalesStatus.APPROVED, AfterSalesStatus.COMPLETED];

export const MAX_REASON_LENGTH = TEXT_LIMITS.reason;

/** What was bought on one order line, as the order snapshot has it. */
export interface OrderLineSnapshot {
  lineKey: number;
  quantity: number;
  unitPriceMinor: number;
  discountMinor: number;
}

/** What open cases already claim on one order line. */
export interface LineClaim {
  quantity: number;
  amountMinor: number;
}

/** What the line is worth after its discount: the most that can ever be refunded on it. */
export function lineNetMinor(line: OrderLineSnapshot): number {
  return line.unitPriceMinor * line.quantity - line.discountMinor;
}

/**
 * The refundable amount for `quantity` more units of a line, given what open cases
 * already claim. The line's still-unclaimed net is split pro rata between the units
 * asked for and the units left (largest remainder), so a claim that takes the last
 * units gets exactly what is left, and the parts of a fully returned line add up to
 * its net whatever the order and size of the claims.
 */
export function refundableMinor(line: OrderLineSnapshot, claimed: LineClaim, quantity: number): number {
  const unitsLeft = line.quantity - claimed.quantity;
  if (quantity < 1 || quantity > unitsLeft) throw new RangeError(`quantity ${quantity} is outside 1..${unitsLeft}`);
  const netLeft = Math.max(0, lineNetMinor(line) - claimed.amountMinor);
  return allocate(netLeft, [quantity, unitsLeft - quantity])[0];
}

export interface RequestedLine {
  /** Where the line sits in the input, for error paths such as input.lines[2].quantity. */
  index: number;
  lineKey: number;
  quantity: number;
}

export interface PlannedLine {
  lineKey: number;
  quantity: number;
  amountMinor: number;
}

export type Problem = {
  code: "BAD_USER_INPUT" | "CONFLICT";
  message: string;
  field: string;
  extra?: Record<string, unknown>;
};

export type Plan =
  | { ok: true; reason: string; lines: PlannedLine[]; totalMinor: number }
  | { ok: false; problem: Problem };

export interface PlanInput {
  reason: string;
  lines: RequestedLine[];
  /** The order's lines from the snapshot. */
  orderLines: OrderLineSnapshot[];
  /** Open claims by order line key; a line with no entry has none. */
  claims: ReadonlyMap<number, LineClaim>;
  /** Formats a line key for messages (the case service passes the global ID). */
  lineName: (lineKey: number) => string;
}

/**
 * Order statuses in which the shopper has paid and the order still stands: only then is
 * there something to return, refund or exchange. The names are the orders subgraph's.
 */
export const PAID_ORDER_STATUSES: readonly string[] = ["PAID", "FULFILLING", "PARTIALLY_SHIPPED", "SHIPPED", "DELIVERED", "COMPLETED"];

/**
 * Whether after-sales may be opened on an order in `status`. An unpaid order has nothing
 * to refund yet (cancel it instead); a cancelled one has nothing left. A null status is
 * an order recorded before statuses were kept whose status snapshot (an orders data
 * migration) has not been consumed yet: unknown is not paid, so it waits for it.
 */
export function checkOrderStatus(status: string | null, orderName: string): Problem | null {
  if (status === null) {
    return {
      code: "CONFLICT",
      message: `The status of order ${orderName} has not reached after-sales yet; try again shortly.`,
      field: "orderId",
    };
  }
  if (PAID_ORDER_STATUSES.includes(status)) return null;
  const why =
    status === "CANCELLED"
      ? "it is cancelled, so nothing on it is left to return or refund"
      : "it has not been paid yet; an unpaid order is cancelled, not refunded";
  return {
    code: "CONFLICT",
    message: `After-sales needs a paid order: order ${orderName} is ${status}, and ${why}.`,
    field: "orderId",
    extra: { orderStatus: status },
  };
}

/** Checks what only the request itself can get wrong, before any database work. */
export function checkRequestShape(reason: string, lines: RequestedLine[]): Problem | null {
  const trimmed = reason.trim();
  if (!trimmed) return { code: "BAD_USER_INPUT", message: "reason must not be empty: say why the shopper wants this.", field: "reason" };
  // Characters, not UTF-16 units: the column holds 500 characters, emoji included.
  if ([...trimmed].length > MAX_REASON_LENGTH) {
    return { code: "BAD_USER_INPUT", message: `reason must be at most ${MAX_REASON_LENGTH} characters.`, field: "reason" };
  }
  if (lines.length === 0) return { code: "BAD_USER_INPUT", message: "lines must name at least one order line.", field: "lines" };
  const seen = new Set<number>();
  for (const l of lines) {
    if (!Number.isInteger(l.quantity) || l.quantity < 1) {
      return { code: "BAD_USER_INPUT", message: `lines[${l.index}].quantity must be at least 1, got ${l.quantity}.`, field: `lines[${l.index}].quantity` };
    }
    // One entry per line keeps the availability check simple and the case readable.
    if (seen.has(l.lineKey)) {
      return { code: "BAD_USER_INPUT", message: `lines[${l.index}].orderLineId repeats a line; give each order line once with its total quantity.`, field: `lines[${l.index}].orderLineId` };
    }
    seen.add(l.lineKey);
  }
  return null;
}

/**
 * Validates a request against the order snapshot and the open claims, and prices it.
 * Returns the first problem found, or the lines to store.
 */
export function planRequest(input: PlanInput): Plan {
  const shape = checkRequestShape(input.reason, input.lines);
  if (shape) return { ok: false, problem: shape };
  const byKey = new Map(input.orderLines.map((l) => [l.lineKey, l]));
  const planned: PlannedLine[] = [];
  for (const req of input.lines) {
    const line = byKey.get(req.lineKey);
    if (!line) {
      return {
        ok: false,
        problem: {
          code: "BAD_USER_INPUT",
          message: `lines[${req.index}].orderLineId ${input.lineName(req.lineKey)} is not a line of this order.`,
          field: `lines[${req.index}].orderLineId`,
        },
      };
    }
    const claimed = input.claims.get(req.lineKey) ?? { quantity: 0, amountMinor: 0 };
    const available = Math.max(0, line.quantity - claimed.quantity);
    if (req.quantity > available) {
      return {
        ok: false,
        problem: {
          code: "CONFLICT",
          message:
            `Line ${input.lineName(req.lineKey)} has ${available} unit(s) still available for after-sales ` +
            `(${line.quantity} ordered, ${claimed.quantity} in open cases); you asked for ${req.quantity}.`,
          field: `lines[${req.index}].quantity`,
          extra: { orderLineId: input.lineName(req.lineKey), available },
        },
      };
    }
    planned.push({ lineKey: req.lineKey, quantity: req.quantity, amountMinor: refundableMinor(line, claimed, req.quantity) });
  }
  return { ok: true, reason: input.reason.trim(), lines: planned, totalMinor: planned.reduce((sum, l) => sum + l.amountMinor, 0) };
}
