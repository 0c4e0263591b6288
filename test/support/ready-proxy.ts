import { Agent, createServer, request, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A minimal load balancer, as an operator would put in front of two gateways: it asks
 * every backend's GET /readyz about every `checkMs` and sends each request, round robin,
 * to a backend whose last answer was 200. It does not retry a request that failed on
 * a backend (POST is not idempotent), so a backend that drops a request shows up as a
 * 502 to the client.
 */
export interface ReadyProxy {
  url: string;
  /** Requests forwarded per backend, and the 502s the proxy answered itself. */
  forwarded: Record<string, number>;
  failed: number;
  /** Whether a backend is taken as ready now. */
  isReady(backend: string): boolean;
  close(): Promise<void>;
}

export async function startReadyProxy(backends: string[], checkMs = 100): Promise<ReadyProxy> {
  const ready = new Map(backends.map((b) => [b, false]));
  const agents = new Map(backends.map((b) => [b, new Agent({ keepAlive: true, maxSockets: 64 })]));
  const forwarded: Record<string, number> = Object.fromEntries(backends.map((b) => [b, 0]));
  let failed = 0;
  let turn = 0;
  let closing = false;

  async function check(b: string) {
    try {
      // Seconds, as a load balancer allows: a busy machine answers slowly, which is not "not ready".
      const r = await fetch(`${b}/readyz`, { signal: AbortSignal.timeout(Math.max(2000, checkMs * 5)) });
      await r.arrayBuffer();
      ready.set(b, r.status === 200);
    } catch {
      ready.set(b, false);
    }
  }
  const checks = (async () => {
    while (!closing) {
      await Promise.all(backends.map(check));
      await new Promise((r) => setTimeout(r, checkMs));
    }
  })();
  await Promise.all(backends.map(check));

  function pick(): string | undefined {
    for (let k = 0; k < backends.length; k++) {
      const b = backends[turn++ % backends.length];
      if (ready.get(b)) return b;
    }
    return undefined;
  }

  function forward(req: IncomingMessage, res: ServerResponse) {
    const backend = pick();
    if (!backend) {
      failed++;
      res.writeHead(503, { "content-type": "application/json" }).end('{"errors":[{"message":"no backend is ready"}]}');
      return;
    }
    forwarded[backend]++;
    const target = new URL(req.url ?? "/", backend);
    const headers = { ...req.headers, host: target.host };
    delete headers.connection;
    const upstream = request(target, { method: req.method, headers, agent: agents.get(backend) }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on("error", () => {
      failed++;
      if (!res.headersSent) res.writeHead(502, { "content-type": "application/json" }).end('{"errors":[{"message":"the backend dropped the request"}]}');
      else res.destroy();
    });
    req.pipe(upstream);
  }

  const server: Server = createServer(forward);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    forwarded,
    get failed() {
      return failed;
    },
    isReady: (b) => ready.get(b) === true,
    async close() {
      closing = true;
      await checks;
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      await closed;
      for (const a of agents.values()) a.destroy();
    },
  };
}
