/**
 * DynamoDB: the tables list with a create-table form, and a table's page (overview, indexes,
 * items explorer, metrics). Routes: dynamodb, dynamodb/tables, dynamodb/tables/<name>.
 */
import { useState } from "react";
import { CreateTableCommand, DeleteTableCommand, DescribeTableCommand, DynamoDBClient, ListTablesCommand, type AttributeDefinition, type GlobalSecondaryIndex, type LocalSecondaryIndex, type Projection, type ProjectionType, type ScalarAttributeType, type TableDescription } from "@aws-sdk/client-dynamodb";
import { client } from "../../aws.ts";
import { Link, navigate } from "../../router.tsx";
import type { ServicePageProps } from "../../services.ts";
import { Alert, Checkbox, ConfirmDialog, ErrorAlert, KeyValue, Modal, PageHeader, Panel, ResourceTable, SelectField, Spinner, StatusBadge, Tabs, TextField, formatBytes, formatDate, notify, useAsync, useBreadcrumbs, type Column } from "../../ui/index.ts";
import { ItemsExplorer } from "./items.tsx";
import { TableMetrics } from "./metrics.tsx";
import { keyOf, rowStyle } from "./util.ts";

const ddb = () => client(DynamoDBClient);

/** Tabs on a white strip: the shell's blue on the grey page is below 4.5:1 contrast. */
const tabStrip = { background: "#fff", borderRadius: 8, padding: "0 8px" } as const;

export default function Page({ path }: ServicePageProps) {
  if (path[0] === "tables" && path[1]) return <TableDetail name={path[1]} tab={path[2]} />;
  return <TablesList />;
}

function attrType(t: TableDescription | undefined, name: string | undefined): string {
  return (name && t?.AttributeDefinitions?.find((a) => a.AttributeName === name)?.AttributeType) || "";
}

function keyLabel(t: TableDescription, name: string | undefined): string {
  return name ? `${name} (${attrType(t, name)})` : "-";
}

function statusBadge(status: string | undefined) {
  const kind = status === "ACTIVE" ? "ok" : status === "CREATING" || status === "UPDATING" ? "warn" : status === "DELETING" ? "error" : "neutral";
  return <StatusBadge kind={kind}>{status ?? "-"}</StatusBadge>;
}

function billing(t: TableDescription): string {
  return t.BillingModeSummary?.BillingMode === "PAY_PER_REQUEST" ? "On-demand" : "Provisioned";
}

async function listTables(): Promise<TableDescription[]> {
  const names: string[] = [];
  let start: string | undefined;
  do {
    const r = await ddb().send(new ListTablesCommand({ ExclusiveStartTableName: start }));
    names.push(...(r.TableNames ?? []));
    start = r.LastEvaluatedTableName;
  } while (start);
  const out: TableDescription[] = [];
  for (let i = 0; i < names.length; i += 8) {
    const batch = await Promise.all(names.slice(i, i + 8).map((n) => ddb().send(new DescribeTableCommand({ TableName: n })).then((r) => r.Table ?? { TableName: n })));
    out.push(...batch);
  }
  return out;
}

function TablesList() {
  useBreadcrumbs([{ label: "DynamoDB" }, { label: "Tables" }]);
  const tables = useAsync(listTables);
  const [creating, setCreating] = useState(false);
  const [selected, setSelected] = useState<string[]>([]);
  const [deleting, setDeleting] = useState(false);
  const columns: Column<TableDescription>[] = [
    { id: "name", header: "Name", sortValue: (t) => t.TableName, cell: (t) => <Link to={`dynamodb/tables/${encodeURIComponent(t.TableName!)}`}>{t.TableName}</Link> },
    { id: "status", header: "Status", sortValue: (t) => t.TableStatus, cell: (t) => statusBadge(t.TableStatus) },
    { id: "pk", header: "Partition key", sortValue: (t) => keyOf(t.KeySchema, "HASH"), cell: (t) => keyLabel(t, keyOf(t.KeySchema, "HASH")) },
    { id: "sk", header: "Sort key", sortValue: (t) => keyOf(t.KeySchema, "RANGE") ?? "", cell: (t) => keyLabel(t, keyOf(t.KeySchema, "RANGE")) },
    { id: "indexes", header: "Indexes", sortValue: (t) => (t.GlobalSecondaryIndexes?.length ?? 0) + (t.LocalSecondaryIndexes?.length ?? 0) },
    { id: "items", header: "Item count", sortValue: (t) => t.ItemCount ?? 0 },
    { id: "size", header: "Size", sortValue: (t) => t.TableSizeBytes ?? 0, cell: (t) => formatBytes(t.TableSizeBytes) },
    { id: "billing", header: "Billing mode", sortValue: (t) => billing(t) },
  ];
  const createButton = (
    <button type="button" className="btn btn-primary" onClick={() => setCreating(true)}>
      Create table
    </button>
  );
  return (
    <>
      <PageHeader
        title="Tables"
        count={tables.data?.length}
        description="DynamoDB tables in this region: keys, indexes, items and capacity."
        actions={
          <>
            <button type="button" className="btn" onClick={tables.reload} aria-label="Refresh tables">
              Refresh
            </button>
            <button type="button" className="btn" disabled={selected.length === 0} onClick={() => setDeleting(true)}>
              Delete
            </button>
            {createButton}
          </>
        }
      />
      <Panel>
        <ResourceTable
          resourceName="tables"
          items={tables.data}
          loading={tables.loading}
          error={tables.error}
          onRetry={tables.reload}
          columns={columns}
          rowKey={(t) => t.TableName!}
          selection="single"
          selected={selected}
          onSelectionChange={setSelected}
          defaultSort={{ column: "name" }}
          empty={
            <>
              <p>No tables in this region.</p>
              {createButton}
            </>
          }
        />
      </Panel>
      {creating && (
        <CreateTable
          onClose={() => setCreating(false)}
          onCreated={(name) => {
            setCreating(false);
            navigate(`dynamodb/tables/${encodeURIComponent(name)}`);
          }}
        />
      )}
      {deleting && selected[0] && (
        <DeleteTable
          name={selected[0]}
          onClose={() => setDeleting(false)}
          onDeleted={() => {
            setSelected([]);
            tables.reload();
          }}
        />
      )}
    </>
  );
}

function DeleteTable({ name, onClose, onDeleted }: { name: string; onClose: () => void; onDeleted: () => void }) {
  return (
    <ConfirmDialog
      title={`Delete table ${name}?`}
      confirmText="delete"
      onClose={onClose}
      onConfirm={async () => {
        await ddb().send(new DeleteTableCommand({ TableName: name }));
        notify(`Table ${name} deleted`);
        onDeleted();
      }}
    >
      <p>All of the table's items and indexes are deleted. This cannot be undone.</p>
    </ConfirmDialog>
  );
}

const TYPES = [
  { value: "S", label: "String" },
  { value: "N", label: "Number" },
  { value: "B", label: "Binary" },
];

interface GsiDraft {
  name: string;
  pk: string;
  pkType: string;
  sk: string;
  skType: string;
}

interface LsiDraft {
  name: string;
  sk: string;
  skType: string;
  projection: string;
  /** INCLUDE: the non-key attributes to project, comma-separated. */
  include: string;
}

const PROJECTIONS = [
  { value: "ALL", label: "All attributes" },
  { value: "KEYS_ONLY", label: "Keys only" },
  { value: "INCLUDE", label: "Keys and the attributes listed" },
];

const includeNames = (text: string) => text.split(",").map((a) => a.trim()).filter(Boolean);

const NAME_RE = /^[a-zA-Z0-9_.-]{3,255}$/;

function CreateTable({ onClose, onCreated }: { onClose: () => void; onCreated: (name: string) => void }) {
  const [name, setName] = useState("");
  const [pk, setPk] = useState("");
  const [pkType, setPkType] = useState("S");
  const [hasSk, setHasSk] = useState(false);
  const [sk, setSk] = useState("");
  const [skType, setSkType] = useState("S");
  const [mode, setMode] = useState("PAY_PER_REQUEST");
  const [rcu, setRcu] = useState("5");
  const [wcu, setWcu] = useState("5");
  const [gsis, setGsis] = useState<GsiDraft[]>([]);
  const [lsis, setLsis] = useState<LsiDraft[]>([]);
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();

  const errors: Record<string, string | undefined> = {
    name: !NAME_RE.test(name) ? "3 to 255 characters: letters, digits, underscore (_), hyphen (-) and period (.)." : undefined,
    pk: !pk.trim() ? "Enter the partition key's name." : undefined,
    sk: hasSk && !sk.trim() ? "Enter the sort key's name." : hasSk && sk === pk ? "The sort key must differ from the partition key." : undefined,
    rcu: mode === "PROVISIONED" && !(Number(rcu) >= 1 && Number.isInteger(Number(rcu))) ? "A whole number, 1 or more." : undefined,
    wcu: mode === "PROVISIONED" && !(Number(wcu) >= 1 && Number.isInteger(Number(wcu))) ? "A whole number, 1 or more." : undefined,
  };
  gsis.forEach((g, i) => {
    errors[`gsi${i}name`] = !NAME_RE.test(g.name) ? "3 to 255 characters: letters, digits, _ - and ." : gsis.findIndex((x) => x.name === g.name) !== i ? "Index names must be unique." : undefined;
    errors[`gsi${i}pk`] = !g.pk.trim() ? "Enter the index's partition key." : undefined;
  });
  const indexNames = [...gsis.map((g) => g.name), ...lsis.map((l) => l.name)];
  errors.lsi = lsis.length > 0 && !hasSk ? "Local secondary indexes need the table to have a sort key: add one above, or remove the local indexes." : lsis.length > 5 ? "At most 5 local secondary indexes." : undefined;
  lsis.forEach((l, i) => {
    errors[`lsi${i}name`] = !NAME_RE.test(l.name) ? "3 to 255 characters: letters, digits, _ - and ." : indexNames.indexOf(l.name) !== gsis.length + i ? "Index names must be unique." : undefined;
    errors[`lsi${i}sk`] = !l.sk.trim() ? "Enter the index's sort key." : l.sk.trim() === pk.trim() ? "The sort key must differ from the table's partition key." : undefined;
    const inc = includeNames(l.include);
    errors[`lsi${i}include`] = l.projection !== "INCLUDE" ? undefined : inc.length === 0 ? "Enter at least one attribute name." : new Set(inc).size !== inc.length ? "Each attribute once." : undefined;
  });
  const valid = Object.values(errors).every((e) => !e);
  const show = (k: string) => (tried ? errors[k] : undefined);
  const setLsi = (i: number, patch: Partial<LsiDraft>) => setLsis(lsis.map((l, j) => (j === i ? { ...l, ...patch } : l)));
  const setGsi = (i: number, patch: Partial<GsiDraft>) => setGsis(gsis.map((g, j) => (j === i ? { ...g, ...patch } : g)));

  const submit = async () => {
    setTried(true);
    if (!valid) return;
    setBusy(true);
    setError(undefined);
    const defs = new Map<string, string>();
    const define = (n: string, t: string) => {
      const had = defs.get(n);
      if (had && had !== t) throw new Error(`Attribute ${n} is used with two types (${had} and ${t}).`);
      defs.set(n, t);
    };
    try {
      define(pk.trim(), pkType);
      if (hasSk) define(sk.trim(), skType);
      const indexes: GlobalSecondaryIndex[] = gsis.map((g) => {
        define(g.pk.trim(), g.pkType);
        if (g.sk.trim()) define(g.sk.trim(), g.skType);
        return {
          IndexName: g.name,
          KeySchema: [{ AttributeName: g.pk.trim(), KeyType: "HASH" }, ...(g.sk.trim() ? [{ AttributeName: g.sk.trim(), KeyType: "RANGE" as const }] : [])],
          Projection: { ProjectionType: "ALL" },
          ...(mode === "PROVISIONED" ? { ProvisionedThroughput: { ReadCapacityUnits: Number(rcu), WriteCapacityUnits: Number(wcu) } } : {}),
        };
      });
      const locals: LocalSecondaryIndex[] = lsis.map((l) => {
        define(l.sk.trim(), l.skType);
        return {
          IndexName: l.name,
          KeySchema: [
            { AttributeName: pk.trim(), KeyType: "HASH" },
            { AttributeName: l.sk.trim(), KeyType: "RANGE" },
          ],
          Projection: { ProjectionType: l.projection as ProjectionType, ...(l.projection === "INCLUDE" ? { NonKeyAttributes: includeNames(l.include) } : {}) },
        };
      });
      const attributes: AttributeDefinition[] = [...defs].map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType: AttributeType as ScalarAttributeType }));
      await ddb().send(
        new CreateTableCommand({
          TableName: name,
          AttributeDefinitions: attributes,
          KeySchema: [{ AttributeName: pk.trim(), KeyType: "HASH" }, ...(hasSk ? [{ AttributeName: sk.trim(), KeyType: "RANGE" as const }] : [])],
          BillingMode: mode as "PAY_PER_REQUEST" | "PROVISIONED",
          ...(mode === "PROVISIONED" ? { ProvisionedThroughput: { ReadCapacityUnits: Number(rcu), WriteCapacityUnits: Number(wcu) } } : {}),
          ...(indexes.length ? { GlobalSecondaryIndexes: indexes } : {}),
          ...(locals.length ? { LocalSecondaryIndexes: locals } : {}),
        }),
      );
      notify(`Table ${name} created`);
      onCreated(name);
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };

  return (
    <Modal
      title="Create table"
      onClose={onClose}
      wide
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" form="create-table" className="btn btn-primary" disabled={busy}>
            {busy ? "Creating…" : "Create table"}
          </button>
        </>
      }
    >
      <form
        id="create-table"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <TextField label="Table name" value={name} onChange={setName} error={show("name")} autoComplete="off" />
        <fieldset>
          <legend>Partition key</legend>
          <div style={rowStyle}>
            <TextField label="Partition key name" value={pk} onChange={setPk} error={show("pk")} autoComplete="off" />
            <SelectField label="Partition key type" value={pkType} onChange={setPkType} options={TYPES} />
          </div>
        </fieldset>
        <fieldset>
          <legend>Sort key</legend>
          <Checkbox label="Add a sort key" checked={hasSk} onChange={setHasSk} />
          {hasSk && (
            <div style={rowStyle}>
              <TextField label="Sort key name" value={sk} onChange={setSk} error={show("sk")} autoComplete="off" />
              <SelectField label="Sort key type" value={skType} onChange={setSkType} options={TYPES} />
            </div>
          )}
        </fieldset>
        <fieldset>
          <legend>Capacity</legend>
          <SelectField
            label="Billing mode"
            value={mode}
            onChange={setMode}
            options={[
              { value: "PAY_PER_REQUEST", label: "On-demand" },
              { value: "PROVISIONED", label: "Provisioned" },
            ]}
          />
          {mode === "PROVISIONED" && (
            <div style={rowStyle}>
              <TextField label="Read capacity units" type="number" min={1} value={rcu} onChange={setRcu} error={show("rcu")} />
              <TextField label="Write capacity units" type="number" min={1} value={wcu} onChange={setWcu} error={show("wcu")} />
            </div>
          )}
        </fieldset>
        <fieldset>
          <legend>Global secondary indexes</legend>
          {gsis.length === 0 && <p className="muted">No indexes. Indexes let you query by other attributes.</p>}
          {gsis.map((g, i) => (
            <div key={i} style={{ borderBottom: "1px solid #e9ebed", marginBottom: 10 }}>
              <div style={rowStyle}>
                <TextField label={`Index ${i + 1} name`} value={g.name} onChange={(v) => setGsi(i, { name: v })} error={show(`gsi${i}name`)} autoComplete="off" />
                <TextField label={`Index ${i + 1} partition key`} value={g.pk} onChange={(v) => setGsi(i, { pk: v })} error={show(`gsi${i}pk`)} autoComplete="off" />
                <SelectField label={`Index ${i + 1} partition key type`} value={g.pkType} onChange={(v) => setGsi(i, { pkType: v })} options={TYPES} />
                <TextField label={`Index ${i + 1} sort key (optional)`} value={g.sk} onChange={(v) => setGsi(i, { sk: v })} autoComplete="off" />
                <SelectField label={`Index ${i + 1} sort key type`} value={g.skType} onChange={(v) => setGsi(i, { skType: v })} options={TYPES} />
              </div>
              <button type="button" className="btn btn-link" style={{ marginBottom: 10 }} onClick={() => setGsis(gsis.filter((_, j) => j !== i))}>
                Remove index {i + 1}
              </button>
            </div>
          ))}
          <button type="button" className="btn" onClick={() => setGsis([...gsis, { name: "", pk: "", pkType: "S", sk: "", skType: "S" }])}>
            Add index
          </button>
        </fieldset>
        <fieldset>
          <legend>Local secondary indexes</legend>
          <p className="muted" id="lsi-note">
            A local index keeps the table's partition key and sorts by another attribute. It needs the table to have a sort key, and can only be added when the table is created.
          </p>
          {tried && errors.lsi && (
            <div className="field-error" role="alert">
              {errors.lsi}
            </div>
          )}
          {lsis.map((l, i) => (
            <div key={i} style={{ borderBottom: "1px solid #e9ebed", marginBottom: 10 }}>
              <div style={rowStyle}>
                <TextField label={`Local index ${i + 1} name`} value={l.name} onChange={(v) => setLsi(i, { name: v })} error={show(`lsi${i}name`)} autoComplete="off" />
                <TextField label={`Local index ${i + 1} sort key`} value={l.sk} onChange={(v) => setLsi(i, { sk: v })} error={show(`lsi${i}sk`)} autoComplete="off" hint={pk.trim() ? `Partition key: ${pk.trim()}` : undefined} />
                <SelectField label={`Local index ${i + 1} sort key type`} value={l.skType} onChange={(v) => setLsi(i, { skType: v })} options={TYPES} />
                <SelectField label={`Local index ${i + 1} projection`} value={l.projection} onChange={(v) => setLsi(i, { projection: v })} options={PROJECTIONS} />
                {l.projection === "INCLUDE" && (
                  <TextField label={`Local index ${i + 1} projected attributes`} value={l.include} onChange={(v) => setLsi(i, { include: v })} error={show(`lsi${i}include`)} hint="Attribute names, comma-separated." autoComplete="off" />
                )}
              </div>
              <button type="button" className="btn btn-link" style={{ marginBottom: 10 }} onClick={() => setLsis(lsis.filter((_, j) => j !== i))}>
                Remove local index {i + 1}
              </button>
            </div>
          ))}
          <button type="button" className="btn" aria-describedby="lsi-note" disabled={lsis.length >= 5} onClick={() => setLsis([...lsis, { name: "", sk: "", skType: "S", projection: "ALL", include: "" }])}>
            Add local index
          </button>
        </fieldset>
        {tried && !valid && <Alert kind="error" title="Check the fields marked above." />}
        <ErrorAlert error={error} />
      </form>
    </Modal>
  );
}

const TABS = [
  { id: "overview", label: "Overview" },
  { id: "indexes", label: "Indexes" },
  { id: "items", label: "Items" },
  { id: "metrics", label: "Metrics" },
];

function TableDetail({ name, tab = "overview" }: { name: string; tab?: string }) {
  useBreadcrumbs([{ label: "DynamoDB", to: "dynamodb" }, { label: "Tables", to: "dynamodb/tables" }, { label: name }]);
  const table = useAsync(() => ddb().send(new DescribeTableCommand({ TableName: name })).then((r) => r.Table!), [name]);
  const [deleting, setDeleting] = useState(false);
  const active = TABS.some((t) => t.id === tab) ? tab : "overview";
  const t = table.data;
  return (
    <>
      <PageHeader
        title={name}
        description={t ? <>{statusBadge(t.TableStatus)} <span className="arn">{t.TableArn}</span></> : undefined}
        actions={
          <>
            <button type="button" className="btn" onClick={table.reload}>
              Refresh
            </button>
            <button type="button" className="btn btn-danger" onClick={() => setDeleting(true)}>
              Delete table
            </button>
          </>
        }
      />
      {table.error ? (
        <ErrorAlert error={table.error} onRetry={table.reload} />
      ) : !t ? (
        <Spinner label="Loading the table" />
      ) : (
        <>
          <div style={tabStrip}>
            <Tabs tabs={TABS} active={active} onChange={(id) => navigate(`dynamodb/tables/${encodeURIComponent(name)}${id === "overview" ? "" : `/${id}`}`, { replace: true })} />
          </div>
          <div role="tabpanel" aria-labelledby={`tab-${active}`}>
            {active === "overview" && <Overview t={t} />}
            {active === "indexes" && <Indexes t={t} />}
            {active === "items" && <ItemsExplorer table={t} />}
            {active === "metrics" && <TableMetrics name={name} />}
          </div>
        </>
      )}
      {deleting && <DeleteTable name={name} onClose={() => setDeleting(false)} onDeleted={() => navigate("dynamodb/tables")} />}
    </>
  );
}

function Overview({ t }: { t: TableDescription }) {
  const pk = keyOf(t.KeySchema, "HASH");
  const sk = keyOf(t.KeySchema, "RANGE");
  return (
    <Panel title="General information">
      <KeyValue
        items={[
          ["Table name", t.TableName],
          ["Status", statusBadge(t.TableStatus)],
          ["Partition key", keyLabel(t, pk)],
          ["Sort key", sk ? keyLabel(t, sk) : "-"],
          ["Billing mode", billing(t)],
          ["Read capacity units", billing(t) === "On-demand" ? "On-demand" : String(t.ProvisionedThroughput?.ReadCapacityUnits ?? "-")],
          ["Write capacity units", billing(t) === "On-demand" ? "On-demand" : String(t.ProvisionedThroughput?.WriteCapacityUnits ?? "-")],
          ["Item count", String(t.ItemCount ?? 0)],
          ["Table size", formatBytes(t.TableSizeBytes)],
          ["Global secondary indexes", String(t.GlobalSecondaryIndexes?.length ?? 0)],
          ["Local secondary indexes", String(t.LocalSecondaryIndexes?.length ?? 0)],
          ["Stream", t.StreamSpecification?.StreamEnabled ? `${t.StreamSpecification.StreamViewType ?? ""}` : "Off"],
          ["Deletion protection", t.DeletionProtectionEnabled ? "On" : "Off"],
          ["Table class", t.TableClassSummary?.TableClass ?? "STANDARD"],
          ["Created", formatDate(t.CreationDateTime)],
          ["Amazon Resource Name (ARN)", <span className="arn">{t.TableArn}</span>],
        ]}
      />
    </Panel>
  );
}

interface IndexRow {
  name: string;
  kind: string;
  pk?: string;
  sk?: string;
  projection: string;
  status: string;
  items?: number;
}

function projectionLabel(p: Projection | undefined): string {
  if (!p?.ProjectionType) return "-";
  return p.ProjectionType === "INCLUDE" ? `INCLUDE (${(p.NonKeyAttributes ?? []).join(", ")})` : p.ProjectionType;
}

function Indexes({ t }: { t: TableDescription }) {
  const rows: IndexRow[] = [
    ...(t.GlobalSecondaryIndexes ?? []).map((g) => ({ name: g.IndexName!, kind: "Global", pk: keyOf(g.KeySchema, "HASH"), sk: keyOf(g.KeySchema, "RANGE"), projection: projectionLabel(g.Projection), status: g.IndexStatus ?? "ACTIVE", items: g.ItemCount })),
    ...(t.LocalSecondaryIndexes ?? []).map((l) => ({ name: l.IndexName!, kind: "Local", pk: keyOf(l.KeySchema, "HASH"), sk: keyOf(l.KeySchema, "RANGE"), projection: projectionLabel(l.Projection), status: "ACTIVE", items: l.ItemCount })),
  ];
  return (
    <Panel title="Indexes">
      <ResourceTable
        resourceName="indexes"
        items={rows}
        rowKey={(r) => r.name}
        columns={[
          { id: "name", header: "Name" },
          { id: "kind", header: "Type" },
          { id: "pk", header: "Partition key", cell: (r) => keyLabel(t, r.pk) },
          { id: "sk", header: "Sort key", cell: (r) => keyLabel(t, r.sk) },
          { id: "projection", header: "Projected attributes" },
          { id: "status", header: "Status", cell: (r) => statusBadge(r.status) },
          { id: "items", header: "Item count", sortValue: (r) => r.items ?? 0 },
        ]}
        empty={<p>This table has no secondary indexes.</p>}
      />
    </Panel>
  );
}
