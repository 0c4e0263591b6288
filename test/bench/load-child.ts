import autocannon from "autocannon";
import { allApplied, buildRequest, type LoadJob } from "./requests";

/**
 * The load generator, run as a child process of run.ts (see load.ts for why).
 * Receives one LoadJob over IPC, runs autocannon, sends back a LoadSummary.
 */
export interface LoadSummary {
  requests: number;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  socketErrors: number;
  timeouts: number;
  /** 200 responses whose body carries GraphQL errors. */
  graphqlErrors: number;
  firstProblem?: string;
  statusCodes: Record<string, number>;
  /** Webhook jobs: 2xx replies whose results are all "applied", and 2xx replies where some are not. */
  applied?: number;
  notApplied?: number;
}

async function run(job: LoadJob): Promise<LoadSummary> {
  let sent = 0;
  let graphqlErrors = 0;
  let applied = 0;
  let notApplied = 0;
  let firstProblem: string | undefined;
  const webhook = job.target === "webhook";
  const result = await autocannon({
    url: job.url,
    method: "POST",
    connections: job.connections,
    duration: job.seconds,
    requests: [
      {
        setupRequest(req) {
          const { headers, body } = buildRequest(job, sent++);
          req.headers = { ...req.headers, ...headers };
          req.body = body;
          return req;
        },
        onResponse(status, body) {
          if (webhook) {
            // Small replies ({"results":[...]}), so parsing each one is cheap.
            const ok = allApplied(status, body);
            if (ok) applied++;
            else if (status >= 200 && status <= 299) notApplied++;
            if (!ok) firstProblem ??= `${status} ${body.slice(0, 400)}`;
            return;
          }
          // Substring tests, not JSON.parse: cheap enough not to slow the generator. An answer
          // counts when it has data and no errors, whichever gateway (or subgraph) gave it.
          const failed = status !== 200 || body.includes('"errors":') || !body.includes('"data":{');
          if (status === 200 && failed) graphqlErrors++;
          if (failed) firstProblem ??= `${status} ${body.slice(0, 400)}`;
        },
      },
    ],
  });
  return {
    requests: result.requests.total,
    seconds: result.duration,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    socketErrors: result.errors,
    timeouts: result.timeouts,
    graphqlErrors,
    firstProblem,
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, s]) => [code, s.count])),
    ...(webhook ? { applied, notApplied } : {}),
  };
}

process.once("message", (job: LoadJob) => {
  run(job).then(
    (summary) => process.send!({ summary }, () => process.exit(0)),
    (err: Error) => process.send!({ error: err.stack ?? String(err) }, () => process.exit(1)),
  );
});
