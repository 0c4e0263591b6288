import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { IsNull, type DataSource } from "typeorm";
import { SUBGRAPHS } from "../gateway/subgraph-list";
import { dropDatabases, inTransaction, openDatabase } from "../subgraphs/kernel/database";
import { appendEvent, EVENT_ENTITIES, OutboxEvent, OutboxRelay } from "../subgraphs/kernel/events";
import { natsConfig, NatsBus } from "../subgraphs/kernel/jetstream-bus";
import { createLogger, log, useLogger } from "../subgraphs/kernel/logging";
import { deleteStream, eventually, NATS_URL } from "./support/services";

/**
 * An event the NATS server will never take (over its max_payload) holds up only its own
 * aggregate, stays in the outbox, and is reported once, not on every pass of the relay.
 * Real NATS, the real relay, MariaDB with MYSQL_URL, else SQLite.
 */

jest.setTimeout(60_000);
const MYSQL_URL = process.env.MYSQL_URL;
const TYPE = "order.created";

test("an event the bus refuses waits in the outbox with its aggregate, is logged once, and others go on", async () => {
  const tag = `${process.pid}_${Math.floor(Math.random() * 1e6)}`;
  const prefix = `oht_refused_${tag}`;
  const stream = `ohr_${tag}`;
  const dataDir = mkdtempSync(path.join(tmpdir(), "orderhub-refused-"));
  const lines: Array<Record<string, any>> = [];
  const previous = log();
  useLogger(createLogger({ LOG_LEVEL: "info" }, { write: (chunk: string) => void chunk.split("\n").filter(Boolean).forEach((l) => lines.push(JSON.parse(l))) }));
  let ds: DataSource | undefined;
  let bus: NatsBus | undefined;
  let relay: OutboxRelay | undefined;
  try {
    ds = await openDatabase({ service: "orders", mysqlUrl: MYSQL_URL, dbNamePrefix: prefix, dataDir, entities: [...SUBGRAPHS.orders.entities, ...EVENT_ENTITIES], migrations: SUBGRAPHS.orders.migrations });
    bus = await NatsBus.connect(natsConfig({ NATS_URL, NATS_STREAM: stream, INTERNAL_SIGNING_SECRET: "relay-refusal-test-secret-0123456789abcdef" })!, "test");
    const seen: string[] = [];
    bus.consume("customers", [TYPE], async (e) => void seen.push(e.aggregateId));
    await bus.start();
    const append = (aggregateId: string, payload: Record<string, unknown>) => inTransaction(ds!, (em) => appendEvent(em, { aggregateId, type: TYPE, source: "test", payload }));
    await append("gid://orderhub/Order/big", { note: "x".repeat(1_100_000) });
    await append("gid://orderhub/Order/big", { after: "the big one" });
    await append("gid://orderhub/Order/small", { n: 1 });

    relay = new OutboxRelay(ds, bus, 60_000, 15_000);
    relay.start();
    for (let pass = 0; pass < 5; pass++) await relay.poke();
    await eventually(async () => seen.length === 1, "the other aggregate's event");

    expect(seen).toEqual(["gid://orderhub/Order/small"]);
    // Both of the refused aggregate's events wait, in order, for an operator.
    const waiting = await ds.getRepository(OutboxEvent).find({ where: { publishedAt: IsNull() }, order: { sequence: "ASC" } });
    expect(waiting.map((r) => [r.aggregateId, r.sequence])).toEqual([["gid://orderhub/Order/big", 1], ["gid://orderhub/Order/big", 2]]);
    const refusals = lines.filter((l) => l.msg === "the bus refuses this event; its aggregate waits");
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toMatchObject({ level: "error", eventId: waiting[0].id, aggregateId: "gid://orderhub/Order/big" });
    expect(refusals[0].err.message).toMatch(/max_payload/);
  } finally {
    await relay?.stop();
    await bus?.close();
    await deleteStream(stream);
    if (ds?.isInitialized) await ds.destroy();
    if (MYSQL_URL) await dropDatabases(MYSQL_URL, prefix, ["orders"]);
    rmSync(dataDir, { recursive: true, force: true });
    useLogger(previous);
  }
});
