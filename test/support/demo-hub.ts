import { seedDemoData, type SeedResult } from "../../gateway/demo-data";
import { ManualClock } from "../../subgraphs/kernel/clock";
import { OutboxEvent, ProcessedEvent, toHubEvent } from "../../subgraphs/kernel/events";
import { startTestHub, type TestHub } from "./hub";
import { freePort } from "./services";

export interface DemoHub extends TestHub {
  clock: ManualClock;
  tokens: SeedResult["tokens"];
}

/**
 * A hub with the demo data, as `npm start` leaves it once it has run for a while:
 * - seeded through the API by the same code `npm start` uses;
 * - 31 minutes later on the hub's clock, with the SLA watcher run, so the exception
 *   queue is full (as it is about 30 minutes after the first start);
 * - JD subscribed to customer-change webhooks at an address that refuses connections,
 *   with one attempt per delivery, so there are FAILED deliveries to list and send again;
 * - one parked event: after-sales lost an order's snapshot (its row deleted), so the
 *   order's next status cannot be applied and, with one attempt allowed, is parked.
 */
export async function startDemoHub(): Promise<DemoHub> {
  const clock = new ManualClock();
  const hub = await startTestHub(
    {
      OUTBOUND_WEBHOOK_URL_JD: `http://127.0.0.1:${await freePort()}/orderhub-changes`,
      OUTBOUND_WEBHOOK_SECRET_JD: `whsec_${Buffer.from("demo hub outbound secret for JD").toString("base64")}`,
      OUTBOUND_MAX_ATTEMPTS: "1",
      EVENT_MAX_DELIVERIES: "1",
    },
    { clock },
  );
  try {
    const { tokens } = await seedDemoData(hub.url, hub.mintToken!, hub.settle);
    clock.advance(31 * 60_000);
    // Both jobs answer how many orders or deliveries they handled; run them until there are none left.
    while (((await hub.subgraphs.orders.jobs.sla.runOnce()) as number) > 0);
    await hub.settle();
    while (((await hub.subgraphs.customers.jobs.outbound.runOnce()) as number) > 0);
    await parkOneEvent(hub);
    return { ...hub, clock, tokens };
  } catch (err) {
    await hub.stop();
    throw err;
  }
}

/** Delivers an order's status again to an after-sales that no longer knows the order: it fails and is parked. */
async function parkOneEvent(hub: TestHub): Promise<void> {
  const status = await hub.subgraphs.orders.ds.getRepository(OutboxEvent).findOneOrFail({ where: { type: "order.status_changed" }, order: { position: "ASC" } });
  const as = hub.subgraphs.aftersales;
  await as.ds.query("DELETE FROM order_refs WHERE orderKey = ?", [Number(status.aggregateId.split("/").pop())]);
  await as.ds.getRepository(ProcessedEvent).delete({ consumer: "aftersales.order-status", eventId: status.id });
  await as.consumer.deliver(toHubEvent(status));
}
