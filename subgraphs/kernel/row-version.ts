import type { EntityManager, EntityTarget, FindOptionsWhere } from "typeorm";
import type { QueryDeepPartialEntity } from "typeorm/query-builder/QueryPartialEntity";
import { conflict } from "./errors";

/** A row whose `version` counts its writes. */
export interface Versioned {
  id: number;
  version: number;
}

/**
 * The write of a read-modify-write on a versioned row: it applies only while the row
 * still has the version that was read, and counts one more write. TypeORM's save()
 * compares no version (a stale save silently overwrites a newer row), so versioned rows
 * are written through here. Callers read the row with writeLock first, so in normal
 * operation the check always passes; a path that read it without the lock gets a
 * CONFLICT instead of overwriting a newer write.
 */
export async function updateVersioned<T extends Versioned>(
  em: EntityManager,
  target: EntityTarget<T>,
  read: Versioned,
  changes: QueryDeepPartialEntity<T>,
  describe: string,
): Promise<void> {
  const where = { id: read.id, version: read.version } as FindOptionsWhere<T>;
  const result = await em.update(target, where, { ...changes, version: () => "version + 1" } as QueryDeepPartialEntity<T>);
  if (result.affected !== 1) throw conflict(`${describe} was changed by another request meanwhile; send yours again.`);
}

/** For bulk writes of rows already locked by the caller: they still count as writes. */
export const NEXT_VERSION = { version: () => "version + 1" } as const;
