import { describe, expect, it } from "vitest";
import { parseStatement } from "../src/services/dynamodb/partiql/parser.js";
import { keyFromWhere, keyOfItem, planSelect } from "../src/services/dynamodb/partiql/planner.js";
import { evaluateCondition } from "../src/services/dynamodb/expressions/condition.js";
import { applyUpdate } from "../src/services/dynamodb/expressions/update.js";
import type { AttributeMap } from "../src/services/dynamodb/attribute-value.js";

const message = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  return "no error";
};

const item: AttributeMap = {
  pk: { S: "u1" },
  sk: { N: "5" },
  name: { S: "Ada Lovelace" },
  tags: { SS: ["a", "b"] },
  nested: { M: { list: { L: [{ N: "1" }, { S: "two" }] } } },
  flag: { BOOL: true },
  nothing: { NULL: true },
};

function where(text: string, params: unknown[] = []) {
  const s = parseStatement(`SELECT * FROM "t" WHERE ${text}`, params);
  if (s.kind !== "SELECT" || !s.where) throw new Error("no where");
  return s.where;
}
const holds = (text: string, params: unknown[] = []) => evaluateCondition(where(text, params), item);

describe("PartiQL parser", () => {
  it("parses SELECT with projection, index and ORDER BY", () => {
    const s = parseStatement(`select name, nested.list[1], "weird name" from "Music"."ByArtist" where pk = 'x' order by sk desc`);
    expect(s).toEqual({
      kind: "SELECT",
      table: "Music",
      index: "ByArtist",
      projection: [["name"], ["nested", "list", 1], ["weird name"]],
      where: { kind: "compare", op: "=", left: { kind: "path", path: ["pk"] }, right: { kind: "value", value: { S: "x" } } },
      orderBy: { path: ["sk"], descending: true },
    });
    expect(parseStatement("SELECT * FROM Music")).toEqual({ kind: "SELECT", table: "Music" });
  });

  it("evaluates comparisons, BETWEEN, IN, AND/OR/NOT", () => {
    expect(holds("pk = 'u1' AND sk = 5")).toBe(true);
    expect(holds("sk <> 5")).toBe(false);
    expect(holds("sk != 4")).toBe(true);
    expect(holds("sk < 6 AND sk <= 5 AND sk > 4 AND sk >= 5")).toBe(true);
    expect(holds("sk BETWEEN 1 AND 5")).toBe(true);
    expect(holds("sk NOT BETWEEN 1 AND 5")).toBe(false);
    expect(holds("sk IN [1, 5, 9]")).toBe(true);
    expect(holds("sk IN (1, 2)")).toBe(false);
    expect(holds("NOT sk = 5 OR pk = 'u1'")).toBe(true);
    expect(holds("(sk = 1 OR sk = 5) AND pk = 'u1'")).toBe(true);
    expect(holds("sk = -5")).toBe(false);
    expect(holds("sk = 5.000")).toBe(true);
  });

  it("evaluates functions, IS MISSING, size and nested paths", () => {
    expect(holds("begins_with(name, 'Ada')")).toBe(true);
    expect(holds("contains(tags, 'b')")).toBe(true);
    expect(holds("contains(name, 'Love')")).toBe(true);
    expect(holds("attribute_type(tags, 'SS')")).toBe(true);
    expect(holds("attribute_type(tags, 'L')")).toBe(false);
    expect(holds("other IS MISSING")).toBe(true);
    expect(holds("name IS NOT MISSING")).toBe(true);
    expect(holds("nothing IS NULL")).toBe(true);
    expect(holds("size(name) = 12")).toBe(true);
    expect(holds("nested.list[1] = 'two'")).toBe(true);
    expect(holds("nested['list'][0] = 1")).toBe(true);
    expect(holds("flag = true")).toBe(true);
    expect(holds("tags = <<'b', 'a'>>")).toBe(true);
  });

  it("substitutes parameters in order and checks their count", () => {
    expect(holds("pk = ? AND sk = ?", [{ S: "u1" }, { N: "5" }])).toBe(true);
    expect(message(() => parseStatement("SELECT * FROM t WHERE pk = ?", []))).toBe("Number of parameters in request and statement don't match.");
    expect(message(() => parseStatement("SELECT * FROM t WHERE pk = ?", [{ S: "a" }, { S: "b" }]))).toBe(
      "Number of parameters in request and statement don't match.",
    );
  });

  it("parses INSERT literals: strings, numbers, sets, lists, maps, booleans, null", () => {
    const s = parseStatement(`INSERT INTO "t" VALUE {'pk': 'a''b', 'n': 1.50, 'ns': <<3, 1>>, 'l': [1, 'x', [true]], 'm': {'z': null}, 'b': false}`);
    expect(s).toEqual({
      kind: "INSERT",
      table: "t",
      item: {
        pk: { S: "a'b" },
        n: { N: "1.5" },
        ns: { NS: ["3", "1"] },
        l: { L: [{ N: "1" }, { S: "x" }, { L: [{ BOOL: true }] }] },
        m: { M: { z: { NULL: true } } },
        b: { BOOL: false },
      },
    });
  });

  it("parses UPDATE SET/REMOVE with arithmetic, list_append, set_add and RETURNING", () => {
    const s = parseStatement(
      `UPDATE "t" SET n = n + 2 SET l = list_append(l, [3]) SET tags = set_add(tags, <<'c'>>) REMOVE gone WHERE pk = 'u1' AND sk = 5 RETURNING ALL NEW *`,
    );
    if (s.kind !== "UPDATE") throw new Error("kind");
    expect(s.returning).toBe("ALL_NEW");
    const after = applyUpdate(
      { pk: { S: "u1" }, sk: { N: "5" }, n: { N: "1" }, l: { L: [] }, tags: { SS: ["a"] }, gone: { S: "x" } },
      { actions: s.actions, source: "expression" },
    );
    expect(after).toEqual({ pk: { S: "u1" }, sk: { N: "5" }, n: { N: "3" }, l: { L: [{ N: "3" }] }, tags: { SS: ["a", "c"] } });
    const d = parseStatement(`DELETE FROM t WHERE pk = ? RETURNING ALL OLD *`, [{ S: "x" }]);
    expect(d).toMatchObject({ kind: "DELETE", table: "t", returning: "ALL_OLD" });
  });

  it("refuses malformed statements with DynamoDB's prefix", () => {
    for (const bad of ["", "SELEC * FROM t", "SELECT * FROM", "SELECT * FROM t WHERE", "SELECT * FROM t WHERE a = ", "INSERT INTO t VALUE 'x'", "UPDATE t WHERE a = 1", "SELECT * FROM t extra", "SELECT * FROM t WHERE a = 'unterminated"]) {
      expect(message(() => parseStatement(bad))).toMatch(/^Statement wasn't well formed, can't be processed: /);
    }
  });
});

describe("PartiQL planner", () => {
  const schema = { partitionKey: "pk", sortKey: "sk", attributeTypes: { pk: "S", sk: "N" } as const };
  it("turns a partition-key equality into a Query, anything else into a Scan", () => {
    const q = planSelect(where("pk = 'a' AND sk > 3 AND x = 1"), schema);
    expect(q).toMatchObject({ kind: "query", partitionKey: { name: "pk", value: { S: "a" } }, sortKey: { name: "sk", op: ">", value: { N: "3" } } });
    expect(planSelect(where("'a' = pk"), schema)).toMatchObject({ kind: "query" });
    expect(planSelect(where("pk = 'a' OR x = 1"), schema).kind).toBe("scan");
    expect(planSelect(where("pk = 1"), schema).kind).toBe("scan");
    expect(planSelect(undefined, schema)).toEqual({ kind: "scan" });
    expect(planSelect(where("pk = 'a' AND begins_with(sk, 1)"), schema)).not.toHaveProperty("sortKey");
  });
  it("requires the whole key for UPDATE/DELETE and INSERT", () => {
    expect(keyFromWhere(where("pk = 'a' AND sk = 1 AND x = 2"), schema)).toEqual({ pk: { S: "a" }, sk: { N: "1" } });
    expect(message(() => keyFromWhere(where("pk = 'a'"), schema))).toBe("Where clause does not contain a mandatory equality on all key attributes");
    expect(message(() => keyOfItem({ pk: { S: "a" } }, schema))).toMatch(/Missing the key sk/);
  });
});
