import { Initial1795382694639 } from "./1795382694639-Initial";
/** MySQL/MariaDB migrations, oldest first. Generated from the entities; see the README. */
export const migrations: Function[] = [Initial1795382694639];
