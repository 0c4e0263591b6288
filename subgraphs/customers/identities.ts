import type { EntityManager } from "typeorm";
import { appendEvent } from "../kernel/events";
import { badInput, conflict, notFound } from "../kernel/errors";
import { toGlobalId } from "../kernel/global-id";
import type { Channel } from "../kernel/types";
import { ChannelIdentityRow, CustomerRow, CustomerTier } from "./entities";
import { toE164 } from "./phone";

export interface IdentityInput {
  channel: Channel;
  channelCustomerId: string;
  name?: string | null;
  phone?: string | null;
  tier?: CustomerTier | null;
  /** Attach to this golden customer instead of creating one. */
  customerKey?: number | null;
}

export const IDENTITY_LINKED = "customer.identity_linked";

/** Trims and folds full-width characters, so "张三 " and "张三" are one name. */
export function cleanName(name: string | null | undefined): string | null {
  const folded = name?.normalize("NFKC").replace(/\s+/g, " ").trim();
  return folded ? folded.slice(0, 100) : null;
}

/**
 * Records a channel identity and links it to a golden customer, creating one when the
 * identity is new and no customer is named. Idempotent per (channel, channelCustomerId).
 * Emits customer.identity_linked so other subgraphs can project ownership.
 */
export async function registerIdentity(em: EntityManager, input: IdentityInput, source: string, actor: string | null) {
  const channelCustomerId = input.channelCustomerId.trim();
  if (!channelCustomerId || channelCustomerId.length > 100) {
    throw badInput("channelCustomerId must be 1 to 100 characters.", { field: "channelCustomerId" });
  }
  const phone = input.phone ? toE164(input.phone) : null;
  if (input.phone && !phone) throw badInput(`"${input.phone.slice(0, 40)}" is not a valid phone number.`, { field: "phone" });
  const name = cleanName(input.name);

  const existing = await em.findOneBy(ChannelIdentityRow, { channel: input.channel, channelCustomerId });
  if (existing) {
    if (input.customerKey && input.customerKey !== existing.customerId) {
      throw conflict(`${input.channel} customer "${channelCustomerId}" already belongs to ${toGlobalId("Customer", existing.customerId)}; merge the customers instead.`);
    }
    await em.update(ChannelIdentityRow, { id: existing.id }, { name: name ?? existing.name, phoneRaw: input.phone ?? existing.phoneRaw, phone: phone ?? existing.phone });
    return { identity: { ...existing, name: name ?? existing.name }, created: false };
  }

  let customerKey = input.customerKey ?? null;
  if (customerKey) {
    const customer = await em.findOneBy(CustomerRow, { id: customerKey });
    if (!customer) throw notFound(`No customer ${toGlobalId("Customer", customerKey)}.`);
    customerKey = customer.mergedIntoId ?? customer.id;
  } else {
    const created = await em.save(
      em.create(CustomerRow, {
        displayName: name ?? `${input.channel} ${channelCustomerId}`,
        phone,
        tier: input.tier ?? CustomerTier.STANDARD,
        mergedIntoId: null,
      }),
    );
    customerKey = created.id;
  }
  const identity = await em.save(
    em.create(ChannelIdentityRow, { channel: input.channel, channelCustomerId, customerId: customerKey, name, phoneRaw: input.phone ?? null, phone }),
  );
  await appendEvent(em, {
    aggregateId: toGlobalId("Customer", customerKey),
    type: IDENTITY_LINKED,
    source: source,
    actor,
    payload: { channel: input.channel, channelCustomerId, customerKey, tier: (await em.findOneByOrFail(CustomerRow, { id: customerKey })).tier },
  });
  return { identity, created: true };
}
