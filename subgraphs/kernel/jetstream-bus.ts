import { connect } from "@nats-io/transport-node";
import { headers } from "@nats-io/nats-core";
import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  jetstream,
  jetstreamManager,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from "@nats-io/jetstream";
import { bool, ConfigError, int, optional } from "./config";
import { eventSigningKeys, EVENT_SIGNATURE_HEADER, signEvent, verifyEvent, type EventSigningKeys } from "./event-signature";
import { EventRefusedError, type Deliver, type EventBus, type HubEvent } from "./events";
import { log as processLog } from "./logging";

type Env = Record<string, string | undefined>;
type NatsConnection = Awaited<ReturnType<typeof connect>>;

/** How the hub reaches NATS JetStream; absent when NATS_URL is unset (the in-process bus). */
export interface NatsConfig {
  servers: string[];
  /** A tls:// server: the connection must be TLS (the server's certificate checked against the system CAs). */
  tls: boolean;
  /** NATS_USER + NATS_PASSWORD, or NATS_TOKEN; none when the server asks for no credentials. */
  user?: string;
  pass?: string;
  token?: string;
  /** Names the stream and prefixes every durable consumer, so two hubs can share one server. */
  stream: string;
  /** How long JetStream remembers a message id, dropping a republished event inside it. */
  duplicateWindowMs: number;
  /** Retention limits: events older or beyond this are dropped, read or not (0 = no limit). */
  maxAgeMs: number;
  maxBytes: number;
  /** Copies of the stream JetStream keeps (1 on a single server; 3 on a 3-node cluster survives losing one). */
  replicas: number;
  /** Signs what this service publishes and checks what it consumes. */
  signing: EventSigningKeys;
  /**
   * How long JetStream waits for word from a delivery before handing the event out again.
   * A running delivery extends it (working()), so it bounds only how long a crashed
   * process holds its event, and with one event in flight per service, how long that
   * service's whole stream waits after a crash: short, not minutes.
   */
  ackWaitMs: number;
  /** One line per handled event (service, type, id, stream sequence), to see which instance took what. */
  logDeliveries: boolean;
}

const STREAM_NAME = /^[A-Za-z0-9_-]{1,48}$/;
const HOUR_MS = 3_600_000;

/** NATS_URL (one URL or several, comma-separated) and the stream settings; undefined without NATS_URL. */
export function natsConfig(env: Env): NatsConfig | undefined {
  const raw = optional(env, "NATS_URL");
  if (!raw) return undefined;
  const servers = raw.split(",").map((s) => s.trim()).filter(Boolean);
  for (const s of servers) {
    let u: URL;
    try {
      u = new URL(s);
    } catch {
      throw new ConfigError(`NATS_URL contains "${s.slice(0, 80)}", which is not a URL (nats://host:4222).`);
    }
    if (!["nats:", "tls:"].includes(u.protocol)) throw new ConfigError(`NATS_URL must use nats:// or tls://, got ${u.protocol}`);
  }
  const user = optional(env, "NATS_USER");
  const pass = optional(env, "NATS_PASSWORD");
  const token = optional(env, "NATS_TOKEN");
  if (!!user !== !!pass) throw new ConfigError("Set both NATS_USER and NATS_PASSWORD, or neither.");
  if (user && token) throw new ConfigError("Set NATS_USER and NATS_PASSWORD, or NATS_TOKEN, not both.");
  if (servers.some((s) => /@/.test(s))) throw new ConfigError("NATS_URL must not carry credentials: set NATS_USER and NATS_PASSWORD, or NATS_TOKEN.");
  const stream = optional(env, "NATS_STREAM") ?? "orderhub";
  // It becomes a subject token and part of durable names: no dots, wildcards or spaces.
  if (!STREAM_NAME.test(stream)) throw new ConfigError(`NATS_STREAM="${stream.slice(0, 60)}" is invalid: use 1 to 48 letters, digits, _ or -.`);
  const duplicateWindowSeconds = int(env, "NATS_DUPLICATE_WINDOW_SECONDS", 600, 1, 7 * 24 * 3600);
  const maxAgeHours = int(env, "NATS_MAX_AGE_HOURS", 7 * 24, 0, 10 * 365 * 24);
  // JetStream refuses a stream whose duplicate window outlasts its messages.
  if (maxAgeHours > 0 && duplicateWindowSeconds > maxAgeHours * 3600) {
    throw new ConfigError(`NATS_DUPLICATE_WINDOW_SECONDS=${duplicateWindowSeconds} is longer than NATS_MAX_AGE_HOURS=${maxAgeHours}: the duplicate window must not exceed the maximum age.`);
  }
  return {
    servers,
    tls: servers.some((s) => s.startsWith("tls:")),
    user,
    pass,
    token,
    stream,
    duplicateWindowMs: duplicateWindowSeconds * 1000,
    maxAgeMs: maxAgeHours * HOUR_MS,
    maxBytes: int(env, "NATS_MAX_BYTES", 0, 0, Number.MAX_SAFE_INTEGER),
    replicas: int(env, "NATS_REPLICAS", 1, 1, 5),
    signing: eventSigningKeys(env),
    ackWaitMs: int(env, "NATS_ACK_WAIT_MS", 5_000, 1000, 3_600_000),
    logDeliveries: bool(env, "NATS_LOG_DELIVERIES", false),
  };
}

const nanos = (ms: number) => ms * 1_000_000;
/** Events one pull asks for; the consumer still hands out one at a time (max_ack_pending 1). */
const PULL_BATCH = 64;

/** A failed delivery comes back after this long: doubling from half a second, at most half a minute. */
export function nakDelayMs(deliveryCount: number): number {
  return Math.min(500 * 2 ** Math.max(0, deliveryCount - 1), 30_000);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

interface Registered {
  service: string;
  types: readonly string[];
  deliver: Deliver;
}

/**
 * The event bus across processes, on NATS JetStream. One stream holds every event
 * (`<stream>.events.<type>`); each service reads it through its own durable pull consumer
 * (`<stream>_<service>`), which every instance of that service shares, so an event is
 * handled by one instance. With one unacknowledged event at a time, a service sees the
 * events in stream order, also when one is delivered again after a failure.
 */
export class NatsBus implements EventBus {
  private readonly consumers: Registered[] = [];
  /** Durable consumers this bus has made sure of once: one missing later was deleted under us. */
  private readonly ensured = new Set<string>();
  private readonly loops: Promise<void>[] = [];
  private readonly active = new Set<ConsumerMessages>();
  private started = false;
  private closing = false;
  private connected = false;
  /** Resolves when close() begins: wakes a consume loop pausing before it resumes. */
  private closed!: () => void;
  private readonly closedSignal = new Promise<void>((resolve) => (this.closed = resolve));
  // Set once connected and the stream exists (see open()).
  private nc?: NatsConnection;
  private jsm?: JetStreamManager;
  private js?: JetStreamClient;
  /**
   * Resolves once the bus is connected and its stream exists; rejects only on a setting
   * that no retry can fix (a ConfigError), which should stop the service.
   */
  readonly ready: Promise<void>;

  private constructor(
    readonly config: NatsConfig,
    name: string,
    log: (line: string, level?: "warn" | "error") => void,
  ) {
    this.ready = this.establish(name, log);
    // Whoever waits on it sees the rejection; this keeps an unawaited one from crashing the process.
    this.ready.catch(() => undefined);
  }

  /**
   * The bus at once, connecting in the background: a service starts (database, HTTP,
   * outbox) even while NATS is unreachable. Until connected, publish() fails (the relay
   * keeps the events in the outbox and tries again), notReadyReason() says
   * "NATS disconnected", and consumers start once the stream is there.
   */
  static open(config: NatsConfig, name: string, log: (line: string, level?: "warn" | "error") => void = defaultLog): NatsBus {
    return new NatsBus(config, name, log);
  }

  /** Connects (waiting for the server if it is not up yet, and reconnecting forever after) and ensures the stream. */
  static async connect(config: NatsConfig, name: string, log: (line: string, level?: "warn" | "error") => void = defaultLog): Promise<NatsBus> {
    const bus = new NatsBus(config, name, log);
    await bus.ready;
    return bus;
  }

  private async establish(name: string, log: (line: string, level?: "warn" | "error") => void): Promise<void> {
    const config = this.config;
    const nc = await connect({
      servers: config.servers,
      ...(config.tls ? { tls: {} } : {}),
      ...(config.user ? { user: config.user, pass: config.pass } : {}),
      ...(config.token ? { token: config.token } : {}),
      name,
      waitOnFirstConnect: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 1000,
    });
    if (this.closing) {
      await nc.close().catch(() => undefined);
      return;
    }
    this.nc = nc;
    this.connected = true;
    void this.watchStatus(nc);
    let jsm: JetStreamManager | undefined;
    for (let attempt = 1; !this.closing; attempt++) {
      try {
        jsm ??= await jetstreamManager(nc);
        await ensureStream(jsm, config);
        break;
      } catch (err) {
        if (err instanceof ConfigError) {
          log(`[nats] ${err.message}`, "error");
          await nc.close().catch(() => undefined);
          throw err;
        }
        const message = (err as Error).message;
        // A server started without -js answers, but has no JetStream: say so plainly, it will not fix itself.
        if (/jetstream not enabled|jetstream is not enabled|no responders|503/i.test(message)) {
          log(`[nats] the NATS server at ${config.servers.join(",")} has no JetStream (${message}): start nats-server with -js (JetStream enabled). Events wait in the outbox meanwhile; retrying`, "error");
        } else {
          // JetStream not answering yet (server starting, cluster electing): wait, like the connection does.
          log(`[nats] stream ${config.stream} not ready (${message}); retrying`);
        }
        await Promise.race([sleep(Math.min(1000 * attempt, 5000)), this.closedSignal]);
      }
    }
    if (this.closing || !jsm) return;
    this.jsm = jsm;
    this.js = jetstream(nc);
  }

  private async watchStatus(nc: NatsConnection) {
    for await (const s of nc.status()) {
      if (s.type === "disconnect") this.connected = false;
      if (s.type === "reconnect") this.connected = true;
    }
  }

  /** Why the bus cannot carry events now, or undefined when it can. */
  notReadyReason(): string | undefined {
    if (!this.nc || !this.connected) return "NATS disconnected";
    if (this.nc.isClosed()) return "NATS connection closed";
    if (!this.js) return "NATS stream not ready";
    return undefined;
  }

  subject(type: string): string {
    return `${this.config.stream}.events.${type}`;
  }

  durableName(service: string): string {
    return `${this.config.stream}_${service}`;
  }

  /** Events of the stream this service's durable consumer has not acknowledged yet (pending and in flight): its lag, for /metrics. */
  async consumerLag(service: string): Promise<number> {
    if (!this.jsm) throw new Error("NATS is not connected yet");
    const info = await this.jsm.consumers.info(this.config.stream, this.durableName(service));
    return info.num_pending + info.num_ack_pending;
  }

  /** Events this bus refused to deliver because their signature or subject did not hold. */
  rejectedEvents = 0;

  async publish(event: HubEvent): Promise<void> {
    const subject = this.subject(event.type);
    const body = new TextEncoder().encode(JSON.stringify(event));
    // The event id as message id: a republished event (the relay crashed before marking
    // it) is dropped by JetStream within the duplicate window, and ignored by consumers after it.
    // Not connected yet: the event stays unpublished in the outbox and the relay tries again.
    if (!this.js || !this.nc) throw new Error("NATS is not connected yet");
    const h = headers();
    h.set("Nats-Msg-Id", event.id);
    h.set(EVENT_SIGNATURE_HEADER, signEvent(this.config.signing, subject, event.id, body));
    // The server would refuse it on every attempt: say so distinctly, so the relay reports it once.
    const maxPayload = this.nc.info?.max_payload;
    // The server counts the header block too (the client encodes it exactly so when it sends).
    const size = body.length + (h as unknown as { encode(): Uint8Array }).encode().length;
    if (maxPayload && size > maxPayload) {
      throw new EventRefusedError(event, `event ${event.id} (${event.type}) is ${size} bytes, over the NATS server's max_payload of ${maxPayload} bytes`);
    }
    await this.js.publish(subject, body, { msgID: event.id, headers: h });
  }

  consume(service: string, types: readonly string[], deliver: Deliver): void {
    const registered = { service, types, deliver };
    this.consumers.push(registered);
    if (this.started) this.loops.push(this.whenReady().then((ok) => (ok ? this.run(registered) : undefined)));
  }

  /** True once connected and the stream exists; false if the bus closes first or cannot be set up. */
  private whenReady(): Promise<boolean> {
    return Promise.race([this.ready.then(() => !this.closing, () => false), this.closedSignal.then(() => false)]);
  }

  /** Starts the consumers once the bus is connected, in the background: start-up does not wait for NATS. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    // Each loop ensures its consumer first, and retries until it can.
    for (const c of this.consumers) this.loops.push(this.whenReady().then((ok) => (ok ? this.run(c) : undefined)));
  }

  /** Stops taking events, lets the deliveries under way finish and be acknowledged, then drains the connection. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.closed();
    await Promise.all([...this.active].map((m) => m.close().catch(() => undefined)));
    await Promise.all(this.loops);
    const nc = this.nc;
    // Still connecting: establish() closes the connection if it comes.
    if (!nc || nc.isClosed()) return;
    // Draining flushes what is still on the way (the last acks); with the server gone it cannot, so it is bounded.
    const drained = nc.drain().catch(() => undefined);
    const gaveUp = new Promise<void>((resolve) => setTimeout(resolve, 5000).unref());
    await Promise.race([drained, gaveUp]);
    if (!nc.isClosed()) await nc.close().catch(() => undefined);
  }

  private async ensureConsumer(service: string): Promise<void> {
    const durable = this.durableName(service);
    if (!this.jsm) throw new Error("NATS is not connected yet");
    const wanted = {
      ack_policy: AckPolicy.Explicit,
      // One event in flight per service: stream order, also across redeliveries.
      max_ack_pending: 1,
      ack_wait: nanos(this.config.ackWaitMs),
      max_deliver: -1,
    };
    try {
      await this.jsm.consumers.info(this.config.stream, durable);
      await this.jsm.consumers.update(this.config.stream, durable, wanted);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      const jsm = this.jsm;
      const add = () =>
        jsm.consumers.add(this.config.stream, {
          ...wanted,
          durable_name: durable,
          deliver_policy: DeliverPolicy.All,
          // One filter: servers before 2.10 have no multi-filter consumers; other types are acked unseen.
          filter_subject: `${this.config.stream}.events.>`,
        });
      try {
        await add();
      } catch (addErr) {
        if (addErr instanceof JetStreamApiError && addErr.code === STREAM_NOT_FOUND) {
          // The stream was deleted too (with its consumers): made again first.
          await ensureStream(jsm, this.config);
          await add();
        } else {
          // Another instance of the service created it first.
          await jsm.consumers.info(this.config.stream, durable).catch(() => Promise.reject(addErr));
        }
      }
      if (this.ensured.has(durable)) {
        // Deleted while running: the new consumer starts from the stream's first event, and
        // the service passes by those it applied, one at a time. Worth knowing why it lags.
        const replay = await jsm.consumers.info(this.config.stream, durable).then((i) => i.num_pending, () => undefined);
        processLog().warn({ component: "nats", consumer: durable, replay }, "durable consumer was deleted and is made again; it replays the stream from the start (applied events are passed by)");
      }
    }
    this.ensured.add(durable);
  }

  /** Pulls forever: a lost connection, a deleted consumer or a server restart only pauses it. */
  private async run(c: Registered): Promise<void> {
    const durable = this.durableName(c.service);
    let pause = 500;
    while (!this.closing) {
      let messages: ConsumerMessages | undefined;
      try {
        await this.ensureConsumer(c.service);
        if (this.closing) break;
        const consumer = await this.js!.consumers.get(this.config.stream, durable);
        // One event in flight (max_ack_pending), but one open pull for many: not a pull
        // request per event.
        // abort_on_missing_resource: a deleted consumer ends this pull, and the loop makes it
        // again (the client would otherwise wait for someone else to).
        messages = await consumer.consume({ max_messages: PULL_BATCH, abort_on_missing_resource: true });
        this.active.add(messages);
        if (this.closing) await messages.close();
        pause = 500;
        for await (const m of messages) {
          await this.handle(c, m);
          if (this.closing) break;
        }
      } catch (err) {
        if (!this.closing) processLog().warn({ component: "nats", consumer: durable, err }, "consumer interrupted; resuming");
      } finally {
        if (messages) {
          this.active.delete(messages);
          await messages.close().catch(() => undefined);
        }
      }
      if (!this.closing) {
        await Promise.race([sleep(pause), this.closedSignal]);
        pause = Math.min(pause * 2, 10_000);
      }
    }
  }

  private async handle(c: Registered, m: JsMsg): Promise<void> {
    // Only what a service signed is applied: anyone else able to publish on the subjects
    // could otherwise write facts (merges, orders) into every consumer's database.
    const msgId = m.headers?.get("Nats-Msg-Id") ?? "";
    if (!verifyEvent(this.config.signing, m.subject, msgId, m.data, m.headers?.get(EVENT_SIGNATURE_HEADER))) {
      this.reject(m, "event signature missing or invalid");
      return;
    }
    let event: HubEvent;
    try {
      event = JSON.parse(new TextDecoder().decode(m.data)) as HubEvent;
    } catch {
      processLog().error({ component: "nats", subject: m.subject, seq: m.seq }, "not an event; dropped");
      m.term();
      return;
    }
    if (typeof event?.type !== "string" || m.subject !== this.subject(event.type) || event.id !== msgId) {
      this.reject(m, "event type or id does not match its subject or message id");
      return;
    }
    if (!c.types.includes(event.type)) {
      await this.ack(m);
      return;
    }
    // A long delivery tells JetStream it is still at work, so the event is not handed to another instance meanwhile.
    const keepAlive = setInterval(() => m.working(), Math.max(500, this.config.ackWaitMs / 3));
    try {
      await c.deliver(event);
    } catch (err) {
      const delay = nakDelayMs(m.info.deliveryCount);
      processLog().warn({ component: "nats", consumer: c.service, eventId: event.id, type: event.type, delivery: m.info.deliveryCount, retryInMs: delay, err }, "delivery failed; delivered again later");
      m.nak(delay);
      return;
    } finally {
      clearInterval(keepAlive);
    }
    // Acknowledged only once its transaction committed. Not waiting for the server to
    // confirm: an ack lost on the way means one more delivery, which the processed mark
    // turns into a no-op, and the next event comes only once the server has the ack.
    await this.ack(m);
    if (this.config.logDeliveries) processLog().info({ component: "nats", consumer: c.service, type: event.type, id: event.id, seq: m.seq }, "event handled");
  }


  /**
   * While running, without waiting for the server's confirmation; while closing, with it,
   * so a closed bus has nothing left unacknowledged (the server settles acks apart from
   * receiving them). An ack that cannot be sent (connection closed) only means a no-op
   * redelivery.
   */
  private async ack(m: JsMsg): Promise<void> {
    try {
      if (this.closing) await m.ackAck();
      else m.ack();
    } catch {
      // redelivered later, and then a no-op
    }
  }

  /** Terminates a message that is not a genuine event: never applied, never delivered again. */
  private reject(m: JsMsg, reason: string): void {
    this.rejectedEvents++;
    // Subject and sequence only: the payload is untrusted and may be large or hostile.
    processLog().error({ component: "nats", subject: m.subject, seq: m.seq, reason }, "event refused; terminated");
    m.term();
  }
}

function defaultLog(line: string, level: "warn" | "error" = "warn") {
  processLog()[level]({ component: "nats" }, line);
}

function isNotFound(err: unknown): boolean {
  return err instanceof JetStreamApiError && (err.code === 404 || /not found/i.test(err.message));
}

/** JetStream's "stream not found" error code. */
const STREAM_NOT_FOUND = 10059;
/** JetStream API errors that pass by themselves (a cluster electing, peers not up yet); any other is a refusal of our settings. */
const TRANSIENT_API_ERRORS = new Set([10008 /* temporarily unavailable */, 10023 /* insufficient resources */]);

/** What to check when JetStream refuses the stream's settings, by its error code. */
function refusedSetting(code: number): string {
  if (code === 10052) return "NATS_DUPLICATE_WINDOW_SECONDS and NATS_MAX_AGE_HOURS";
  if (code === 10074) return "NATS_REPLICAS (a single server takes 1)";
  return "NATS_DUPLICATE_WINDOW_SECONDS, NATS_MAX_AGE_HOURS, NATS_MAX_BYTES and NATS_REPLICAS";
}

async function ensureStream(jsm: JetStreamManager, config: NatsConfig): Promise<void> {
  try {
    await createOrUpdateStream(jsm, config);
  } catch (err) {
    // A refusal comes back the same on every try: stop with it instead of retrying forever.
    if (err instanceof JetStreamApiError && !TRANSIENT_API_ERRORS.has(err.code)) {
      throw new ConfigError(`NATS refused the settings of stream ${config.stream}: ${err.message} (JetStream error ${err.code}). Check ${refusedSetting(err.code)}.`);
    }
    throw err;
  }
}

async function createOrUpdateStream(jsm: JetStreamManager, config: NatsConfig): Promise<void> {
  const settings = {
    num_replicas: config.replicas,
    subjects: [`${config.stream}.events.>`],
    duplicate_window: nanos(config.duplicateWindowMs),
    max_age: nanos(config.maxAgeMs),
    max_bytes: config.maxBytes > 0 ? config.maxBytes : -1,
  };
  try {
    const info = await jsm.streams.info(config.stream);
    if (info.config.storage !== StorageType.File) throw new ConfigError(`NATS stream ${config.stream} exists with memory storage; events would not survive a server restart. Delete it or set NATS_STREAM to another name.`);
    await jsm.streams.update(config.stream, settings);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await jsm.streams.add({
      name: config.stream,
      ...settings,
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
    });
  }
}
