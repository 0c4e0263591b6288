import { readFileSync } from "node:fs";
import path from "node:path";

/**
 * New-order webhooks in each channel's native format (the documented examples under
 * test/fixtures/webhooks with fresh event, order and buyer ids), so load tests post what
 * real channels post. Buyer b is the same account on every order that names it.
 */

export const LOAD_CHANNELS = ["web", "jd", "taobao"] as const;
export type LoadChannel = (typeof LOAD_CHANNELS)[number];

const fixture = (name: string) => JSON.parse(readFileSync(path.join(__dirname, "..", "fixtures", "webhooks", `${name}.json`), "utf8"));

export interface ChannelOrder {
  channel: LoadChannel;
  /** The channel's order id, as orders stores it (orders.channelOrderId). */
  channelOrderId: string;
  /** The buyer's account id on the channel (channel_identities.channelCustomerId). */
  buyerId: string;
  payload: unknown;
}

/** Order i of a run: channel i mod 3, buyer i mod `buyers`. `tag` keeps runs apart. */
export function channelOrder(tag: string, i: number, buyers: number): ChannelOrder {
  const channel = LOAD_CHANNELS[i % LOAD_CHANNELS.length];
  const b = i % buyers;
  // Digits only: JD and Taobao ids are numeric strings.
  const orderId = `9${tag}${String(i).padStart(6, "0")}`;
  if (channel === "web") {
    const p = fixture("web");
    const buyerId = `web-${tag}-${b}`;
    p.eventId = `web-evt-${tag}-${i}`;
    p.order.channelOrderId = orderId;
    // A distinct name and phone per buyer, so no two buyers are taken for one person.
    p.order.buyer = { ...p.order.buyer, channelCustomerId: buyerId, name: `买家${tag}${b}`, phone: `+86 139${String(Number(tag) % 1e4).padStart(4, "0")}${String(b).padStart(4, "0")}`, deviceFingerprint: `fp_${tag}_${b}` };
    p.payment.transactionId = `tx${tag}${i}`;
    return { channel, channelOrderId: orderId, buyerId, payload: p };
  }
  if (channel === "jd") {
    const p = fixture("jd");
    const buyerId = `jd_${tag}_${b}`;
    p.msgId = `jd-msg-${tag}-${i}`;
    p.order.orderId = orderId;
    p.order.pin = buyerId;
    return { channel, channelOrderId: orderId, buyerId, payload: p };
  }
  const p = fixture("taobao");
  const buyerId = `tb-${tag}-${b}`;
  p.event_id = `tmc-${tag}-${i}`;
  p.trade.tid = orderId;
  p.trade.buyer_open_uid = buyerId;
  return { channel, channelOrderId: orderId, buyerId, payload: p };
}
