import { runLoad, type LoadSummary } from "./load";
import type { GatewayJob } from "./requests";
import { formatRss } from "./rss";
import type { BenchTarget } from "./targets";

/**
 * Memory under sustained load: the storefront query through our gateway for `seconds`,
 * in slices of `sliceSeconds`, with each process's resident memory read after every
 * slice. A process whose memory keeps growing in the second half of the run leaks
 * (caches without a bound, listeners, per-request state kept alive), even when its
 * figure is still under its limit.
 */

export interface SoakSettings {
  seconds: number;
  sliceSeconds: number;
}

/** Resident memory limits in MB: the one-process hub as a whole, and each process of the services. */
export const RSS_LIMIT_MB = { oneProcessHub: 400, perService: 200 } as const;

/** Growth over the second half of the run that counts as growth (RSS moves a few MB with GC timing). */
const GROWTH_TOLERANCE_MB = 10;

export interface SoakSample {
  atSeconds: number;
  rssMb: Record<string, number>;
}

export interface SoakResult {
  samples: SoakSample[];
  requests: number;
  problems: string[];
}

export async function soakPhase(hub: BenchTarget, job: GatewayJob, settings: SoakSettings): Promise<SoakResult> {
  const samples: SoakSample[] = [{ atSeconds: 0, rssMb: await hub.rss() }];
  const problems: string[] = [];
  let requests = 0;
  let elapsed = 0;
  while (elapsed < settings.seconds) {
    const slice = Math.min(settings.sliceSeconds, settings.seconds - elapsed);
    const summary: LoadSummary = await runLoad({ ...job, seconds: slice });
    elapsed += slice;
    requests += summary.requests;
    const bad = summary.non2xx + summary.graphqlErrors + summary.socketErrors + summary.timeouts;
    if (bad > 0) problems.push(`soak: ${bad} failed requests in the slice ending at ${elapsed} s; first: ${summary.firstProblem ?? "-"}`);
    samples.push({ atSeconds: elapsed, rssMb: await hub.rss() });
    console.log(`soak ${elapsed} s: ${summary.rps.toFixed(1)} req/s; RSS ${formatRss(samples[samples.length - 1].rssMb)}.`);
  }
  problems.push(...memoryProblems(hub.mode, samples));
  return { samples, requests, problems };
}

/** The limit of one process: the one-process hub holds all five services. */
function limitOf(mode: BenchTarget["mode"]): number {
  return mode === "one-process" ? RSS_LIMIT_MB.oneProcessHub : RSS_LIMIT_MB.perService;
}

/** Per process: its memory at the end, its peak over the second half, and its growth over the second half. */
export function memoryFigures(samples: SoakSample[]): Array<{ process: string; endMb: number; peakLateMb: number; growthLateMb: number }> {
  if (samples.length < 2) return [];
  const end = samples[samples.length - 1];
  const halfway = samples.find((s) => s.atSeconds >= end.atSeconds / 2) ?? samples[0];
  const late = samples.filter((s) => s.atSeconds >= halfway.atSeconds);
  return Object.keys(end.rssMb).map((name) => ({
    process: name,
    endMb: end.rssMb[name],
    peakLateMb: Math.max(...late.map((s) => s.rssMb[name] ?? 0)),
    growthLateMb: end.rssMb[name] - (halfway.rssMb[name] ?? end.rssMb[name]),
  }));
}

function memoryProblems(mode: BenchTarget["mode"], samples: SoakSample[]): string[] {
  const limit = limitOf(mode);
  return memoryFigures(samples).flatMap((f) => [
    ...(f.peakLateMb > limit ? [`soak: ${f.process} reached ${f.peakLateMb.toFixed(0)} MB RSS, over its ${limit} MB`] : []),
    ...(f.growthLateMb > GROWTH_TOLERANCE_MB ? [`soak: ${f.process} grew by ${f.growthLateMb.toFixed(0)} MB over the second half of the run`] : []),
  ]);
}

export function printSoak(mode: BenchTarget["mode"], result: SoakResult): void {
  const end = result.samples[result.samples.length - 1];
  const limit = limitOf(mode);
  console.log(`\nMemory after ${end.atSeconds} s of storefront load (${mode}; ${result.requests} requests; limit ${limit} MB per process, growth tolerance ${GROWTH_TOLERANCE_MB} MB):`);
  for (const f of memoryFigures(result.samples)) {
    const verdict = f.peakLateMb <= limit && f.growthLateMb <= GROWTH_TOLERANCE_MB ? "ok" : "OVER";
    console.log(
      `  ${f.process.padEnd(10)} end ${f.endMb.toFixed(0).padStart(4)} MB, peak in the second half ${f.peakLateMb.toFixed(0).padStart(4)} MB, ` +
        `growth over the second half ${f.growthLateMb >= 0 ? "+" : ""}${f.growthLateMb.toFixed(0)} MB  ${verdict}`,
    );
  }
}
