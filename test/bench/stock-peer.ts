import { fork } from "node:child_process";
import path from "node:path";
import type { StockGatewayJob } from "./stock-gateway";

export interface StockGatewayProcess {
  /** Its GraphQL URL. */
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** Starts stock-gateway.js in its own process and waits until it listens. */
export function startStockGateway(job: StockGatewayJob, startMs = 60_000): Promise<StockGatewayProcess> {
  const child = fork(path.join(__dirname, "stock-gateway.js"), [], { stdio: ["ignore", "inherit", "inherit", "ipc"], env: { ...process.env, NODE_ENV: process.env.NODE_ENV ?? "" } });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (stop(), reject(new Error(`The stock gateway did not listen within ${startMs} ms.`))), startMs);
    child.once("message", (m: { url?: string; error?: string }) => {
      clearTimeout(timer);
      if (m.url) resolve({ url: m.url, pid: child.pid!, stop });
      else stop().then(() => reject(new Error(`The stock gateway failed to start: ${m.error}`)));
    });
    child.once("exit", (code) => (clearTimeout(timer), reject(new Error(`The stock gateway exited (${code}) before it listened.`))));
    child.send(job);
  });
}
