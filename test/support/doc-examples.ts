import { readFileSync } from "node:fs";
import path from "node:path";

/**
 * Reads the examples out of the Markdown docs, so a test can run them as they are written.
 *
 * An example is a fenced ```graphql block with a marker on the line right before it:
 *
 *     <!-- example: token=customer1 -->
 *     ```graphql
 *     query MyOrders($first: Int!) { ... }
 *     ```
 *
 *     ```json
 *     { "first": 10 }
 *     ```
 *
 * - `token=` names the demo token to send (admin, cs_agent, cs_supervisor, finance,
 *   bi_analyst, warehouse, customer1, customer2, channel_taobao, channel_jd, channel_douyin,
 *   channel_web, channel_pos), or `none` for no token.
 * - `expect=error:CODE` says the example shows that error on purpose; without it the
 *   example must answer without errors and with data.
 * - `skip="why"` keeps a block out of the run, with the reason in the docs.
 * - A ```json block that follows the graphql block with only blank lines between holds its
 *   variables. A JSON answer shown after an example needs a sentence in between.
 * - A ```sh block with a marker `<!-- example: curl token=NAME -->` is a curl call to
 *   /graphql; the test sends its `-d '<json>'` body with that token.
 */
export interface DocExample {
  file: string;
  line: number;
  kind: "graphql" | "curl";
  token?: string;
  expectError?: string;
  skip?: string;
  query: string;
  variables: Record<string, unknown>;
}

export interface ParsedDoc {
  file: string;
  examples: DocExample[];
  /** Fenced blocks that need a marker and have none, or whose marker cannot be read. */
  problems: string[];
  /** Relative link targets, e.g. "docs/channels.md#signing-a-delivery" or "#tier". */
  links: Array<{ line: number; target: string }>;
  /** GitHub-style anchors of the file's headings. */
  anchors: Set<string>;
  /** Every fenced block, e.g. to compare a JSON sample with the file it copies. */
  blocks: Array<{ lang: string; line: number; body: string }>;
}

interface Fence {
  lang: string;
  start: number; // 1-based line of the opening fence
  end: number; // 1-based line of the closing fence
  body: string;
}

function fences(lines: string[]): Fence[] {
  const out: Fence[] = [];
  for (let i = 0; i < lines.length; i++) {
    // A fence of n backticks closes with n or more, so ````md can show a ```graphql block.
    const open = /^(`{3,})([^`\s]*)\s*$/.exec(lines[i]);
    if (!open) continue;
    const close = new RegExp(`^\`{${open[1].length},}\\s*$`);
    let j = i + 1;
    while (j < lines.length && !close.test(lines[j])) j++;
    out.push({ lang: open[2], start: i + 1, end: j + 1, body: lines.slice(i + 1, j).join("\n") });
    i = j;
  }
  return out;
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
export function anchorsOf(lines: string[], inFence: (line: number) => boolean): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  lines.forEach((text, i) => {
    const h = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(text);
    if (!h || inFence(i + 1)) return;
    const base = h[1]
      .replace(/`/g, "")
      .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  });
  return anchors;
}

function readMarker(line: string | undefined): { attrs: Record<string, string>; curl: boolean } | null {
  const m = /^<!--\s*example:(.*)-->\s*$/.exec(line ?? "");
  if (!m) return null;
  const attrs: Record<string, string> = {};
  let curl = false;
  for (const part of m[1].matchAll(/(\w+)(?:=("[^"]*"|\S+))?/g)) {
    if (part[2] === undefined) {
      if (part[1] === "curl") curl = true;
      else attrs[part[1]] = "";
    } else attrs[part[1]] = part[2].replace(/^"|"$/g, "");
  }
  return { attrs, curl };
}

/** The JSON body of `curl ... -d '<json>'` (single-quoted, as the docs write it). */
function curlBody(sh: string): { query: string; variables?: Record<string, unknown> } {
  const m = /\s(?:-d|--data|--data-binary)\s+'([^']*)'/.exec(sh);
  if (!m) throw new Error("the curl example has no -d '<json>' body");
  if (!/\/graphql\b/.test(sh)) throw new Error("the curl example does not call /graphql");
  return JSON.parse(m[1]);
}

export function parseDoc(root: string, file: string): ParsedDoc {
  const text = readFileSync(path.join(root, file), "utf8");
  const lines = text.split("\n");
  const blocks = fences(lines);
  const inFence = (line: number) => blocks.some((b) => line >= b.start && line <= b.end);
  const examples: DocExample[] = [];
  const problems: string[] = [];

  blocks.forEach((b, k) => {
    const marker = readMarker(lines[b.start - 2]);
    const where = `${file}:${b.start}`;
    if (b.lang === "graphql") {
      if (!marker) return void problems.push(`${where}: a graphql block without an <!-- example: token=... --> marker on the line before`);
      if (marker.curl) return void problems.push(`${where}: "curl" marks a sh block, not a graphql one`);
    } else if (b.lang === "sh" && marker) {
      if (!marker.curl) return void problems.push(`${where}: a marked sh block must say "curl"`);
    } else {
      if (marker) problems.push(`${where}: a marker before a ${b.lang || "plain"} block; markers go before graphql or curl blocks`);
      return;
    }
    const { attrs } = marker;
    const unknown = Object.keys(attrs).filter((a) => !["token", "expect", "skip"].includes(a));
    if (unknown.length) return void problems.push(`${where}: unknown marker attribute ${unknown.join(", ")}`);
    if (attrs.skip !== undefined && !attrs.skip.trim()) return void problems.push(`${where}: skip needs a reason, skip="..."`);
    if (attrs.skip === undefined && !attrs.token) return void problems.push(`${where}: the marker needs token=<demo token name> or token=none`);
    if (attrs.expect !== undefined && !/^error:[A-Z_]+$/.test(attrs.expect)) return void problems.push(`${where}: expect must be error:CODE`);

    let query = b.body;
    let variables: Record<string, unknown> = {};
    try {
      if (b.lang === "sh") {
        const body = curlBody(b.body);
        query = body.query;
        variables = body.variables ?? {};
      } else {
        const next = blocks[k + 1];
        const between = next ? lines.slice(b.end, next.start - 1) : [];
        if (next && next.lang === "json" && between.every((l) => !l.trim())) variables = JSON.parse(next.body);
      }
    } catch (e) {
      return void problems.push(`${where}: ${(e as Error).message}`);
    }
    examples.push({
      file,
      line: b.start,
      kind: b.lang === "sh" ? "curl" : "graphql",
      token: attrs.token,
      expectError: attrs.expect?.slice("error:".length),
      skip: attrs.skip,
      query,
      variables,
    });
  });

  const links: ParsedDoc["links"] = [];
  lines.forEach((l, i) => {
    if (inFence(i + 1)) return;
    for (const m of l.replace(/`[^`]*`/g, "").matchAll(/\]\(([^)\s]+)\)/g)) {
      if (!/^[a-z]+:/i.test(m[1])) links.push({ line: i + 1, target: m[1] });
    }
  });
  return {
    file,
    examples,
    problems,
    links,
    anchors: anchorsOf(lines, inFence),
    blocks: blocks.map((b) => ({ lang: b.lang, line: b.start, body: b.body })),
  };
}
