import { DeliveryQueuePerAggregate1796177700274 } from "./1796177700274-DeliveryQueuePerAggregate";
import { OutboxPositionLease1796173760345 } from "./1796173760345-OutboxPositionLease";
import { DeliveryHolds1796173671913 } from "./1796173671913-DeliveryHolds";
import { LargeJsonText1796165783032 } from "./1796165783032-LargeJsonText";
import { AddressMatching1795389723898 } from "./1795389723898-AddressMatching";
import { BackfillAddressKey1795389723899 } from "./1795389723899-BackfillAddressKey";
import { RekeyNamesWithDigits1795389723900 } from "./1795389723900-RekeyNamesWithDigits";
import { Initial1795383151672 } from "./1795383151672-Initial";
/** Migrations for MySQL/MariaDB and SQLite, oldest first. Generated from the entities (the backfills by hand); see docs/operations.md. */
export const migrations: Function[] = [Initial1795383151672, AddressMatching1795389723898, BackfillAddressKey1795389723899, RekeyNamesWithDigits1795389723900, LargeJsonText1796165783032, DeliveryHolds1796173671913, OutboxPositionLease1796173760345, DeliveryQueuePerAggregate1796177700274];
