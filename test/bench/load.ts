import { fork } from "node:child_process";
import path from "node:path";
import type { LoadSummary } from "./load-child";
import type { LoadJob } from "./requests";

export type { LoadSummary };

/**
 * Runs one autocannon job in a child process. The hub (gateway and all four subgraphs)
 * runs on this process's event loop; a generator on the same loop would steal its time
 * (building, signing and reading every request) and the RSS we report would include it.
 */
export function runLoad(job: LoadJob): Promise<LoadSummary> {
  const host = new URL(job.url).hostname;
  if (!["127.0.0.1", "localhost", "[::1]"].includes(host)) {
    return Promise.reject(new Error(`Refusing to load ${job.url}: the benchmark only drives loopback addresses.`));
  }
  return new Promise((resolve, reject) => {
    const child = fork(path.join(__dirname, "load-child.js"), [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    let reply: { summary?: LoadSummary; error?: string } | undefined;
    child.once("message", (m) => (reply = m as typeof reply));
    child.once("error", reject);
    child.once("exit", (code) => {
      if (reply?.summary) resolve(reply.summary);
      else reject(new Error(`The load generator failed (exit ${code}): ${reply?.error ?? "no result"}`));
    });
    child.send(job);
  });
}
