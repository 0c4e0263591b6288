import { cpuSeconds, cpuSecondsOf } from "./cpu";
import { runLoad, type LoadSummary } from "./load";
import type { LoadJob } from "./requests";

/**
 * Our gateway and the stock @apollo/gateway, driven with the same storefront requests over
 * the same subgraphs in alternating rounds (ours, stock, orders alone, ours, stock, …), so
 * whatever else the machine does in the meantime falls on all of them. Each round also
 * reads the CPU time the gateway's process and the subgraphs' processes used, from /proc.
 */
export interface GatewayUnderTest {
  name: string;
  job: LoadJob;
  /** The process the gateway runs in. */
  pid: number;
}

export interface GatewayRounds {
  name: string;
  /** The rounds added up: requests and errors summed, req/s = requests ÷ seconds, p50/p99 the median over rounds. */
  summary: LoadSummary;
  rounds: LoadSummary[];
  /** CPU seconds of the gateway's process over its rounds. */
  gatewayCpuSeconds: number;
  /** CPU seconds of the subgraphs' processes over this gateway's rounds. */
  subgraphCpuSeconds: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function combine(rounds: LoadSummary[]): LoadSummary {
  const sum = (pick: (s: LoadSummary) => number) => rounds.reduce((n, s) => n + pick(s), 0);
  const requests = sum((s) => s.requests);
  const seconds = sum((s) => s.seconds);
  const statusCodes: Record<string, number> = {};
  for (const r of rounds) for (const [code, n] of Object.entries(r.statusCodes)) statusCodes[code] = (statusCodes[code] ?? 0) + n;
  return {
    requests,
    seconds,
    rps: seconds > 0 ? requests / seconds : 0,
    p50: median(rounds.map((r) => r.p50)),
    p99: median(rounds.map((r) => r.p99)),
    non2xx: sum((s) => s.non2xx),
    socketErrors: sum((s) => s.socketErrors),
    timeouts: sum((s) => s.timeouts),
    graphqlErrors: sum((s) => s.graphqlErrors),
    firstProblem: rounds.find((r) => r.firstProblem)?.firstProblem,
    statusCodes,
  };
}

export async function interleavedRounds(
  gateways: GatewayUnderTest[],
  subgraphPids: number[],
  rounds: number,
  warmupSeconds: number,
  afterWarmup: () => Promise<void> = async () => undefined,
): Promise<GatewayRounds[]> {
  // Warm-up, discarded: JIT, query planning, prepared statements and the databases' caches, for each gateway.
  for (const g of gateways) await runLoad({ ...g.job, seconds: warmupSeconds });
  await afterWarmup();
  const results = gateways.map((g) => ({ name: g.name, rounds: [] as LoadSummary[], gatewayCpuSeconds: 0, subgraphCpuSeconds: 0 }));
  for (let round = 1; round <= rounds; round++) {
    for (const [i, g] of gateways.entries()) {
      const gatewayBefore = cpuSeconds(g.pid);
      const subgraphsBefore = cpuSecondsOf(subgraphPids);
      const summary = await runLoad(g.job);
      results[i].gatewayCpuSeconds += cpuSeconds(g.pid) - gatewayBefore;
      results[i].subgraphCpuSeconds += cpuSecondsOf(subgraphPids) - subgraphsBefore;
      results[i].rounds.push(summary);
      console.log(`round ${round}/${rounds}, ${g.name}: ${summary.rps.toFixed(1)} req/s, p50 ${summary.p50.toFixed(1)} ms, p99 ${summary.p99.toFixed(1)} ms.`);
    }
  }
  return results.map((r) => ({ ...r, summary: combine(r.rounds) }));
}

/** CPU milliseconds per request served. */
export function msPerRequest(cpuSecondsUsed: number, requests: number): number {
  return requests > 0 ? (cpuSecondsUsed * 1000) / requests : NaN;
}
