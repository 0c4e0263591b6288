import { Agent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from "node:http";

/**
 * The gateway's HTTP client for its calls to the subgraphs (query plan fetches, the
 * webhook forward, the readiness probe): node:http over keep-alive connections. Global
 * fetch (undici's web streams) cost about a third of the gateway's CPU per storefront
 * request; this client reads the whole (small) JSON answer into one string instead.
 */

/** A socket kept open between calls is closed after this long unused, before the subgraph would close it (its keepAliveTimeout is longer). */
export const CLIENT_IDLE_TIMEOUT_MS = 30_000;

export interface ClientRequest {
  method?: string;
  /** A function is called per attempt: a re-sent call is signed afresh (a subgraph takes each signature once). */
  headers?: Record<string, string> | (() => Record<string, string>);
  body?: string;
  /** The whole exchange (connect, send, wait, read the answer) must finish within this. */
  timeoutMs: number;
  /**
   * The call may be sent again when a kept-alive socket turns out closed by the peer before
   * any answer came: only for calls that change nothing (queries, probes).
   */
  idempotent?: boolean;
}

/** Just enough of a fetch Response for RemoteGraphQLDataSource and our own callers. */
export interface ClientResponse {
  status: number;
  statusText: string;
  ok: boolean;
  url: string;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
  json(): Promise<unknown>;
}

export class SubgraphTimeout extends Error {
  readonly code = "ETIMEDOUT";
  constructor(timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
    this.name = "SubgraphTimeout";
  }
}

export class SubgraphClient {
  private readonly agent = new Agent({ keepAlive: true, timeout: CLIENT_IDLE_TIMEOUT_MS, scheduling: "lifo" });

  async request(url: string | URL, options: ClientRequest): Promise<ClientResponse> {
    const target = typeof url === "string" ? new URL(url) : url;
    const deadline = Date.now() + options.timeoutMs;
    try {
      return await this.once(target, options, deadline);
    } catch (err) {
      // A socket the subgraph closed while it sat idle in the pool (it restarted, or its
      // keep-alive ran out first): the request died on the socket before any answer, so
      // the subgraph never handled it. Sent once more on a fresh socket — but only when it
      // changes nothing: on a reused socket "closed before an answer" cannot tell a
      // request that was never read from one that was read and then the subgraph went
      // away mid-work, so a mutation is not sent twice (its caller gets SERVICE_UNAVAILABLE).
      if (options.idempotent && err instanceof StaleSocket && Date.now() < deadline) return this.once(target, options, deadline);
      throw err instanceof StaleSocket ? err.cause : err;
    }
  }

  /** Closes the idle keep-alive sockets (those in use close once their answer is read). */
  close(): void {
    this.agent.destroy();
  }

  private once(target: URL, options: ClientRequest, deadline: number): Promise<ClientResponse> {
    return new Promise<ClientResponse>((resolve, reject) => {
      const timeoutMs = Math.max(1, deadline - Date.now());
      let answered = false;
      const headers = typeof options.headers === "function" ? options.headers() : options.headers;
      const req = httpRequest(target, { method: options.method ?? "GET", headers, agent: this.agent });
      const timer = setTimeout(() => req.destroy(new SubgraphTimeout(options.timeoutMs)), timeoutMs);
      const fail = (err: Error) => {
        clearTimeout(timer);
        reject(!answered && req.reusedSocket && isClosedByPeer(err) ? new StaleSocket(err) : err);
      };
      req.on("error", fail);
      req.once("response", (res: IncomingMessage) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", fail);
        res.once("aborted", () => fail(new Error("the answer was cut off")));
        res.once("end", () => {
          clearTimeout(timer);
          const text = chunks.length === 1 ? chunks[0].toString("utf8") : Buffer.concat(chunks).toString("utf8");
          resolve(clientResponse(target, res.statusCode ?? 0, res.statusMessage ?? "", res.headers, text));
        });
      });
      req.end(options.body);
    });
  }
}

class StaleSocket extends Error {
  constructor(readonly cause: Error) {
    super(cause.message);
  }
}

function isClosedByPeer(err: Error): boolean {
  const code = (err as { code?: string }).code;
  return code === "ECONNRESET" || code === "EPIPE" || err.message === "socket hang up";
}

function clientResponse(url: URL, status: number, statusText: string, headers: IncomingHttpHeaders, text: string): ClientResponse {
  return {
    status,
    statusText,
    ok: status >= 200 && status < 300,
    url: url.href,
    headers: {
      get(name: string) {
        const value = headers[name.toLowerCase()];
        return value === undefined ? null : Array.isArray(value) ? value.join(", ") : value;
      },
    },
    text: async () => text,
    json: async () => JSON.parse(text) as unknown,
  };
}
