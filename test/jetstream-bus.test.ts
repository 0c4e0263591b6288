import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { v7 as uuidv7 } from "uuid";
import type { HubEvent } from "../subgraphs/kernel/events";
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
const configFor = (stream: string, url = NATS_URL): NatsConfig => natsConfig({ NATS_URL: url, NATS_STREAM: stream })!;

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

  test("a failed delivery's pause doubles from half a second and stays bounded", () => {
    expect([1, 2, 3, 4].map(nakDelayMs)).toEqual([500, 1000, 2000, 4000]);
    expect(nakDelayMs(50)).toBe(30_000);
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
