import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";

/**
 * Modules that import each other (at run time) load half-initialized: whichever comes
 * second sees the first one's exports still undefined. Type-only imports do not count.
 */
const ROOT = path.join(__dirname, "..", "..");

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === "migrations" ? [] : sources(full);
    return e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [full] : [];
  });
}

/**
 * What a module's import and export statements load at run time: not `import type`, not
 * only type names. A dynamic `import()` is an expression, not a statement: not counted.
 */
function runtimeSpecifiers(file: string): string[] {
  const sf = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, false);
  const out: string[] = [];
  for (const st of sf.statements) {
    if (!(ts.isImportDeclaration(st) || ts.isExportDeclaration(st)) || !st.moduleSpecifier || !ts.isStringLiteral(st.moduleSpecifier)) continue;
    if (ts.isImportDeclaration(st)) {
      const clause = st.importClause;
      if (clause?.isTypeOnly) continue;
      const named = clause?.namedBindings;
      if (clause && !clause.name && named && ts.isNamedImports(named) && named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly)) continue;
    } else if (st.isTypeOnly) continue;
    out.push(st.moduleSpecifier.text);
  }
  return out;
}

function resolveRelative(file: string, spec: string): string {
  const target = path.resolve(path.dirname(file), spec);
  return existsSync(`${target}.ts`) ? `${target}.ts` : path.join(target, "index.ts");
}

/** Relative imports that exist at run time. */
function runtimeImports(file: string): string[] {
  return runtimeSpecifiers(file)
    .filter((spec) => spec.startsWith("."))
    .map((spec) => resolveRelative(file, spec));
}

/** Every project file and package a module loads at run time through its import statements, transitively. */
function reachedFrom(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (f: string) => {
    if (files.has(f)) return;
    files.add(f);
    for (const spec of runtimeSpecifiers(f)) {
      if (spec.startsWith(".")) visit(resolveRelative(f, spec));
      else packages.add(spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]);
    }
  };
  visit(entry);
  return { files, packages };
}

/** Every cycle, each as the list of files on it (relative to the project). */
function importCycles(files: string[]): string[][] {
  const known = new Set(files);
  const graph = new Map(files.map((f) => [f, runtimeImports(f).filter((t) => known.has(t))]));
  const cycles: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (f: string) => {
    state.set(f, "open");
    stack.push(f);
    for (const t of graph.get(f) ?? []) {
      if (state.get(t) === "open") cycles.push(stack.slice(stack.indexOf(t)).map((x) => path.relative(ROOT, x)));
      else if (!state.has(t)) visit(t);
    }
    stack.pop();
    state.set(f, "done");
  };
  for (const f of files) if (!state.has(f)) visit(f);
  return cycles;
}

test("no two modules of the gateway or the subgraphs import each other, directly or round about", () => {
  const files = [...sources(path.join(ROOT, "gateway")), ...sources(path.join(ROOT, "subgraphs"))];
  expect(files.length).toBeGreaterThan(50);
  expect(importCycles(files)).toEqual([]);
});

/**
 * A process that runs only the gateway loads no subgraph: TypeORM, the database drivers,
 * the entities and the event machinery would cost it tens of MB it never uses. The
 * service entry imports each service's own code where it starts that service.
 */
const DATABASE_PACKAGES = ["typeorm", "mysql2", "better-sqlite3", "@nats-io/transport-node", "@nats-io/jetstream"];
const SUBGRAPH_DIRS = ["orders", "customers", "products", "aftersales"].map((n) => path.join(ROOT, "subgraphs", n) + path.sep);
const SUBGRAPH_SERVER_FILES = ["subgraph.ts", "database.ts", "events.ts", "delivery.ts", "parked-events.ts"].map((f) => path.join(ROOT, "subgraphs", "kernel", f));

test.each(["gateway/server.ts", "gateway/start-service.ts"])("%s loads no subgraph, database or event bus code at start", (entry) => {
  const { files, packages } = reachedFrom(path.join(ROOT, entry));
  expect(files.size).toBeGreaterThan(5);
  const loaded = [...files].filter((f) => SUBGRAPH_DIRS.some((d) => f.startsWith(d)) || SUBGRAPH_SERVER_FILES.includes(f)).map((f) => path.relative(ROOT, f));
  expect(loaded).toEqual([]);
  expect(DATABASE_PACKAGES.filter((p) => packages.has(p))).toEqual([]);
});
