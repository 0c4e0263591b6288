import { OrderRefStatus1796164131197 } from "./1796164131197-OrderRefStatus";
import { Initial1795383151672 } from "./1795383151672-Initial";
/** MySQL/MariaDB migrations, oldest first. Generated from the entities; see the README. */
export const migrations: Function[] = [Initial1795383151672, OrderRefStatus1796164131197];
