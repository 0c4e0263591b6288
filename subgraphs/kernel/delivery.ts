import type { DataSource } from "typeorm";
import { consumeOnce, type HubEvent, type OutboxRelay, type Subscription } from "./events";

/**
 * A service's side of the bus: hands each event to the subscriptions that take its
 * type, each at most once (consumeOnce), then pokes the service's own relay, since a
 * handler may have appended events of its own.
 */
export class ServiceConsumer {
  readonly types: readonly string[];

  constructor(
    private readonly ds: DataSource,
    readonly service: string,
    private readonly subscriptions: readonly Subscription[],
    private readonly relay?: OutboxRelay,
  ) {
    this.types = [...new Set(subscriptions.flatMap((s) => s.types))];
  }

  async deliver(event: HubEvent): Promise<void> {
    for (const sub of this.subscriptions) {
      if (!sub.types.includes(event.type)) continue;
      await consumeOnce(this.ds, sub.consumer, event, (em) => sub.apply(em, event));
    }
    void this.relay?.poke();
  }
}
