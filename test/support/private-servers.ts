import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, openSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import mysql from "mysql2/promise";
import { freePort } from "./services";

/**
 * A database server a fault test owns alone, so it can kill and restart it without
 * disturbing any other test: a mariadbd on a free port with its own data folder under the
 * system temp folder (removed by `remove()`). (A private NATS server: services.ts.)
 */

async function until(what: string, ok: () => Promise<boolean>, timeoutMs: number, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`${what}: the process exited with ${child.exitCode}`);
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not come up within ${timeoutMs} ms`);
}

/** Whatever happens to the test, no server it started outlives its process. */
const children = new Set<ChildProcess>();
process.once("exit", () => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
});

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once("exit", () => r()));
}

export interface PrivateServer {
  port: number;
  url: string;
  dir: string;
  start(): Promise<void>;
  /** SIGKILL (a crash) or SIGTERM (a clean stop); resolves once the process is gone. */
  stop(signal?: "SIGKILL" | "SIGTERM"): Promise<void>;
  running(): boolean;
  remove(): Promise<void>;
}

function privateServer(name: string, port: number, dir: string, argv: () => [string, string[]], ready: () => Promise<boolean>, url: string): PrivateServer {
  let child: ChildProcess | undefined;
  const log = path.join(dir, `${name}.log`);
  const server: PrivateServer = {
    port,
    url,
    dir,
    async start() {
      const [cmd, args] = argv();
      const out = openSync(log, "a");
      child = spawn(cmd, args, { stdio: ["ignore", out, out] });
      const started = child;
      children.add(started);
      started.once("exit", () => children.delete(started));
      try {
        await until(`${name} on port ${port} (log ${log})`, ready, 30_000, started);
      } catch (err) {
        // One that never answered is not left running.
        started.kill("SIGKILL");
        throw err;
      }
    },
    async stop(signal = "SIGTERM") {
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const gone = exited(child);
      child.kill(signal);
      await gone;
    },
    running: () => !!child && child.exitCode === null && child.signalCode === null,
    async remove() {
      await server.stop("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}

/**
 * A mariadbd of its own: a fresh data folder made by mariadb-install-db (system my.cnf
 * ignored), root without a password on 127.0.0.1. Ready once it answers SELECT 1.
 */
export async function privateMariadb(): Promise<PrivateServer> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), "orderhub-mariadb-"));
  const data = path.join(dir, "data");
  mkdirSync(data);
  const install = spawnSync("mariadb-install-db", ["--no-defaults", `--datadir=${data}`, "--auth-root-authentication-method=normal", "--user=root", "--skip-test-db"], { encoding: "utf8" });
  if (install.status !== 0) throw new Error(`mariadb-install-db failed: ${install.stdout}\n${install.stderr}`);
  const url = `mysql://root@127.0.0.1:${port}`;
  const args = [
    "--no-defaults", "--user=root", `--datadir=${data}`, `--port=${port}`, "--bind-address=127.0.0.1",
    `--socket=${path.join(dir, "s.sock")}`, `--pid-file=${path.join(dir, "m.pid")}`, `--log-error=${path.join(dir, "error.log")}`,
    "--innodb-buffer-pool-size=64M", "--skip-log-bin", "--max-connections=300",
  ];
  const answers = async () => {
    try {
      const c = await mysql.createConnection({ host: "127.0.0.1", port, user: "root", connectTimeout: 1000 });
      await c.query("SELECT 1");
      await c.end();
      return true;
    } catch {
      return false;
    }
  };
  const s = privateServer("mariadbd", port, dir, () => ["/usr/sbin/mariadbd", args], answers, url);
  await s.start();
  return s;
}
