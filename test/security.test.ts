import { getIntrospectionQuery } from "graphql";
import { exportSPKI, generateKeyPair, SignJWT } from "jose";
import { AuthError, createTokenVerifier } from "../gateway/auth";
import { jwtConfig } from "../gateway/config";
import { DEMO_AUDIENCE, DEMO_ISSUER } from "../gateway/demo-keys";
import { SubgraphClient } from "../gateway/subgraph-client";
import { readFileSync } from "node:fs";
import path from "node:path";
import { encodePrincipal, signInternalRequest, type InternalCall } from "../subgraphs/kernel/internal-auth";
import { countRows, ingest, orderInput, sendWebhook } from "./support/fixtures";
import { startTestHub, type TestHub } from "./support/hub";

let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub();
  await ingest(hub, orderInput({ channelOrderId: "W-sec-1" }));
}, 60_000);
afterAll(() => hub?.stop());

const ORDERS = "{ orders(first: 5) { edges { node { id } } } }";

async function post(url: string, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
  return { status: res.status, body: (await res.json()) as any };
}

describe("bearer tokens", () => {
  test("a missing token gets UNAUTHENTICATED for orders", async () => {
    const r = await hub.query(ORDERS);
    expect(r.errors![0].extensions!.code).toBe("UNAUTHENTICATED");
  });

  test("an expired token is refused with 401 and UNAUTHENTICATED", async () => {
    const expired = await hub.mintToken!({ sub: "test:x", roles: ["admin"] }, -60);
    const r = await hub.query(ORDERS, {}, expired);
    expect(r.status).toBe(401);
    expect(r.errors![0]).toMatchObject({ extensions: { code: "UNAUTHENTICATED" }, message: expect.stringMatching(/expired/) });
  });

  test("a token the gateway accepted before is refused from the second it expires", async () => {
    // Four seconds: iat is rounded down, so a slow first request still finds it valid.
    const shortLived = await hub.mintToken!({ sub: "test:short", roles: ["admin"] }, 4);
    const exp = JSON.parse(Buffer.from(shortLived.split(".")[1], "base64url").toString()).exp as number;
    const first = await hub.query(ORDERS, {}, shortLived);
    expect(first.status).toBe(200);
    expect(first.errors).toBeUndefined();
    await new Promise((r) => setTimeout(r, Math.max(0, exp * 1000 - Date.now()) + 100));
    const again = await hub.query(ORDERS, {}, shortLived);
    expect(again.status).toBe(401);
    expect(again.errors![0]).toMatchObject({ extensions: { code: "UNAUTHENTICATED" }, message: expect.stringMatching(/expired/) });
  });

  test("a remembered token is refused once it is older than JWT_MAX_AGE_SECONDS, though not yet expired", async () => {
    const { publicKey, privateKey } = await generateKeyPair("EdDSA");
    const verify = await createTokenVerifier(
      jwtConfig({ JWT_PUBLIC_KEY: await exportSPKI(publicKey), JWT_ISSUER: DEMO_ISSUER, JWT_AUDIENCE: DEMO_AUDIENCE, JWT_ALGORITHMS: "EdDSA", JWT_MAX_AGE_SECONDS: "60" }),
    );
    const iat = Math.floor(Date.now() / 1000) - 57; // three seconds of its 60 left
    const token = await new SignJWT({ roles: ["admin"] }).setProtectedHeader({ alg: "EdDSA" }).setSubject("test:old").setIssuer(DEMO_ISSUER).setAudience(DEMO_AUDIENCE).setIssuedAt(iat).setExpirationTime("1h").sign(privateKey);
    expect((await verify(token)).sub).toBe("test:old");
    await new Promise((r) => setTimeout(r, Math.max(0, (iat + 60) * 1000 - Date.now()) + 1100));
    await expect(verify(token)).rejects.toThrow(AuthError);
  });

  test("a token signed with another key is refused", async () => {
    const { privateKey } = await generateKeyPair("EdDSA");
    const forged = await new SignJWT({ roles: ["admin"] })
      .setProtectedHeader({ alg: "EdDSA" })
      .setSubject("mallory")
      .setIssuer(DEMO_ISSUER)
      .setAudience(DEMO_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime("1h")
      .sign(privateKey);
    const r = await hub.query(ORDERS, {}, forged);
    expect(r.status).toBe(401);
    expect(r.errors![0].extensions!.code).toBe("UNAUTHENTICATED");
  });

  test("a token with an unsigned algorithm (alg none) is refused", async () => {
    const header = Buffer.from(JSON.stringify({ alg: "none" })).toString("base64url");
    const payload = Buffer.from(JSON.stringify({ sub: "x", roles: ["admin"], iss: DEMO_ISSUER, aud: DEMO_AUDIENCE, exp: 9999999999, iat: 1 })).toString("base64url");
    const r = await hub.query(ORDERS, {}, `${header}.${payload}.`);
    expect(r.status).toBe(401);
  });

  test("a customer token cannot list other shoppers' data by asking for staff queries", async () => {
    const customer = await hub.token(["customer"], "gid://orderhub/Customer/999");
    const r = await hub.query("{ customers(first: 5) { edges { node { id } } } }", {}, customer);
    expect(r.errors![0].extensions!.code).toBe("FORBIDDEN");
  });
});

describe("subgraphs answer only the gateway", () => {
  test.each([
    ["_service", "{ _service { sdl } }"],
    ["_entities", '{ _entities(representations: [{ __typename: "Order", id: "gid://orderhub/Order/1" }]) { ... on Order { id total { amount } } } }'],
  ])("%s sent straight to a subgraph gets 401", async (_name, query) => {
    const r = await post(hub.subgraphs.orders.url, JSON.stringify({ query }));
    expect(r.status).toBe(401);
    expect(r.body.errors[0].extensions.code).toBe("UNAUTHENTICATED");
    expect(JSON.stringify(r.body)).not.toMatch(/sdl|total/);
  });

  const internalSecret = () => (JSON.parse(readFileSync(path.join(hub.dataDir, "demo-keys.json"), "utf8")) as { internalSecret: string }).internalSecret;
  const admin = encodePrincipal({ sub: "x", roles: ["admin"] });
  const SDL = JSON.stringify({ query: "{ _service { sdl } }" });
  const call = (body: string, over: Partial<InternalCall> = {}): InternalCall => ({ service: "orders", method: "POST", target: "/graphql", body, ...over });

  test("a signature made with the wrong secret, over another body, or for another method is refused; the right one is accepted once", async () => {
    const url = hub.subgraphs.orders.url;
    const genuine = signInternalRequest(internalSecret(), admin, call(SDL));
    expect((await post(url, SDL, genuine)).status).toBe(200);
    expect((await post(url, SDL, genuine)).status).toBe(401);
    expect((await post(url, SDL, { ...genuine, "x-orderhub-nonce": signInternalRequest(internalSecret(), admin, call(SDL))["x-orderhub-nonce"] })).status).toBe(401);
    expect((await post(url, SDL, signInternalRequest("not-the-secret-not-the-secret-123", admin, call(SDL)))).status).toBe(401);
    expect((await post(url, SDL, signInternalRequest(internalSecret(), admin, call("{}")))).status).toBe(401);
    expect((await post(url, SDL, signInternalRequest(internalSecret(), admin, call(SDL, { method: "GET" })))).status).toBe(401);
  });

  /** The subgraph calls the gateway makes while `work` runs, as they went on the wire. */
  async function captured(work: () => Promise<unknown>) {
    const calls: Array<{ url: string; headers: Record<string, string>; body: string }> = [];
    // The gateway's calls to the subgraphs, as they go on the wire.
    const send = SubgraphClient.prototype.request;
    const spy = jest.spyOn(SubgraphClient.prototype, "request").mockImplementation(function (this: SubgraphClient, url, options) {
      const call = { url: String(url), headers: {} as Record<string, string>, body: options.body ?? "" };
      calls.push(call);
      const given = options.headers;
      // Signed per attempt: what the client sends is what the function returns.
      const headers = typeof given === "function" ? () => (call.headers = given()) : ((call.headers = { ...given }), given);
      return send.call(this, url, { ...options, headers });
    });
    try {
      await work();
    } finally {
      spy.mockRestore();
    }
    return calls;
  }
  const on = (base: string, route: string) => new URL(route, base).href;

  test("a captured call is refused when replayed: as it was, to another subgraph or to another route", async () => {
    const calls = await captured(() => hub.ok("{ customers(first: 1) { edges { node { id } } } }"));
    const toCustomers = calls.find((c) => c.url === hub.subgraphs.customers.url)!;
    expect(toCustomers.headers).toHaveProperty("x-orderhub-signature");
    const replay = (url: string) => post(url, toCustomers.body, toCustomers.headers);
    const again = await replay(hub.subgraphs.customers.url);
    expect([again.status, again.body.errors[0].extensions.code]).toEqual([401, "UNAUTHENTICATED"]);
    // A fresh signature for the same request is accepted: only the captured one is spent.
    expect((await post(hub.subgraphs.customers.url, toCustomers.body, signInternalRequest(internalSecret(), toCustomers.headers["x-orderhub-principal"], call(toCustomers.body, { service: "customers" })))).status).toBe(200);
    for (const other of ["orders", "products", "aftersales"] as const) {
      const r = await replay(hub.subgraphs[other].url);
      expect([other, r.status, r.body.errors[0].extensions.code]).toEqual([other, 401, "UNAUTHENTICATED"]);
    }
    expect((await replay(on(hub.subgraphs.orders.url, "/internal/channel-events/web"))).status).toBe(401);
  });

  test("a forwarded channel webhook replayed to another channel's route or to /graphql is refused", async () => {
    const event = { eventId: `replay-${process.pid}`, type: "order.paid", occurredAt: new Date().toISOString(), order: { channelOrderId: `W-replay-${process.pid}` }, payment: {} };
    const calls = await captured(() => sendWebhook(hub, "web", event));
    const forwarded = calls.find((c) => c.url.includes("/internal/channel-events/web"))!;
    expect(forwarded.body).toBe(JSON.stringify(event));
    for (const route of ["/internal/channel-events/jd", "/graphql"]) {
      const r = await post(on(hub.subgraphs.orders.url, route), forwarded.body, forwarded.headers);
      expect([route, r.status]).toEqual([route, 401]);
    }
    expect(await countRows(hub, "orders", "channel_events")).toBe(1); // only the genuine delivery
  });
});

describe("bad input is refused and changes nothing", () => {
  test("malformed and wrong-type IDs are BAD_USER_INPUT naming the expected type", async () => {
    const malformed = await hub.query("{ order(id: \"42\") { id } }", {}, hub.admin);
    expect(malformed.errors![0].extensions!.code).toBe("BAD_USER_INPUT");
    expect(malformed.errors![0].message).toMatch(/Order/);
    const wrongType = await hub.query('{ order(id: "gid://orderhub/Product/1") { id } }', {}, hub.admin);
    expect(wrongType.errors![0].extensions!.code).toBe("BAD_USER_INPUT");
    expect(wrongType.errors![0].message).toMatch(/Expected an Order ID, got a Product ID/);
    const unknownType = await hub.query('{ node(id: "gid://orderhub/Invoice/1") { id } }', {}, hub.admin);
    expect(unknownType.errors![0].extensions!.code).toBe("BAD_USER_INPUT");
  });

  test("unknown fields and wrong variable types are rejected before anything runs", async () => {
    const unknown = await hub.query("{ orders(first: 1) { edges { node { secret } } } }", {}, hub.admin);
    expect(unknown.status).toBe(400);
    expect(unknown.errors![0].extensions!.code).toBe("GRAPHQL_VALIDATION_FAILED");
    const wrongType = await hub.query("query($n: Int) { orders(first: $n) { edges { cursor } } }", { n: "five" }, hub.admin);
    expect(wrongType.status).toBe(400);
    expect(wrongType.errors![0].extensions!.code).toBe("BAD_USER_INPUT");
    const badPage = await hub.query("{ orders(first: 1000) { edges { cursor } } }", {}, hub.admin);
    expect(badPage.errors![0].extensions!.code).toBe("BAD_USER_INPUT");
    const badCursor = await hub.query('{ orders(first: 1, after: "nonsense") { edges { cursor } } }', {}, hub.admin);
    expect(badCursor.errors![0].extensions!.code).toBe("BAD_USER_INPUT");
  });

  test("a query nested deeper than MAX_QUERY_DEPTH (12), or with more than MAX_QUERY_ALIASES (30) aliases, is refused before anything runs", async () => {
    // customer → orders → customer → orders …: each hop is a subgraph fetch.
    let selection = "id";
    for (let i = 0; i < 4; i++) selection = `orders(first: 5) { edges { node { customer { ${selection} } } } }`;
    const deep = await hub.query(`{ customers(first: 5) { edges { node { ${selection} } } } }`, {}, hub.admin);
    expect(deep.status).toBe(400);
    expect(deep.errors![0].extensions!.code).toBe("GRAPHQL_VALIDATION_FAILED");
    expect(deep.errors![0].message).toMatch(/depth/i);
    const aliases = Array.from({ length: 31 }, (_, i) => `a${i}: orders(first: 1) { edges { cursor } }`).join(" ");
    const many = await hub.query(`{ ${aliases} }`, {}, hub.admin);
    expect(many.status).toBe(400);
    expect(many.errors![0].extensions!.code).toBe("GRAPHQL_VALIDATION_FAILED");
    expect(many.errors![0].message).toMatch(/alias/i);
    // Within the limits the same shapes run.
    const fine = await hub.query(`{ customers(first: 1) { edges { node { orders(first: 1) { edges { node { customer { id } } } } } } } }`, {}, hub.admin);
    expect(fine.errors).toBeUndefined();
    // Introspection (tools' full query nests ofType far deeper than 12) does not count.
    const introspection = await hub.query(getIntrospectionQuery(), {}, hub.admin);
    expect(introspection.errors).toBeUndefined();
  });

  test("an oversized body gets 413 and malformed JSON gets 400", async () => {
    const big = await post(hub.url, JSON.stringify({ query: `{ products(search: "${"x".repeat(2_000_000)}") { edges { cursor } } }` }));
    expect(big.status).toBe(413);
    expect(big.body.errors[0].extensions.code).toBe("PAYLOAD_TOO_LARGE");
    const broken = await post(hub.url, "{ not json");
    expect(broken.status).toBe(400);
    expect(broken.body.errors[0].extensions.code).toBe("BAD_REQUEST");
  });

  test.each([
    ["a negative quantity", { lines: [{ channelSkuId: "A", quantity: -1, unitPrice: "1.00" }] }, /quantity/],
    ["an unknown currency", { currency: "XYZ" }, /currency/],
    ["a time without a zone", { placedAt: "2026-11-01 08:00:00" }, /offset|ISO/],
    ["a float price", { lines: [{ channelSkuId: "A", quantity: 1, unitPrice: "1.005" }] }, /decimal places/],
    ["no lines", { lines: [] }, /lines/],
  ])("an order with %s is BAD_USER_INPUT and stores no row", async (_what, override, message) => {
    const before = await countRows(hub, "orders", "orders");
    const r = await hub.query("mutation($i: IngestOrderInput!) { ingestOrder(input: $i) { id } }", { i: orderInput(override) }, hub.channel);
    expect(r.errors![0].extensions!.code).toBe("BAD_USER_INPUT");
    expect(r.errors![0].message).toMatch(message);
    expect(await countRows(hub, "orders", "orders")).toBe(before);
    expect(await countRows(hub, "orders", "order_lines")).toBe(before);
  });

  test("a shopper may not ingest orders", async () => {
    const customer = await hub.token(["customer"], "gid://orderhub/Customer/1");
    const r = await hub.query("mutation($i: IngestOrderInput!) { ingestOrder(input: $i) { id } }", { i: orderInput() }, customer);
    expect(r.errors![0].extensions!.code).toBe("FORBIDDEN");
  });

  test("errors never leak SQL, stacks or internal addresses", async () => {
    const r = await hub.query("{ orders(first: 0) { edges { cursor } } }", {}, hub.admin);
    const text = JSON.stringify(r);
    expect(text).not.toMatch(/stacktrace|SELECT|127\.0\.0\.1|http:\/\//);
  });
});
