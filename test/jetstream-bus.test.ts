import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { v7 as uuidv7 } from "uuid";
import type { HubEvent } from "../subgraphs/kernel/events";
import { headers } from "@nats-io/nats-core";
import { ConfigError } from "../subgraphs/kernel/config";
import { EVENT_SIGNATURE_HEADER, signEvent } from "../subgraphs/kernel/event-signature";
import { EventRefusedError } from "../subgraphs/kernel/events";
import { nakDelayMs, natsConfig, NatsBus, type NatsConfig } from "../subgraphs/kernel/jetstream-bus";
import { deleteStream, eventually, NATS_SERVER_BIN, NATS_URL, privateNats, type PrivateNats } from "./support/services";

/** The JetStream bus on a real NATS server (no database: deliveries are recorded in memory). */

jest.setTimeout(60_000);

let n = 0;
function event(type: string, aggregateId = "gid://orderhub/Order/1", sequence = ++n): HubEvent {
  const now = new Date().toISOString();
  return { id: uuidv7(), aggregateId, sequence, type, occurredAt: now, recordedAt: now, source: "test", actor: null, payload: { n: sequence } };
}

const streamName = () => `ohb_${process.pid}_${Math.floor(Math.random() * 1e6)}`;
const SECRET = "event-signing-secret-of-this-test-0123456789";
const OLD_SECRET = "the-secret-before-the-rotation-0123456789ab";
const configFor = (stream: string, url = NATS_URL, env: Record<string, string> = {}): NatsConfig =>
  natsConfig({ NATS_URL: url, NATS_STREAM: stream, INTERNAL_SIGNING_SECRET: SECRET, ...env })!;

/** Publishes straight to NATS, as any client allowed on the subjects could, bypassing the bus. */
async function publishRaw(subject: string, body: string, msgId: string, signature?: string) {
  const nc = await connect({ servers: NATS_URL });
  try {
    const h = headers();
    h.set("Nats-Msg-Id", msgId);
    if (signature !== undefined) h.set(EVENT_SIGNATURE_HEADER, signature);
    await nc.request(subject, new TextEncoder().encode(body), { headers: h, timeout: 5000 });
  } finally {
    await nc.close();
  }
}

async function consumerState(stream: string, durable: string, url = NATS_URL) {
  const nc = await connect({ servers: url });
  try {
    const info = await (await jetstreamManager(nc)).consumers.info(stream, durable);
    return { pending: info.num_pending, ackPending: info.num_ack_pending, config: info.config };
  } finally {
    await nc.close();
  }
}

describe("NatsBus", () => {
  const buses: NatsBus[] = [];
  const streams: string[] = [];
  async function bus(stream: string): Promise<NatsBus> {
    const b = await NatsBus.connect(configFor(stream), "test");
    buses.push(b);
    if (!streams.includes(stream)) streams.push(stream);
    return b;
  }

  afterEach(async () => {
    await Promise.all(buses.splice(0).map((b) => b.close()));
    await Promise.all(streams.splice(0).map((s) => deleteStream(s)));
  });

  test("the same event published twice is stored once (its id is the message id)", async () => {
    const stream = streamName();
    const b = await bus(stream);
    const e = event("order.created");
    await b.publish(e);
    await b.publish(e);
    const nc = await connect({ servers: NATS_URL });
    const info = await (await jetstreamManager(nc)).streams.info(stream);
    await nc.close();
    expect(info.state.messages).toBe(1);
    expect(info.config.subjects).toEqual([`${stream}.events.>`]);
    expect(info.config.storage).toBe("file");
  });

  test("a failed delivery comes back after a pause and nothing later overtakes it", async () => {
    const stream = streamName();
    const publisher = await bus(stream);
    const events = [event("order.created", "gid://orderhub/Order/7", 1), event("order.status_changed", "gid://orderhub/Order/7", 2), event("order.created", "gid://orderhub/Order/8", 1)];
    for (const e of events) await publisher.publish(e);

    const consumer = await bus(stream);
    const applied: string[] = [];
    const attempts = new Map<string, number>();
    consumer.consume("customers", ["order.created", "order.status_changed"], async (e) => {
      attempts.set(e.id, (attempts.get(e.id) ?? 0) + 1);
      if (e.id === events[0].id && attempts.get(e.id) === 1) throw new Error("database busy");
      applied.push(e.id);
    });
    await consumer.start();
    await eventually(async () => applied.length === 3, "three deliveries");
    expect(applied).toEqual(events.map((e) => e.id));
    expect(attempts.get(events[0].id)).toBe(2);
    expect(await consumerState(stream, `${stream}_customers`)).toMatchObject({ pending: 0, ackPending: 0, config: { max_ack_pending: 1, filter_subject: `${stream}.events.>` } });
  });

  test("events of types the service does not take are acknowledged without a delivery", async () => {
    const stream = streamName();
    const b = await bus(stream);
    const skipped = event("product.changed");
    const wanted = event("order.created");
    await b.publish(skipped);
    await b.publish(wanted);
    const seen: string[] = [];
    b.consume("customers", ["order.created"], async (e) => void seen.push(e.id));
    await b.start();
    await eventually(async () => seen.length === 1, "the wanted event");
    await eventually(async () => (await consumerState(stream, `${stream}_customers`)).ackPending === 0, "both acknowledged");
    expect(seen).toEqual([wanted.id]);
    expect((await consumerState(stream, `${stream}_customers`)).pending).toBe(0);
  });

  test("a durable consumer deleted under a running service is made again, and the events after it are delivered", async () => {
    const stream = streamName();
    const b = await bus(stream);
    const seen: string[] = [];
    b.consume("customers", ["order.created"], async (e) => void seen.push(e.id));
    await b.start();
    const before = event("order.created");
    await b.publish(before);
    await eventually(async () => seen.includes(before.id), "the first event");
    const nc = await connect({ servers: NATS_URL });
    try {
      await (await jetstreamManager(nc)).consumers.delete(stream, `${stream}_customers`);
    } finally {
      await nc.close();
    }
    const after = event("order.created");
    await b.publish(after);
    await eventually(async () => seen.includes(after.id), "the event after the consumer was deleted", 20_000);
    expect((await consumerState(stream, `${stream}_customers`)).config.max_ack_pending).toBe(1); // made again, as the service makes it
  }, 30_000);

  test("two instances of one service share its durable consumer: each event handled once in total, by both of them", async () => {
    const stream = streamName();
    const [a, b] = [await bus(stream), await bus(stream)];
    const handled: Record<"a" | "b", string[]> = { a: [], b: [] };
    const slow = (who: "a" | "b") => async (e: HubEvent) => {
      await new Promise((r) => setTimeout(r, 5));
      handled[who].push(e.id);
    };
    a.consume("customers", ["order.created"], slow("a"));
    b.consume("customers", ["order.created"], slow("b"));
    await Promise.all([a.start(), b.start()]);
    const events = Array.from({ length: 40 }, (_, i) => event("order.created", `gid://orderhub/Order/${i}`, 1));
    for (const e of events) await a.publish(e);
    await eventually(async () => handled.a.length + handled.b.length >= 40, "40 deliveries");
    await eventually(async () => (await consumerState(stream, `${stream}_customers`)).ackPending === 0, "the last acknowledged");
    expect([...handled.a, ...handled.b].sort()).toEqual(events.map((e) => e.id).sort());
    expect(handled.a.length).toBeGreaterThan(0);
    expect(handled.b.length).toBeGreaterThan(0);
  });

  test("close() lets the delivery under way finish and acknowledges it, so it is not delivered again", async () => {
    const stream = streamName();
    const first = await bus(stream);
    const e = event("order.created");
    await first.publish(e);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let started = false;
    let finished = false;
    first.consume("customers", ["order.created"], async () => {
      started = true;
      await gate;
      finished = true;
    });
    await first.start();
    await eventually(async () => started, "the delivery to start");
    const closing = first.close();
    release();
    await closing;
    expect(finished).toBe(true);
    expect(await consumerState(stream, `${stream}_customers`)).toMatchObject({ pending: 0, ackPending: 0 });

    // A new instance of the service gets nothing: the event was acknowledged.
    const second = await bus(stream);
    const again: string[] = [];
    second.consume("customers", ["order.created"], async (x) => void again.push(x.id));
    await second.start();
    const later = event("order.created");
    await second.publish(later);
    await eventually(async () => again.length === 1, "the next event");
    expect(again).toEqual([later.id]);
  });

  test("forged events published straight to NATS are terminated unapplied and do not hold up the genuine ones", async () => {
    const stream = streamName();
    const b = await bus(stream);
    const subject = `${stream}.events.customer.merged`;
    const forged = (id: string) => JSON.stringify({ ...event("customer.merged"), id, payload: { survivorKey: "victim", absorbedKeys: ["attacker"] } });
    const ids = [uuidv7(), uuidv7(), uuidv7(), uuidv7()];
    // Unsigned; signed with a wrong secret; correctly signed but under another type's subject; a signature for another message id.
    await publishRaw(subject, forged(ids[0]), ids[0]);
    await publishRaw(subject, forged(ids[1]), ids[1], signEvent({ current: "not-the-services-secret-0123456789abcdef" }, subject, ids[1], new TextEncoder().encode(forged(ids[1]))));
    const mismatched = JSON.stringify({ ...event("order.created"), id: ids[2] });
    await publishRaw(subject, mismatched, ids[2], signEvent({ current: SECRET }, subject, ids[2], new TextEncoder().encode(mismatched)));
    await publishRaw(subject, forged(ids[3]), ids[3], signEvent({ current: SECRET }, subject, ids[0], new TextEncoder().encode(forged(ids[3]))));
    const genuine = event("customer.merged");
    await b.publish(genuine);

    const applied: string[] = [];
    b.consume("customers", ["customer.merged", "order.created"], async (e) => void applied.push(e.id));
    await b.start();
    await eventually(async () => applied.length === 1, "the genuine event");
    await eventually(async () => (await consumerState(stream, `${stream}_customers`)).ackPending === 0, "all settled");
    expect(applied).toEqual([genuine.id]);
    expect(b.rejectedEvents).toBe(4);
    // Terminated, not left to come back: nothing pending or in flight.
    expect(await consumerState(stream, `${stream}_customers`)).toMatchObject({ pending: 0, ackPending: 0 });
  });

  test("after a secret rotation, events signed with the previous secret are taken only while it is configured", async () => {
    const stream = streamName();
    const subject = `${stream}.events.order.created`;
    const rotated = await NatsBus.connect(configFor(stream, NATS_URL, { EVENT_SIGNING_SECRET_PREVIOUS: OLD_SECRET }), "test");
    buses.push(rotated);
    streams.push(stream);
    const old = event("order.created");
    const body = JSON.stringify(old);
    await publishRaw(subject, body, old.id, signEvent({ current: OLD_SECRET }, subject, old.id, new TextEncoder().encode(body)));
    const applied: string[] = [];
    rotated.consume("customers", ["order.created"], async (e) => void applied.push(e.id));
    await rotated.start();
    await eventually(async () => applied.length === 1, "the event signed before the rotation");
    expect(applied).toEqual([old.id]);

    // Without the previous secret, another service refuses the same message.
    const strict = await bus(stream);
    const other: string[] = [];
    strict.consume("products", ["order.created"], async (e) => void other.push(e.id));
    await strict.start();
    await eventually(async () => strict.rejectedEvents === 1, "the refusal");
    expect(other).toEqual([]);
  });

  test("an event over the server's max_payload is refused with a distinct error, before it is sent", async () => {
    const b = await bus(streamName());
    const big = { ...event("order.created"), payload: { note: "x".repeat(1_100_000) } };
    await expect(b.publish(big)).rejects.toBeInstanceOf(EventRefusedError);
    await expect(b.publish(big)).rejects.toThrow(/max_payload of 1048576 bytes/);
  });

  test("stream settings the server refuses stop the start with a message naming the stream and the setting", async () => {
    const stream = streamName();
    streams.push(stream);
    // A single server cannot keep three replicas: without the check this retried forever.
    await expect(NatsBus.connect(configFor(stream, NATS_URL, { NATS_REPLICAS: "3" }), "test")).rejects.toThrow(
      new RegExp(`stream ${stream}.*NATS_REPLICAS`),
    );
  });

  test("a failed delivery's pause doubles from half a second and stays bounded", () => {
    expect([1, 2, 3, 4].map(nakDelayMs)).toEqual([500, 1000, 2000, 4000]);
    expect(nakDelayMs(50)).toBe(30_000);
  });
});

describe("natsConfig", () => {
  const base = { NATS_URL, INTERNAL_SIGNING_SECRET: SECRET };
  test("a duplicate window longer than the maximum age is refused, naming both", () => {
    expect(() => natsConfig({ ...base, NATS_DUPLICATE_WINDOW_SECONDS: "7200", NATS_MAX_AGE_HOURS: "1" })).toThrow(ConfigError);
    expect(() => natsConfig({ ...base, NATS_DUPLICATE_WINDOW_SECONDS: "7200", NATS_MAX_AGE_HOURS: "1" })).toThrow(/NATS_DUPLICATE_WINDOW_SECONDS.*NATS_MAX_AGE_HOURS/);
    expect(natsConfig({ ...base, NATS_DUPLICATE_WINDOW_SECONDS: "3600", NATS_MAX_AGE_HOURS: "1" })!.duplicateWindowMs).toBe(3_600_000);
    // No age limit: any window.
    expect(natsConfig({ ...base, NATS_DUPLICATE_WINDOW_SECONDS: "7200", NATS_MAX_AGE_HOURS: "0" })!.maxAgeMs).toBe(0);
  });

  test("the bus needs the signing secret, a valid previous one and a valid replica count", () => {
    expect(() => natsConfig({ NATS_URL })).toThrow(/INTERNAL_SIGNING_SECRET/);
    expect(() => natsConfig({ ...base, EVENT_SIGNING_SECRET_PREVIOUS: "short" })).toThrow(/EVENT_SIGNING_SECRET_PREVIOUS/);
    expect(() => natsConfig({ ...base, NATS_REPLICAS: "0" })).toThrow(/NATS_REPLICAS/);
    expect(natsConfig({ ...base, NATS_REPLICAS: "3" })!.replicas).toBe(3);
  });
});

const withNatsServer = NATS_SERVER_BIN ? describe : describe.skip;

withNatsServer("NatsBus across a NATS server restart", () => {
  let server: PrivateNats;
  beforeAll(async () => {
    server = await privateNats();
  });
  afterAll(async () => {
    await server?.destroy();
  });

  test("the consumer resumes after the server comes back, and readiness says why it is down meanwhile", async () => {
    const b = await NatsBus.connect(configFor("restart", server.url), "test");
    try {
      const seen: string[] = [];
      b.consume("customers", ["order.created"], async (e) => void seen.push(e.id));
      await b.start();
      const before = event("order.created");
      await b.publish(before);
      await eventually(async () => seen.length === 1, "the first event");
      expect(b.notReadyReason()).toBeUndefined();

      await server.stop();
      await eventually(async () => b.notReadyReason() === "NATS disconnected", "the bus to notice");
      await expect(b.publish(event("order.created"))).rejects.toThrow();

      await server.start();
      await eventually(async () => b.notReadyReason() === undefined, "the bus to reconnect");
      const after = event("order.created");
      await eventually(async () => b.publish(after).then(() => true, () => false), "a publish to be taken");
      await eventually(async () => seen.includes(after.id), "the event published after the restart");
      expect(seen).toEqual([before.id, after.id]);
    } finally {
      await b.close();
    }
  });
});
