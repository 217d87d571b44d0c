/** Message attribute rows (name, type, value), shared by SQS send and SNS publish. */
import { SelectField, TextField } from "../../ui/index.ts";

export interface AttributeRow {
  name: string;
  type: string;
  value: string;
}

export const ATTRIBUTE_TYPES = ["String", "Number", "Binary"];

/** Problems per row index ("" when fine). */
export function attributeProblems(rows: AttributeRow[]): string[] {
  return rows.map((r, i) => {
    if (!r.name.trim()) return "Enter a name.";
    if (rows.findIndex((x) => x.name.trim() === r.name.trim()) !== i) return "Names must be unique.";
    if (r.value === "") return "Enter a value.";
    if (r.type === "Number" && Number.isNaN(Number(r.value))) return "Enter a number.";
    if (r.type === "Binary") {
      try {
        atob(r.value);
      } catch {
        return "Enter base64 text.";
      }
    }
    return "";
  });
}

export function toBytes(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** The rows as the SDK's MessageAttributes map. */
export function attributeMap(rows: AttributeRow[]): Record<string, { DataType: string; StringValue?: string; BinaryValue?: Uint8Array }> {
  return Object.fromEntries(rows.map((r) => [r.name.trim(), r.type === "Binary" ? { DataType: "Binary", BinaryValue: toBytes(r.value) } : { DataType: r.type, StringValue: r.value }]));
}

export function AttributesEditor({ rows, onChange, showErrors }: { rows: AttributeRow[]; onChange: (rows: AttributeRow[]) => void; showErrors: boolean }) {
  const problems = attributeProblems(rows);
  const set = (i: number, patch: Partial<AttributeRow>) => onChange(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  return (
    <fieldset>
      <legend>Message attributes (optional)</legend>
      {rows.map((r, i) => (
        <div key={i} style={{ display: "flex", flexWrap: "wrap", gap: "0 12px", alignItems: "flex-end" }}>
          <TextField label={`Attribute ${i + 1} name`} value={r.name} onChange={(v) => set(i, { name: v })} error={showErrors && problems[i] && !r.name.trim() ? problems[i] : showErrors && problems[i] === "Names must be unique." ? problems[i] : undefined} />
          <SelectField label={`Attribute ${i + 1} type`} value={r.type} onChange={(v) => set(i, { type: v })} options={ATTRIBUTE_TYPES} />
          <TextField label={`Attribute ${i + 1} value`} value={r.value} onChange={(v) => set(i, { value: v })} error={showErrors && problems[i] && r.name.trim() && problems[i] !== "Names must be unique." ? problems[i] : undefined} />
          <button type="button" className="btn btn-link" style={{ marginBottom: 20 }} onClick={() => onChange(rows.filter((_, j) => j !== i))}>
            Remove attribute {i + 1}
          </button>
        </div>
      ))}
      <button type="button" className="btn" onClick={() => onChange([...rows, { name: "", type: "String", value: "" }])}>
        Add attribute
      </button>
    </fieldset>
  );
}
