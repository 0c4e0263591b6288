/** MySQL/MariaDB migrations, oldest first. Generated from the entities; see the README. */
export const migrations: Function[] = [];
