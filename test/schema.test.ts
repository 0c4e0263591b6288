import { readFileSync } from "node:fs";
import path from "node:path";
import { composeSupergraph, SCHEMA_DIR } from "../gateway/compose";

test("the checked-in schema/ matches a fresh composition (run `npm run compose` after schema changes)", async () => {
  const fresh = await composeSupergraph();
  expect(readFileSync(path.join(SCHEMA_DIR, "supergraph.graphql"), "utf8")).toBe(fresh.supergraphSdl);
  for (const [name, sdl] of Object.entries(fresh.subgraphSdl)) {
    expect(readFileSync(path.join(SCHEMA_DIR, `${name}.graphql`), "utf8")).toBe(sdl);
  }
});

test("every entity implements Node in the supergraph", async () => {
  const { supergraphSdl } = await composeSupergraph();
  for (const type of ["Order", "OrderLine", "Customer", "Product", "AfterSalesCase"]) {
    expect(supergraphSdl).toMatch(new RegExp(`type ${type} implements Node`));
  }
});
