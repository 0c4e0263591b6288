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
 * Waits for `work`, but no longer than `timeoutMs`: a shutdown must end even if a part of
 * it hangs (a POST to a channel that never answers, a bus that cannot flush). Says whether
 * it finished in time; `onTimeout` is told when it did not.
 */
export async function withDeadline(work: Promise<unknown>, timeoutMs: number, onTimeout: () => void): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
  try {
    const inTime = await Promise.race([work.then(() => true as const), late]);
    if (!inTime) onTimeout();
    return inTime;
  } finally {
    clearTimeout(timer);
  }
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

/** Closes the HTTP server: gracefully (requests under way finish, up to timeoutMs), or at once, cutting every connection. */
export async function closeServer(server: Server, graceful: boolean, timeoutMs: number): Promise<void> {
  if (graceful) return closeGracefully(server, timeoutMs);
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  await closed;
}
