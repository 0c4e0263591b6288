import { LargeJsonText1796165783032 } from "./1796165783032-LargeJsonText";
import { Initial1795383151672 } from "./1795383151672-Initial";
/** MySQL/MariaDB migrations, oldest first. Generated from the entities; see the README. */
export const migrations: Function[] = [Initial1795383151672, LargeJsonText1796165783032];
