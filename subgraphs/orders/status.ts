import { registerEnumType } from "type-graphql";

/** The order lifecycle. Allowed transitions live in one table (lifecycle rules grow here). */
export enum OrderStatus {
  PENDING_PAYMENT = "PENDING_PAYMENT",
  PAID = "PAID",
  FULFILLING = "FULFILLING",
  PARTIALLY_SHIPPED = "PARTIALLY_SHIPPED",
  SHIPPED = "SHIPPED",
  DELIVERED = "DELIVERED",
  COMPLETED = "COMPLETED",
  CANCELLED = "CANCELLED",
}
registerEnumType(OrderStatus, { name: "OrderStatus" });
