import { Initial1795381853249 } from "./1795381853249-Initial";
/** MySQL/MariaDB migrations, oldest first. Generated from the entities; see the README. */
export const migrations: Function[] = [Initial1795381853249];
