/**
 * The items explorer: a Scan or Query builder (partition key, sort key condition, index,
 * filters), a results table with a column per attribute seen, paging with LastEvaluatedKey,
 * and the item editor (plain JSON or DynamoDB JSON) for creating, editing and deleting items.
 */
import { useEffect, useMemo, useState } from "react";
import { DeleteItemCommand, DynamoDBClient, PutItemCommand, QueryCommand, ScanCommand, type AttributeValue, type TableDescription } from "@aws-sdk/client-dynamodb";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import { client } from "../../aws.ts";
import { Alert, ConfirmDialog, ErrorAlert, JsonEditor, Modal, Panel, ResourceTable, SelectField, TextField, jsonProblem, notify, type Column } from "../../ui/index.ts";
import { keyOf, rowStyle } from "./util.ts";

type Item = Record<string, AttributeValue>;
const ddb = () => client(DynamoDBClient);

const SK_OPS = [
  { value: "=", label: "Equal to (=)" },
  { value: "<", label: "Less than (<)" },
  { value: "<=", label: "Less than or equal to (<=)" },
  { value: ">", label: "Greater than (>)" },
  { value: ">=", label: "Greater than or equal to (>=)" },
  { value: "begins_with", label: "Begins with" },
  { value: "between", label: "Between" },
];

const FILTER_OPS = [
  { value: "=", label: "Equal to" },
  { value: "<>", label: "Not equal to" },
  { value: "<", label: "Less than" },
  { value: "<=", label: "Less than or equal to" },
  { value: ">", label: "Greater than" },
  { value: ">=", label: "Greater than or equal to" },
  { value: "begins_with", label: "Begins with" },
  { value: "contains", label: "Contains" },
  { value: "exists", label: "Exists" },
  { value: "not_exists", label: "Does not exist" },
];

interface Filter {
  attr: string;
  op: string;
  type: string;
  value: string;
}

// ---------------------------------------------------------------- value conversions
function base64ToBytes(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function bytesToBase64(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += String.fromCharCode(x);
  return btoa(s);
}

/** An AttributeValue of a key's scalar type from what the user typed. */
function scalar(type: string, text: string): AttributeValue {
  if (type === "N") {
    if (text.trim() === "" || Number.isNaN(Number(text))) throw new Error(`"${text}" is not a number.`);
    return { N: text.trim() };
  }
  if (type === "B") return { B: base64ToBytes(text) };
  if (type === "BOOL") return { BOOL: text.trim().toLowerCase() === "true" };
  return { S: text };
}

/** An item as DynamoDB JSON text (binary as base64). */
function toDdbJson(value: unknown): unknown {
  if (value instanceof Uint8Array) return bytesToBase64(value);
  if (Array.isArray(value)) return value.map(toDdbJson);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toDdbJson(v)]));
  return value;
}

const TYPE_KEYS = new Set(["S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"]);

/** DynamoDB JSON text back to AttributeValues; throws with the path of a malformed value. */
function fromDdbJson(value: unknown, path: string): AttributeValue {
  if (!value || typeof value !== "object" || Array.isArray(value)) throw new Error(`${path}: expected an object like {"S": "text"}.`);
  const keys = Object.keys(value);
  if (keys.length !== 1 || !TYPE_KEYS.has(keys[0]!)) throw new Error(`${path}: expected exactly one of S, N, B, BOOL, NULL, M, L, SS, NS, BS.`);
  const t = keys[0]!;
  const v = (value as Record<string, unknown>)[t];
  switch (t) {
    case "S":
      if (typeof v !== "string") throw new Error(`${path}.S must be a string.`);
      return { S: v };
    case "N":
      if (typeof v !== "string" || v.trim() === "" || Number.isNaN(Number(v))) throw new Error(`${path}.N must be a number in a string, like "42".`);
      return { N: v };
    case "B":
      if (typeof v !== "string") throw new Error(`${path}.B must be base64 text.`);
      return { B: base64ToBytes(v) };
    case "BOOL":
      if (typeof v !== "boolean") throw new Error(`${path}.BOOL must be true or false.`);
      return { BOOL: v };
    case "NULL":
      return { NULL: true };
    case "SS":
    case "NS":
    case "BS": {
      if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) throw new Error(`${path}.${t} must be a list of strings.`);
      if (t === "BS") return { BS: v.map((x: string) => base64ToBytes(x)) };
      if (t === "NS" && v.some((x: string) => Number.isNaN(Number(x)))) throw new Error(`${path}.NS must hold numbers in strings.`);
      return t === "SS" ? { SS: v as string[] } : { NS: v as string[] };
    }
    case "L":
      if (!Array.isArray(v)) throw new Error(`${path}.L must be a list.`);
      return { L: v.map((x, i) => fromDdbJson(x, `${path}[${i}]`)) };
    default:
      if (!v || typeof v !== "object" || Array.isArray(v)) throw new Error(`${path}.M must be an object.`);
      return { M: Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fromDdbJson(x, `${path}.${k}`)])) };
  }
}

/** Whether plain JSON can express the item (no sets, no binary). */
function plainExpressible(av: AttributeValue): boolean {
  if (av.SS || av.NS || av.BS || av.B) return false;
  if (av.L) return av.L.every(plainExpressible);
  if (av.M) return Object.values(av.M).every(plainExpressible);
  return true;
}

/** A short text for a table cell. */
function cellText(av: AttributeValue | undefined): string {
  if (!av) return "";
  if (av.S !== undefined) return av.S;
  if (av.N !== undefined) return av.N;
  if (av.BOOL !== undefined) return String(av.BOOL);
  if (av.NULL) return "null";
  if (av.B) return `(binary, ${av.B.length} bytes)`;
  if (av.SS) return JSON.stringify(av.SS);
  if (av.NS) return `[${av.NS.join(", ")}]`;
  if (av.BS) return `(binary set, ${av.BS.length})`;
  const text = JSON.stringify(toDdbJson(plainExpressible(av) ? unmarshallSafe(av) : av));
  return text.length > 120 ? `${text.slice(0, 117)}…` : text;
}

function unmarshallSafe(av: AttributeValue): unknown {
  try {
    return unmarshall({ v: av }).v;
  } catch {
    return av;
  }
}

function itemKey(item: Item, keys: string[]): string {
  return JSON.stringify(keys.map((k) => toDdbJson(item[k])));
}

// ---------------------------------------------------------------- explorer
interface Results {
  items: Item[];
  lastKey?: Item;
  scanned?: number;
}

export function ItemsExplorer({ table }: { table: TableDescription }) {
  const name = table.TableName!;
  const tablePk = keyOf(table.KeySchema, "HASH")!;
  const tableSk = keyOf(table.KeySchema, "RANGE");
  const indexes = [...(table.GlobalSecondaryIndexes ?? []), ...(table.LocalSecondaryIndexes ?? [])];
  const [mode, setMode] = useState<"scan" | "query">("scan");
  const [index, setIndex] = useState("");
  const schema = index ? indexes.find((i) => i.IndexName === index)?.KeySchema : table.KeySchema;
  const pk = keyOf(schema, "HASH")!;
  const sk = keyOf(schema, "RANGE");
  const typeOf = (a: string | undefined) => table.AttributeDefinitions?.find((d) => d.AttributeName === a)?.AttributeType ?? "S";
  const [pkValue, setPkValue] = useState("");
  const [skOp, setSkOp] = useState("");
  const [skValue, setSkValue] = useState("");
  const [skValue2, setSkValue2] = useState("");
  const [filters, setFilters] = useState<Filter[]>([]);
  const [limit, setLimit] = useState("50");
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  // startKeys[i] is the ExclusiveStartKey of page i.
  const [startKeys, setStartKeys] = useState<Array<Item | undefined>>([undefined]);
  const [page, setPage] = useState(0);
  const [results, setResults] = useState<Results | undefined>();
  const [selected, setSelected] = useState<string[]>([]);
  const [editing, setEditing] = useState<Item | null | undefined>(undefined);
  const [deleting, setDeleting] = useState(false);

  const pkError = mode === "query" && pkValue.trim() === "" ? `Enter a value for ${pk}.` : undefined;

  const run = async (pageNo: number, startKey: Item | undefined) => {
    setTried(true);
    if (pkError) return;
    setBusy(true);
    setError(undefined);
    try {
      const names: Record<string, string> = {};
      const values: Item = {};
      const filterParts: string[] = [];
      filters.forEach((f, i) => {
        if (!f.attr.trim()) return;
        names[`#f${i}`] = f.attr.trim();
        if (f.op === "exists") filterParts.push(`attribute_exists(#f${i})`);
        else if (f.op === "not_exists") filterParts.push(`attribute_not_exists(#f${i})`);
        else {
          values[`:f${i}`] = scalar(f.type, f.value);
          filterParts.push(f.op === "begins_with" || f.op === "contains" ? `${f.op}(#f${i}, :f${i})` : `#f${i} ${f.op} :f${i}`);
        }
      });
      const common = {
        TableName: name,
        ...(index ? { IndexName: index } : {}),
        Limit: Number(limit),
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        ...(filterParts.length ? { FilterExpression: filterParts.join(" AND ") } : {}),
      };
      let r: { Items?: Item[]; LastEvaluatedKey?: Item; ScannedCount?: number };
      if (mode === "query") {
        names["#pk"] = pk;
        values[":pk"] = scalar(typeOf(pk), pkValue);
        let cond = "#pk = :pk";
        if (sk && skOp && (skValue !== "" || skOp === "between")) {
          names["#sk"] = sk;
          values[":sk"] = scalar(typeOf(sk), skValue);
          if (skOp === "begins_with") cond += " AND begins_with(#sk, :sk)";
          else if (skOp === "between") {
            values[":sk2"] = scalar(typeOf(sk), skValue2);
            cond += " AND #sk BETWEEN :sk AND :sk2";
          } else cond += ` AND #sk ${skOp} :sk`;
        }
        r = await ddb().send(new QueryCommand({ ...common, KeyConditionExpression: cond, ExpressionAttributeNames: names, ExpressionAttributeValues: values }));
      } else {
        r = await ddb().send(
          new ScanCommand({ ...common, ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}), ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}) }),
        );
      }
      setResults({ items: r.Items ?? [], lastKey: r.LastEvaluatedKey, scanned: r.ScannedCount });
      setPage(pageNo);
      setStartKeys((keys) => [...keys.slice(0, pageNo), startKey]);
      setSelected([]);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  // Like the AWS console, the explorer opens with a scan of the first page.
  useEffect(() => {
    void run(0, undefined);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [name]);

  const keyAttrs = [tablePk, ...(tableSk ? [tableSk] : [])];
  const columns = useMemo<Column<Item>[]>(() => {
    const seen = new Set<string>();
    for (const it of results?.items ?? []) for (const k of Object.keys(it)) seen.add(k);
    const order = [...keyAttrs, ...[pk, sk].filter((a): a is string => !!a && !keyAttrs.includes(a)), ...[...seen].filter((a) => !keyAttrs.includes(a) && a !== pk && a !== sk).sort()];
    return order.map((a, i) => ({
      id: a,
      header: a,
      sortValue: (it: Item) => (it[a]?.N !== undefined ? Number(it[a]!.N) : cellText(it[a])),
      cell: (it: Item) =>
        i === 0 ? (
          <button type="button" className="link-button" onClick={() => setEditing(it)} aria-label={`Edit item ${cellText(it[a])}${tableSk ? ` ${cellText(it[tableSk])}` : ""}`}>
            {cellText(it[a])}
          </button>
        ) : (
          <span style={{ whiteSpace: "pre-wrap", wordBreak: "break-word" }}>{cellText(it[a])}</span>
        ),
    }));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [results, pk, sk]);

  const selectedItems = (results?.items ?? []).filter((it) => selected.includes(itemKey(it, keyAttrs)));

  return (
    <>
      <Panel title="Scan or query items">
        <form
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            void run(0, undefined);
          }}
        >
          <div role="radiogroup" aria-label="Operation" style={{ display: "flex", gap: 16, marginBottom: 12 }}>
            {(["scan", "query"] as const).map((m) => (
              <label key={m} style={{ display: "inline-flex", gap: 6, alignItems: "center", fontWeight: 700 }}>
                <input type="radio" name="ddb-mode" checked={mode === m} onChange={() => setMode(m)} />
                {m === "scan" ? "Scan" : "Query"}
              </label>
            ))}
          </div>
          <div style={rowStyle}>
            <SelectField
              label="Table or index"
              value={index}
              onChange={(v) => {
                setIndex(v);
                setSkOp("");
              }}
              options={[{ value: "", label: `Table: ${name}` }, ...indexes.map((i) => ({ value: i.IndexName!, label: `Index: ${i.IndexName}` }))]}
            />
            <SelectField label="Page size" value={limit} onChange={setLimit} options={["25", "50", "100", "250"]} />
          </div>
          {mode === "query" && (
            <div style={rowStyle}>
              <TextField label={`Partition key: ${pk}`} value={pkValue} onChange={setPkValue} error={tried ? pkError : undefined} hint={`Type ${typeOf(pk)}`} />
              {sk && (
                <>
                  <SelectField label={`Sort key: ${sk}`} value={skOp} onChange={setSkOp} options={[{ value: "", label: "Any value" }, ...SK_OPS]} />
                  {skOp && <TextField label={skOp === "between" ? "Sort key from" : "Sort key value"} value={skValue} onChange={setSkValue} hint={`Type ${typeOf(sk)}`} />}
                  {skOp === "between" && <TextField label="Sort key to" value={skValue2} onChange={setSkValue2} />}
                </>
              )}
            </div>
          )}
          <fieldset>
            <legend>Filters (optional)</legend>
            {filters.map((f, i) => (
              <div key={i} style={{ ...rowStyle, alignItems: "flex-end" }}>
                <TextField label={`Filter ${i + 1} attribute`} value={f.attr} onChange={(v) => setFilters(filters.map((x, j) => (j === i ? { ...x, attr: v } : x)))} />
                <SelectField label={`Filter ${i + 1} condition`} value={f.op} onChange={(v) => setFilters(filters.map((x, j) => (j === i ? { ...x, op: v } : x)))} options={FILTER_OPS} />
                {f.op !== "exists" && f.op !== "not_exists" && (
                  <>
                    <SelectField
                      label={`Filter ${i + 1} type`}
                      value={f.type}
                      onChange={(v) => setFilters(filters.map((x, j) => (j === i ? { ...x, type: v } : x)))}
                      options={[
                        { value: "S", label: "String" },
                        { value: "N", label: "Number" },
                        { value: "BOOL", label: "Boolean" },
                      ]}
                    />
                    <TextField label={`Filter ${i + 1} value`} value={f.value} onChange={(v) => setFilters(filters.map((x, j) => (j === i ? { ...x, value: v } : x)))} />
                  </>
                )}
                <button type="button" className="btn btn-link" style={{ marginBottom: 20 }} onClick={() => setFilters(filters.filter((_, j) => j !== i))}>
                  Remove filter {i + 1}
                </button>
              </div>
            ))}
            <button type="button" className="btn" onClick={() => setFilters([...filters, { attr: "", op: "=", type: "S", value: "" }])}>
              Add filter
            </button>
          </fieldset>
          <div className="actions">
            <button type="submit" className="btn btn-primary" disabled={busy}>
              {busy ? "Running…" : "Run"}
            </button>
            <button
              type="button"
              className="btn"
              onClick={() => {
                setPkValue("");
                setSkOp("");
                setSkValue("");
                setSkValue2("");
                setFilters([]);
                setTried(false);
              }}
            >
              Reset
            </button>
          </div>
        </form>
        <ErrorAlert error={error} />
      </Panel>
      <Panel
        title="Items returned"
        actions={
          <>
            <button type="button" className="btn" disabled={selectedItems.length !== 1} onClick={() => setEditing(selectedItems[0])}>
              Edit item
            </button>
            <button type="button" className="btn" disabled={selectedItems.length === 0} onClick={() => setDeleting(true)}>
              Delete items
            </button>
            <button type="button" className="btn btn-primary" onClick={() => setEditing(null)}>
              Create item
            </button>
          </>
        }
      >
        {!results ? (
          <p className="muted">{busy ? "Scanning…" : "Choose Run to scan or query the table."}</p>
        ) : (
          <>
            <ResourceTable
              resourceName="items"
              items={results.items}
              columns={columns}
              rowKey={(it) => itemKey(it, keyAttrs)}
              loading={busy}
              selection="multi"
              selected={selected}
              onSelectionChange={setSelected}
              pageSize={1000}
              empty={<p>No items matched.</p>}
            />
            <div className="actions" style={{ marginTop: 8, alignItems: "center" }}>
              <button type="button" className="btn" disabled={page === 0 || busy} onClick={() => void run(page - 1, startKeys[page - 1])}>
                Previous results
              </button>
              <span className="muted">
                Results page {page + 1}
                {results.scanned !== undefined ? ` · ${results.scanned} items evaluated` : ""}
              </span>
              <button type="button" className="btn" disabled={!results.lastKey || busy} onClick={() => void run(page + 1, results.lastKey)}>
                More results
              </button>
            </div>
          </>
        )}
      </Panel>
      {editing !== undefined && (
        <ItemEditor
          table={table}
          item={editing ?? undefined}
          onClose={() => setEditing(undefined)}
          onSaved={() => {
            setEditing(undefined);
            if (results) void run(page, startKeys[page]);
          }}
        />
      )}
      {deleting && (
        <ConfirmDialog
          title={`Delete ${selectedItems.length} item${selectedItems.length === 1 ? "" : "s"}?`}
          onClose={() => setDeleting(false)}
          onConfirm={async () => {
            for (const it of selectedItems) {
              const Key = Object.fromEntries(keyAttrs.map((k) => [k, it[k]!]));
              await ddb().send(new DeleteItemCommand({ TableName: name, Key }));
            }
            notify(`${selectedItems.length} item${selectedItems.length === 1 ? "" : "s"} deleted`);
            setSelected([]);
            void run(page, startKeys[page]);
          }}
        >
          <p>The selected items are deleted from {name}. This cannot be undone.</p>
        </ConfirmDialog>
      )}
    </>
  );
}

// ---------------------------------------------------------------- item editor
function ItemEditor({ table, item, onClose, onSaved }: { table: TableDescription; item?: Item; onClose: () => void; onSaved: () => void }) {
  const name = table.TableName!;
  const keys = [keyOf(table.KeySchema, "HASH")!, ...(keyOf(table.KeySchema, "RANGE") ? [keyOf(table.KeySchema, "RANGE")!] : [])];
  const typeOf = (a: string) => table.AttributeDefinitions?.find((d) => d.AttributeName === a)?.AttributeType ?? "S";
  const plainOk = !item || Object.values(item).every(plainExpressible);
  const [format, setFormat] = useState<"json" | "ddb">(plainOk ? "json" : "ddb");
  const initial = (): string => {
    if (item) return JSON.stringify(plainOk ? unmarshall(item) : toDdbJson(item), null, 2);
    const skeleton = Object.fromEntries(keys.map((k) => [k, typeOf(k) === "N" ? 0 : ""]));
    return JSON.stringify(skeleton, null, 2);
  };
  const [text, setText] = useState(initial);
  const [problem, setProblem] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();

  const parse = (src: string, fmt: "json" | "ddb"): Item => {
    const value = JSON.parse(src) as unknown;
    if (!value || typeof value !== "object" || Array.isArray(value)) throw new Error("The item must be a JSON object.");
    if (fmt === "json") return marshall(value as Record<string, unknown>, { removeUndefinedValues: true });
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fromDdbJson(v, k)]));
  };

  const switchFormat = (to: "json" | "ddb") => {
    if (to === format) return;
    if (jsonProblem(text)) {
      setFormat(to);
      return;
    }
    try {
      const av = parse(text, format);
      if (to === "json" && !Object.values(av).every(plainExpressible)) {
        setProblem("This item has sets or binary values, which plain JSON cannot express: keep editing it as DynamoDB JSON.");
        return;
      }
      setText(JSON.stringify(to === "json" ? unmarshall(av) : toDdbJson(av), null, 2));
      setFormat(to);
      setProblem(undefined);
    } catch (e) {
      setProblem((e as Error).message);
    }
  };

  const save = async () => {
    if (jsonProblem(text)) return;
    let av: Item;
    try {
      av = parse(text, format);
      for (const k of keys) {
        const v = av[k];
        const t = typeOf(k);
        if (!v) throw new Error(`The item needs its key attribute ${k}.`);
        if (!(t in v)) throw new Error(`Key attribute ${k} must be of type ${t === "S" ? "String" : t === "N" ? "Number" : "Binary"}.`);
        if (t === "S" && v.S === "") throw new Error(`Key attribute ${k} cannot be empty.`);
      }
    } catch (e) {
      setProblem((e as Error).message);
      return;
    }
    setProblem(undefined);
    setBusy(true);
    setError(undefined);
    try {
      const oldKey = item ? itemKey(item, keys) : undefined;
      const moved = item && oldKey !== itemKey(av, keys);
      await ddb().send(
        new PutItemCommand({
          TableName: name,
          Item: av,
          // A new item (or an edit that changes the key) must not overwrite another item.
          ...(!item || moved ? { ConditionExpression: `attribute_not_exists(#k)`, ExpressionAttributeNames: { "#k": keys[0]! } } : {}),
        }),
      );
      if (item && moved) await ddb().send(new DeleteItemCommand({ TableName: name, Key: Object.fromEntries(keys.map((k) => [k, item[k]!])) }));
      notify(item ? "Item saved" : "Item created");
      onSaved();
    } catch (e) {
      setError((e as { name?: string }).name === "ConditionalCheckFailedException" ? new Error("An item with this key already exists.") : e);
      setBusy(false);
    }
  };

  return (
    <Modal
      title={item ? "Edit item" : "Create item"}
      onClose={onClose}
      wide
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="button" className="btn btn-primary" disabled={busy} onClick={() => void save()}>
            {busy ? "Saving…" : item ? "Save item" : "Create item"}
          </button>
        </>
      }
    >
      <div role="radiogroup" aria-label="Item format" style={{ display: "flex", gap: 16, marginBottom: 12, flexWrap: "wrap" }}>
        {(
          [
            ["json", "JSON"],
            ["ddb", "DynamoDB JSON"],
          ] as const
        ).map(([f, label]) => (
          <label key={f} style={{ display: "inline-flex", gap: 6, alignItems: "center", fontWeight: 700 }}>
            <input type="radio" name="item-format" checked={format === f} onChange={() => switchFormat(f)} />
            {label}
          </label>
        ))}
      </div>
      <JsonEditor
        label="Item"
        value={text}
        onChange={(v) => {
          setText(v);
          setProblem(undefined);
        }}
        rows={16}
        hint={format === "json" ? `Plain JSON: strings, numbers, booleans, null, lists and maps. Key: ${keys.join(", ")}.` : `Each value typed, like {"S": "text"} or {"N": "42"}. Key: ${keys.join(", ")}.`}
        extraError={problem}
      />
      {item && <Alert kind="info">Changing the key attributes saves a new item and deletes the old one.</Alert>}
      <ErrorAlert error={error} />
    </Modal>
  );
}
