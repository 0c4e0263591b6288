import { Initial1795380238006 } from "./1795380238006-Initial";
/** MySQL/MariaDB migrations, oldest first. Generated from the entities; see the README. */
export const migrations: Function[] = [Initial1795380238006];
