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

export * from "./canonical";
export { toUtcIso, fromUnixSeconds, assertZone } from "./time";
