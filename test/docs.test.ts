import { appendFileSync, existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { graphql, type GraphQLResponse } from "../gateway/client";
import { parseDoc, type DocExample, type ParsedDoc } from "./support/doc-examples";
import { startDemoHub, type DemoHub } from "./support/demo-hub";

/**
 * Every GraphQL example in README.md and docs/*.md runs, as written, against a hub with the
 * demo data, with the token its marker names (see test/support/doc-examples.ts for the
 * marker). Files run in the order the README's map lists them, examples in the order they
 * appear, all on one hub, so a mutation may rely on the examples before it.
 */
const ROOT = path.resolve(__dirname, "..");
const README_MAX_LINES = 200;

function docFiles(): string[] {
  const docs = readdirSync(path.join(ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`);
  // The README's map gives the reading order; anything it does not list runs last (and fails the map test).
  const mapped = parseDoc(ROOT, "README.md")
    .links.map((l) => l.target.split("#")[0])
    .filter((t, i, all) => docs.includes(t) && all.indexOf(t) === i);
  return ["README.md", ...mapped, ...docs.filter((d) => !mapped.includes(d)).sort()];
}

const parsed: ParsedDoc[] = docFiles().map((f) => parseDoc(ROOT, f));

/** Why an answer shows nothing: a top-level field that is null or empty, or an empty connection anywhere. */
function emptyParts(value: unknown, at: string, root: boolean): string[] {
  if (value === null) return root ? [`${at} is null`] : [];
  if (Array.isArray(value)) {
    if (root && value.length === 0) return [`${at} is an empty list`];
    return value.flatMap((v, i) => (root && v === null ? [`${at}[${i}] is null`] : emptyParts(v, `${at}[${i}]`, false)));
  }
  if (typeof value !== "object") return [];
  const obj = value as Record<string, unknown>;
  if (Array.isArray(obj.edges) && obj.edges.length === 0) return [`${at} has no edges`];
  return Object.entries(obj).flatMap(([k, v]) => emptyParts(v, `${at}.${k}`, false));
}

function describeErrors(r: GraphQLResponse): string {
  return JSON.stringify(r.errors?.map((e) => ({ message: e.message, code: e.extensions?.code, path: e.path })));
}

let hub: DemoHub;
beforeAll(async () => {
  const warn = jest.spyOn(console, "warn").mockImplementation(() => undefined); // one line per FAILED delivery
  try {
    hub = await startDemoHub();
  } finally {
    warn.mockRestore();
  }
}, 300_000);
afterAll(() => hub?.stop());

async function run(example: DocExample): Promise<GraphQLResponse> {
  const token = example.token === "none" ? undefined : hub.tokens[example.token as keyof typeof hub.tokens];
  if (example.token !== "none" && !token) throw new Error(`token=${example.token} is not a demo token (${Object.keys(hub.tokens).join(", ")}, or none)`);
  return graphql(hub.url, example.query, example.variables, token);
}

function title(e: DocExample): string {
  const op = /^\s*(query|mutation)\s*(\w*)/m.exec(e.query);
  return `line ${e.line}: ${op ? `${op[1]} ${op[2]}`.trim() : "query"}${e.kind === "curl" ? " (curl)" : ""} as ${e.token ?? "-"}`;
}

describe("the docs", () => {
  test("every example block is marked, and every marker can be read", () => {
    expect(parsed.flatMap((d) => d.problems)).toEqual([]);
  });

  test("the README is short and links every file under docs/", () => {
    const readme = parsed[0];
    const lines = readFileSync(path.join(ROOT, "README.md"), "utf8").split("\n").length;
    expect(lines).toBeLessThanOrEqual(README_MAX_LINES);
    const linked = new Set(readme.links.map((l) => l.target.split("#")[0]));
    expect(parsed.slice(1).map((d) => d.file).filter((f) => !linked.has(f))).toEqual([]);
  });

  test("relative links point at files and headings that exist", () => {
    const byFile = new Map(parsed.map((d) => [d.file, d]));
    const broken: string[] = [];
    for (const doc of parsed) {
      for (const { line, target } of doc.links) {
        const [file, anchor] = target.split("#");
        const resolved = file ? path.posix.normalize(path.posix.join(path.posix.dirname(doc.file), file)) : doc.file;
        if (!existsSync(path.join(ROOT, resolved))) {
          broken.push(`${doc.file}:${line} → ${target} (no such file)`);
          continue;
        }
        if (!anchor) continue;
        const target_ = byFile.get(resolved) ?? (resolved.endsWith(".md") ? parseDoc(ROOT, resolved) : undefined);
        if (!target_?.anchors.has(anchor)) broken.push(`${doc.file}:${line} → ${target} (no such heading)`);
      }
    }
    expect(broken).toEqual([]);
  });

  test("the channel payloads in docs/channels.md are the fixtures the channel tests send", () => {
    const channels = parsed.find((d) => d.file === "docs/channels.md")!;
    const samples = channels.blocks.filter((b) => b.lang === "json").map((b) => JSON.parse(b.body));
    const dir = path.join(ROOT, "test/fixtures/webhooks");
    const fixtures = readdirSync(dir).filter((f) => f.endsWith(".json"));
    expect(fixtures.length).toBe(5);
    for (const f of fixtures) expect([f, samples.some((s) => JSON.stringify(s) === JSON.stringify(JSON.parse(readFileSync(path.join(dir, f), "utf8"))))]).toEqual([f, true]);
  });

  test("every operation is one named operation", () => {
    const bad = parsed.flatMap((d) => d.examples).filter((e) => (e.query.match(/^\s*(query|mutation|subscription)\b/gm) ?? []).length > 1);
    expect(bad.map((e) => `${e.file}:${e.line}`)).toEqual([]);
  });
});

for (const doc of parsed) {
  describe(doc.file, () => {
    for (const example of doc.examples) {
      if (example.skip) {
        test.skip(`${title(example)} (${example.skip})`, () => undefined);
        continue;
      }
      test(title(example), async () => {
        const r = await run(example);
        // DOCS_ANSWERS=<file> keeps every answer, to copy real output into the docs.
        if (process.env.DOCS_ANSWERS) appendFileSync(process.env.DOCS_ANSWERS, `${JSON.stringify({ at: `${example.file}:${example.line}`, answer: r })}\n`);
        if (example.expectError) {
          // An example that shows an error on purpose must get exactly that error.
          expect(r.errors?.map((e) => e.extensions?.code)).toContain(example.expectError);
          return;
        }
        if (r.errors?.length) throw new Error(`${example.file}:${example.line} answered with errors: ${describeErrors(r)}`);
        expect(r.status).toBe(200);
        expect(r.data).toBeTruthy();
        expect(Object.entries(r.data!).flatMap(([field, value]) => emptyParts(value, field, true))).toEqual([]);
      });
    }
  });
}
