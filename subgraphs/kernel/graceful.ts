import type { Server } from "node:http";
import { int } from "./config";

type Env = Record<string, string | undefined>;

/** How a service stops on SIGTERM/SIGINT. */
export interface ShutdownConfig {
  /** How long /readyz says 503 while the service still serves, so a load balancer takes it out first. */
  graceMs: number;
  /** How long requests under way may take to finish once it stops accepting; then their connections are cut. */
  drainTimeoutMs: number;
}

export function shutdownConfig(env: Env): ShutdownConfig {
  return {
    graceMs: int(env, "SHUTDOWN_GRACE_MS", 5000, 0, 600_000),
    drainTimeoutMs: int(env, "SHUTDOWN_TIMEOUT_MS", 30_000, 0, 600_000),
  };
}

/**
 * Stops accepting connections and waits for the requests under way. Idle keep-alive
 * connections are closed as they become idle (server.close() closes only those idle at
 * the time); whatever still runs after `timeoutMs` is cut.
 */
export function closeGracefully(server: Server, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const sweep = setInterval(() => server.closeIdleConnections(), 50);
    const cut = setTimeout(() => server.closeAllConnections(), timeoutMs);
    server.close(() => {
      clearInterval(sweep);
      clearTimeout(cut);
      resolve();
    });
    server.closeIdleConnections();
  });
}
