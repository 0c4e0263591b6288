import { DeliveryQueuePerAggregate1796177700274 } from "./1796177700274-DeliveryQueuePerAggregate";
import { OutboxPositionLease1796173760345 } from "./1796173760345-OutboxPositionLease";
import { DeliveryHolds1796173671913 } from "./1796173671913-DeliveryHolds";
import { LargeJsonText1796165783032 } from "./1796165783032-LargeJsonText";
import { Initial1795383151672 } from "./1795383151672-Initial";
import { OrderStatusSnapshot1796170000000 } from "./1796170000000-OrderStatusSnapshot";
/** Migrations for MySQL/MariaDB and SQLite, oldest first. Generated from the entities; see docs/operations.md. */
export const migrations: Function[] = [Initial1795383151672, LargeJsonText1796165783032, OrderStatusSnapshot1796170000000, DeliveryHolds1796173671913, OutboxPositionLease1796173760345, DeliveryQueuePerAggregate1796177700274];
