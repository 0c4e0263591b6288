import type { BackgroundJob } from "./subgraph";

/**
 * A job that runs `work` every `everyMs`, one run at a time: a run still going when the
 * timer fires is not doubled, runOnce (tests, with a moved clock) queues behind it, and
 * stop() waits for the run under way so a shutdown never closes the database under it.
 */
export function intervalJob(everyMs: number, work: () => Promise<number>, onError: (err: unknown) => void): BackgroundJob {
  let chain: Promise<unknown> = Promise.resolve();
  let busy = false;
  function runOnce(): Promise<number> {
    const run = chain.then(async () => {
      busy = true;
      try {
        return await work();
      } finally {
        busy = false;
      }
    });
    chain = run.catch(() => undefined);
    return run;
  }
  const timer = setInterval(() => {
    if (!busy) void runOnce().catch(onError);
  }, everyMs);
  timer.unref();
  return {
    runOnce,
    async stop() {
      clearInterval(timer);
      await chain;
    },
  };
}
