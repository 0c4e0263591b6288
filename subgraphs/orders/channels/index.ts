import type { ChannelAdapter } from "./canonical";
import { douyinAdapter } from "./douyin";
import { jdAdapter } from "./jd";
import { posAdapter } from "./pos";
import { taobaoAdapter } from "./taobao";
import { webAdapter } from "./web";

export type AdapterKey = "taobao" | "jd" | "douyin" | "web" | "pos";

/**
 * One adapter per channel, keyed by the lower-case channel name (Channel.TAOBAO -> "taobao").
 * Each is pure: native payload + context in, canonical events out, or BAD_USER_INPUT naming
 * the offending field path. Formats: test/fixtures/webhooks/FORMATS.md.
 */
export const ADAPTERS: Record<AdapterKey, ChannelAdapter> = {
  taobao: taobaoAdapter,
  jd: jdAdapter,
  douyin: douyinAdapter,
  web: webAdapter,
  pos: posAdapter,
};

/**
 * The adapter of a channel by its name, or undefined for any other name. A plain
 * `ADAPTERS[name]` would also find what every object inherits ("constructor",
 * "__proto__", "toString") and call it as an adapter.
 */
export function adapterFor(name: string): ChannelAdapter | undefined {
  return Object.hasOwn(ADAPTERS, name) ? ADAPTERS[name as AdapterKey] : undefined;
}

export * from "./canonical";
export { toUtcIso, fromUnixSeconds, assertZone } from "./time";
