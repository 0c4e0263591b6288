import { createProduct, customerOf, customerToken, ingest, orderInput } from "./support/fixtures";
import { startTestHub, type TestHub } from "./support/hub";

let hub: TestHub;
let shopper: string;
beforeAll(async () => {
  hub = await startTestHub();
  await createProduct(hub, "CUP-1", [{ channel: "WEB", channelSkuId: "SKU-A" }]);
  const o = await ingest(hub, orderInput({ channelOrderId: "W-res-1" }));
  shopper = await customerToken(hub, await customerOf(hub, o.id));
}, 60_000);
afterAll(() => hub?.stop());

test("healthz answers and readyz reports every subgraph and database ready", async () => {
  const base = hub.url.replace(/\/graphql$/, "");
  expect((await fetch(`${base}/healthz`)).status).toBe(200);
  const ready = await fetch(`${base}/readyz`);
  expect(ready.status).toBe(200);
  expect(await ready.json()).toEqual({ status: "ok", subgraphs: { orders: "ok", customers: "ok", products: "ok", aftersales: "ok" } });
});

test("with one subgraph down the gateway stays ready naming it, and the rest of the data still comes back, with a coded error and no internal address", async () => {
  await hub.subgraphs.aftersales.stop();
  const base = hub.url.replace(/\/graphql$/, "");

  // The gateway itself can serve: it stays in the load balancer and names the failing subgraph.
  const ready = await fetch(`${base}/readyz`);
  expect(ready.status).toBe(200);
  const readiness = (await ready.json()) as any;
  expect(readiness).toMatchObject({ status: "ok", failing: ["aftersales: unreachable"] });
  expect(readiness.subgraphs).toMatchObject({ orders: "ok", aftersales: "unreachable" });
  expect(JSON.stringify(readiness)).not.toMatch(/127\.0\.0\.1|http:/);

  const r = await hub.query(
    "{ me { displayName orders(first: 5) { edges { node { number total { amount } lines { product { sku } } afterSalesCases { id } } } } } }",
    {},
    shopper,
  );
  const order = r.data!.me.orders.edges[0].node;
  expect(order.total.amount).toBe("197.80");
  expect(order.lines[0].product.sku).toBe("CUP-1");
  expect(order.afterSalesCases).toBeNull();
  expect(r.errors!.length).toBeGreaterThan(0);
  expect(r.errors![0].extensions!.code).toBe("SERVICE_UNAVAILABLE");
  expect(JSON.stringify(r.errors)).not.toMatch(/127\.0\.0\.1|http:\/\/|ECONNREFUSED/);
});
