import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Socket } from "node:net";
import { SubgraphClient } from "../gateway/subgraph-client";

/**
 * A subgraph that closes a kept-alive socket just as the next request arrives on it — the
 * race between its keep-alive timeout and the gateway reusing the socket. Each socket
 * answers its first request only; `received` counts the requests that reached it.
 */
let server: Server;
let url: string;
let received = 0;
let answered = 0;
const served = new WeakMap<Socket, number>();

beforeAll(async () => {
  server = createServer((req, res) => {
    received++;
    const n = (served.get(req.socket) ?? 0) + 1;
    served.set(req.socket, n);
    if (n > 1) {
      req.socket.destroy();
      return;
    }
    req.resume();
    req.on("end", () => {
      answered++;
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ data: { n: answered } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

test("a query sent on a kept-alive socket the subgraph has closed is sent again on a new one, and answered", async () => {
  const client = new SubgraphClient();
  try {
    const first = await client.request(url, { method: "POST", body: "{}", timeoutMs: 5000, idempotent: true });
    expect(await first.json()).toEqual({ data: { n: 1 } });
    const second = await client.request(url, { method: "POST", body: "{}", timeoutMs: 5000, idempotent: true });
    expect(second.status).toBe(200);
    expect(second.headers.get("Content-Type")).toBe("application/json");
    expect(await second.json()).toEqual({ data: { n: 2 } });
  } finally {
    client.close();
  }
});

test("a mutation is not sent twice: the closed socket fails the call", async () => {
  const client = new SubgraphClient();
  try {
    await client.request(url, { method: "POST", body: "{}", timeoutMs: 5000 });
    const before = received;
    await expect(client.request(url, { method: "POST", body: "{}", timeoutMs: 5000 })).rejects.toMatchObject({ code: "ECONNRESET" });
    expect(received).toBe(before + 1);
  } finally {
    client.close();
  }
});
