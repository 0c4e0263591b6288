import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { DestinationStream } from "pino";
import { graphql, mustQuery } from "../../gateway/client";
import { startHub, type Hub } from "../../gateway/hub";
import { SUBGRAPH_NAMES } from "../../subgraphs/kernel/config";
import { dropDatabases } from "../../subgraphs/kernel/database";
import type { Clock } from "../../subgraphs/kernel/clock";
import type { Role } from "../../subgraphs/kernel/principal";
import { CHANNELS, type Channel } from "../../subgraphs/kernel/types";

/**
 * A whole hub for one test file: its own SQLite folder, or its own MariaDB databases
 * when MYSQL_URL is set, on ports the OS picks. Tests talk to it over HTTP only.
 */
export interface TestHub extends Hub {
  dataDir: string;
  /** A token with these roles; a `channel` token acts for `channel` (WEB unless given). */
  token(roles: Role[], sub?: string, channel?: `${Channel}`): Promise<string>;
  admin: string;
  /** A channel token for WEB, the fixtures' default channel. */
  channel: string;
  /** A channel token per channel: each may only act for its own. */
  channels: Record<Channel, string>;
  query<T = Record<string, any>>(query: string, variables?: Record<string, unknown>, token?: string): ReturnType<typeof graphql<T>>;
  ok<T = Record<string, any>>(query: string, variables?: Record<string, unknown>, token?: string): Promise<T>;
}

/** `dataDir`: start on this SQLite folder instead of a new empty one; stop removes it unless `keepDataDir`. */
export async function startTestHub(
  extraEnv: Record<string, string> = {},
  options: { clock?: Clock; dataDir?: string; keepDataDir?: boolean; logDestination?: DestinationStream } = {},
): Promise<TestHub> {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), "orderhub-test-"));
  const prefix = `oht_${process.pid}_${Math.floor(Math.random() * 1e6)}`;
  const hub = await startHub({
    // Quiet unless LOG_LEVEL is set for the run (LOG_LEVEL=info npx jest …) or by the test.
    env: { DATA_DIR: dataDir, DB_NAME_PREFIX: prefix, NODE_ENV: "test", OUTBOX_POLL_MS: "50", LOG_LEVEL: process.env.LOG_LEVEL || "silent", ...extraEnv },
    ephemeralPorts: true,
    clock: options.clock,
    logDestination: options.logDestination,
  });
  const token = (roles: Role[], sub = `test:${roles.join("+")}`, channel?: `${Channel}`) =>
    hub.mintToken!({ sub, roles, channel: roles.includes("channel") ? (channel ?? "WEB") : channel });
  const admin = await token(["admin"]);
  const channels = Object.fromEntries(await Promise.all(CHANNELS.map(async (c) => [c, await token(["channel"], `test:channel:${c}`, c)]))) as Record<Channel, string>;
  return {
    ...hub,
    dataDir,
    token,
    admin,
    channel: channels.WEB,
    channels,
    query: (q, v = {}, t) => graphql(hub.url, q, v, t),
    ok: (q, v = {}, t) => mustQuery(hub.url, q, v, t ?? admin),
    async stop() {
      await hub.stop();
      if (process.env.MYSQL_URL) await dropDatabases(process.env.MYSQL_URL, prefix, SUBGRAPH_NAMES);
      if (!options.keepDataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
