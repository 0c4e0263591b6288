import { DropCaseVersion1796164311540 } from "./1796164311540-DropCaseVersion";
import { Initial1795383151672 } from "./1795383151672-Initial";
/** MySQL/MariaDB migrations, oldest first. Generated from the entities; see the README. */
export const migrations: Function[] = [Initial1795383151672, DropCaseVersion1796164311540];
