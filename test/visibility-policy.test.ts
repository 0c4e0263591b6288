import "reflect-metadata";
import { readFileSync } from "node:fs";
import path from "node:path";
import { Supergraph } from "@apollo/federation-internals";
import { buildSchema, isNonNullType, isObjectType, type GraphQLSchema } from "graphql";
import { SCHEMA_DIR } from "../gateway/compose";
import { operationsSubgraph } from "../gateway/operations";
import { SUBGRAPHS } from "../gateway/subgraph-list";
import { SUBGRAPH_NAMES } from "../subgraphs/kernel/config";
import { buildFederatedSchema } from "../subgraphs/kernel/subgraph";
import { actionFor, applyVisibility, AUDIENCES, deniedFields, isExemptType, POLICY, ruleFor } from "../subgraphs/kernel/visibility";
import { parse } from "graphql";

/** The API the gateway serves: the checked-in supergraph (schema.test.ts keeps it fresh) without federation's own parts. */
const api: GraphQLSchema = Supergraph.build(readFileSync(path.join(SCHEMA_DIR, "supergraph.graphql"), "utf8")).apiSchema().toGraphQLJSSchema();

function publicFields(schema: GraphQLSchema) {
  return Object.values(schema.getTypeMap())
    .filter((t) => isObjectType(t) && !isExemptType(schema, t.name))
    .flatMap((t) => Object.values((t as import("graphql").GraphQLObjectType).getFields()).map((f) => ({ type: t.name, field: f.name, nullable: !isNonNullType(f.type) })));
}

describe("the visibility policy covers the whole public schema", () => {
  test("every field of every object type of the supergraph has a rule", () => {
    const fields = publicFields(api);
    expect(fields.length).toBeGreaterThan(150);
    expect(fields.filter((f) => !ruleFor(f.type, f.field)).map((f) => `${f.type}.${f.field}`)).toEqual([]);
  });

  test("only operations and introspection are outside the policy", () => {
    const exempt = Object.keys(api.getTypeMap()).filter((name) => isObjectType(api.getType(name)) && isExemptType(api, name) && !name.startsWith("__"));
    expect(exempt.sort()).toEqual(["Mutation", "Query"]);
  });

  test("a field is hidden (null) only where the schema allows null; otherwise the rule must mask or deny", () => {
    const wrong = publicFields(api).flatMap((f) => {
      const rule = ruleFor(f.type, f.field)!;
      return f.nullable ? [] : AUDIENCES.filter((a) => rule[a] === "hide").map((a) => `${f.type}.${f.field} (${a})`);
    });
    expect(wrong).toEqual([]);
  });

  test("the policy names no field that does not exist in some subgraph", async () => {
    const known = new Set<string>();
    for (const def of [...SUBGRAPH_NAMES.map((n) => SUBGRAPHS[n]), operationsSubgraph]) {
      const { schema } = await buildFederatedSchema(def);
      for (const t of Object.values(schema.getTypeMap())) {
        if (isObjectType(t)) Object.keys(t.getFields()).forEach((f) => known.add(`${t.name}.${f}`));
        known.add(`${t.name}.*`);
      }
    }
    const stale = Object.entries(POLICY).flatMap(([type, fields]) => Object.keys(fields).map((f) => `${type}.${f}`)).filter((k) => !known.has(k));
    expect(stale).toEqual([]);
  });

  test("a subgraph with a field the policy does not name refuses to start", () => {
    const schema = buildSchema("type Query { order: Order } type Order { id: ID! secretNote: String }");
    expect(() => applyVisibility(schema)).toThrow(/No visibility rule for Order.secretNote/);
  });
});

describe("deciding for a caller", () => {
  const phone = ruleFor("Customer", "phone")!;
  test("each audience gets its own action; a caller with several roles the most open of them", () => {
    expect(actionFor(phone, { sub: "a", roles: ["cs_agent"] })).toBe("show");
    expect(typeof actionFor(phone, { sub: "b", roles: ["bi_analyst"] })).toBe("object"); // masked
    expect(actionFor(phone, { sub: "c", roles: ["channel"], channel: "JD" as never })).toBe("hide");
    expect(actionFor(phone, { sub: "d", roles: ["bi_analyst", "cs_agent"] })).toBe("show");
    expect(actionFor(phone, null)).toBe("deny");
    expect(actionFor(ruleFor("Product", "title")!, null)).toBe("show");
  });
});

describe("role order in a token never matters", () => {
  test("between two maskers the stricter wins: BI's payload view over a shopper's or channel's", () => {
    const data = ruleFor("OrderEvent", "data")!;
    for (const roles of [["customer", "bi_analyst"], ["bi_analyst", "customer"], ["channel", "bi_analyst"], ["bi_analyst", "channel"]] as const) {
      expect((actionFor(data, { sub: "x", roles: [...roles] }) as { name: string }).name).toBe("payload:bi");
    }
  });
});

describe("fields a mutation asks for", () => {
  test("meta fields such as __typename are never denied", () => {
    const doc = parse("mutation { holdOrder(id: \"x\", reason: \"r\") { __typename id exceptions { __typename id } } }");
    expect(deniedFields(api, doc, { sub: "a", roles: ["admin"] })).toEqual([]);
    expect(deniedFields(api, doc, { sub: "s", roles: ["customer"], customerKey: 1 } as never)).toEqual(["Order.exceptions", "OrderException.id"]);
  });
});

describe("free text is for staff", () => {
  test("BI may not ask for an after-sales reason (the shopper's words); staff and the shopper may", () => {
    const reason = ruleFor("AfterSalesCase", "reason")!;
    expect(actionFor(reason, { sub: "b", roles: ["bi_analyst"] })).toBe("deny");
    expect(actionFor(reason, { sub: "a", roles: ["cs_agent"] })).toBe("show");
    expect(actionFor(reason, { sub: "s", roles: ["customer"] })).toBe("show");
  });
});
