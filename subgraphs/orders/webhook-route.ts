import { GraphQLError } from "graphql";
import { ConfigError } from "../kernel/config";
import { httpStatusOf, type HubErrorCode } from "../kernel/error-codes";
import { withErrorCode } from "../kernel/errors";
import { errorBody } from "../kernel/http";
import { LARGE_TEXT_BYTES } from "../kernel/large-text";
import { Channel } from "../kernel/types";
import type { InternalRoute, SubgraphRuntime } from "../kernel/subgraph";
import { adapterFor } from "./channels";
import { assertZone } from "./channels/time";
import { receiveChannelEvents } from "./channel-events";

export const CHANNEL_EVENTS_PATH = "/internal/channel-events/";

/**
 * Zones channels declare for times without an offset. Taobao and JD publish shop
 * times in Beijing time; POS stores send their own zone; web and Douyin send offsets
 * or unix seconds. Override with CHANNEL_TIMEZONE_<CHANNEL>.
 */
const DEFAULT_ZONES: Partial<Record<Channel, string>> = { [Channel.TAOBAO]: "Asia/Shanghai", [Channel.JD]: "Asia/Shanghai" };

export function channelZones(env: Record<string, string | undefined>): Partial<Record<Channel, string>> {
  const zones: Partial<Record<Channel, string>> = { ...DEFAULT_ZONES };
  for (const channel of Object.values(Channel)) {
    const name = `CHANNEL_TIMEZONE_${channel}`;
    const value = env[name];
    if (value === undefined) continue;
    if (value === "") {
      delete zones[channel];
      continue;
    }
    try {
      assertZone(value, name); // the same rule the adapters apply: Area/Location names only
    } catch {
      throw new ConfigError(`${name}="${value}" is not an IANA time zone such as Asia/Shanghai.`);
    }
    zones[channel] = value;
  }
  return zones;
}

/**
 * The gateway verified the channel's webhook signature and forwards the raw body here.
 * The adapter turns it into canonical events, which are applied exactly once.
 */
export function channelEventsRoute(runtime: SubgraphRuntime): InternalRoute {
  const zones = channelZones(runtime.env);
  return async ({ path, body }) => {
    const slug = path.slice(CHANNEL_EVENTS_PATH.length);
    const adapter = adapterFor(slug);
    const channel = slug.toUpperCase() as Channel;
    if (!adapter) return error(404, "NOT_FOUND", `Unknown channel "${slug.slice(0, 20)}".`);
    // The raw body is kept as sent, in a column of this size (MAX_BODY_BYTES may be set higher).
    if (Buffer.byteLength(body) > LARGE_TEXT_BYTES) return error(413, "PAYLOAD_TOO_LARGE", `The body exceeds ${LARGE_TEXT_BYTES} bytes.`);
    let payload: unknown;
    try {
      payload = JSON.parse(body);
    } catch {
      return error(400, "BAD_REQUEST", "The body is not valid JSON.");
    }
    try {
      const events = adapter(payload, { channelZone: zones[channel] });
      const results = await receiveChannelEvents(runtime.ds, channel, body, events, runtime.clock);
      void runtime.relay.poke();
      return { status: 200, body: { results } };
    } catch (err) {
      if (err instanceof GraphQLError) {
        // An error of ours: its code says the status. One without a code is a bad payload.
        const extensions = withErrorCode({ ...err.extensions, code: err.extensions.code ?? "BAD_USER_INPUT" });
        return { status: httpStatusOf(extensions.code), body: { errors: [{ message: err.message, extensions }] } };
      }
      throw err;
    }
  };
}

function error(status: number, code: HubErrorCode, message: string) {
  return { status, body: errorBody(code, message) };
}
