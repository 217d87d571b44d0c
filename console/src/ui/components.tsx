/**
 * Shared building blocks: page header and breadcrumbs, alerts, spinner, fields, modal, confirm,
 * tabs, key-value details, toasts. Every control is labelled and keyboard reachable.
 */
import { createContext, useContext, useEffect, useId, useRef, useState, type ReactNode } from "react";
import { errorMessage, isAccessDenied } from "../aws.ts";
import { Link } from "../router.tsx";

// ---------------------------------------------------------------- breadcrumbs
export interface Crumb {
  label: string;
  to?: string;
}
export const BreadcrumbContext = createContext<(c: Crumb[]) => void>(() => undefined);

/** Set the header's breadcrumbs for this page. */
export function useBreadcrumbs(crumbs: Crumb[]): void {
  const set = useContext(BreadcrumbContext);
  const key = JSON.stringify(crumbs);
  useEffect(() => {
    set(crumbs);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, set]);
}

export function Breadcrumbs({ crumbs }: { crumbs: Crumb[] }) {
  if (crumbs.length === 0) return null;
  return (
    <nav aria-label="Breadcrumbs" className="breadcrumbs">
      <ol>
        {crumbs.map((c, i) => (
          <li key={i}>{c.to && i < crumbs.length - 1 ? <Link to={c.to}>{c.label}</Link> : <span aria-current={i === crumbs.length - 1 ? "page" : undefined}>{c.label}</span>}</li>
        ))}
      </ol>
    </nav>
  );
}

// ---------------------------------------------------------------- layout
export function PageHeader({ title, description, actions, count }: { title: ReactNode; description?: ReactNode; actions?: ReactNode; count?: number }) {
  return (
    <div className="page-header">
      <div>
        <h1>
          {title}
          {count !== undefined && <span className="count"> ({count})</span>}
        </h1>
        {description && <p className="description">{description}</p>}
      </div>
      {actions && <div className="actions">{actions}</div>}
    </div>
  );
}

export function Panel({ title, actions, children }: { title?: ReactNode; actions?: ReactNode; children: ReactNode }) {
  return (
    <section className="panel">
      {(title || actions) && (
        <div className="panel-header">
          {title && <h2>{title}</h2>}
          {actions && <div className="actions">{actions}</div>}
        </div>
      )}
      <div className="panel-body">{children}</div>
    </section>
  );
}

// ---------------------------------------------------------------- feedback
export function Alert({ kind = "info", title, children }: { kind?: "info" | "success" | "warning" | "error"; title?: ReactNode; children?: ReactNode }) {
  return (
    <div className={`alert alert-${kind}`} role={kind === "error" ? "alert" : "status"}>
      {title && <strong className="alert-title">{title}</strong>}
      {children && <div>{children}</div>}
    </div>
  );
}

/** An error from the SDK or the console API; IAM denials are titled "Access denied". */
export function ErrorAlert({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  if (!error) return null;
  return (
    <Alert kind="error" title={isAccessDenied(error) ? "Access denied" : "Something went wrong"}>
      <span className="error-text">{isAccessDenied(error) ? ((error as { message?: string }).message ?? errorMessage(error)) : errorMessage(error)}</span>
      {onRetry && (
        <button type="button" className="btn btn-link" onClick={onRetry}>
          Retry
        </button>
      )}
    </Alert>
  );
}

export function Spinner({ label = "Loading" }: { label?: string }) {
  return (
    <span className="spinner" role="status" aria-live="polite">
      <span className="spinner-dot" aria-hidden="true" />
      {label}…
    </span>
  );
}

// ---------------------------------------------------------------- toasts
interface Toast {
  id: number;
  kind: "success" | "error" | "info";
  text: string;
}
let toastId = 0;
const toastListeners = new Set<(t: Toast[]) => void>();
let toasts: Toast[] = [];

/** Show a short message in the corner (success by default). */
export function notify(text: string, kind: Toast["kind"] = "success"): void {
  const t = { id: ++toastId, kind, text };
  toasts = [...toasts, t];
  for (const l of toastListeners) l(toasts);
  setTimeout(() => {
    toasts = toasts.filter((x) => x.id !== t.id);
    for (const l of toastListeners) l(toasts);
  }, kind === "error" ? 8000 : 4000);
}

export function Toasts() {
  const [list, setList] = useState<Toast[]>(toasts);
  useEffect(() => {
    toastListeners.add(setList);
    return () => {
      toastListeners.delete(setList);
    };
  }, []);
  return (
    <div className="toasts" aria-live="polite">
      {list.map((t) => (
        <div key={t.id} className={`toast toast-${t.kind}`} role={t.kind === "error" ? "alert" : "status"}>
          {t.text}
        </div>
      ))}
    </div>
  );
}

// ---------------------------------------------------------------- form fields
export function Field({ label, hint, error, children, id }: { label: ReactNode; hint?: ReactNode; error?: ReactNode; children: (id: string, describedBy: string | undefined) => ReactNode; id?: string }) {
  const auto = useId();
  const fid = id ?? auto;
  const hintId = hint ? `${fid}-hint` : undefined;
  const errId = error ? `${fid}-err` : undefined;
  const describedBy = [hintId, errId].filter(Boolean).join(" ") || undefined;
  return (
    <div className={`field${error ? " field-invalid" : ""}`}>
      <label htmlFor={fid}>{label}</label>
      {children(fid, describedBy)}
      {hint && (
        <div className="hint" id={hintId}>
          {hint}
        </div>
      )}
      {error && (
        <div className="field-error" id={errId} role="alert">
          {error}
        </div>
      )}
    </div>
  );
}

type InputProps = Omit<React.InputHTMLAttributes<HTMLInputElement>, "onChange" | "value"> & {
  label: ReactNode;
  hint?: ReactNode;
  error?: ReactNode;
  value: string;
  onChange: (v: string) => void;
};

export function TextField({ label, hint, error, value, onChange, ...rest }: InputProps) {
  return (
    <Field label={label} hint={hint} error={error}>
      {(id, d) => <input id={id} aria-describedby={d} aria-invalid={error ? true : undefined} value={value} onChange={(e) => onChange(e.target.value)} {...rest} />}
    </Field>
  );
}

export function SelectField({ label, hint, value, onChange, options, disabled }: { label: ReactNode; hint?: ReactNode; value: string; onChange: (v: string) => void; options: Array<string | { value: string; label: string }>; disabled?: boolean }) {
  return (
    <Field label={label} hint={hint}>
      {(id, d) => (
        <select id={id} aria-describedby={d} value={value} disabled={disabled} onChange={(e) => onChange(e.target.value)}>
          {options.map((o) => {
            const v = typeof o === "string" ? o : o.value;
            return (
              <option key={v} value={v}>
                {typeof o === "string" ? o : o.label}
              </option>
            );
          })}
        </select>
      )}
    </Field>
  );
}

export function Checkbox({ label, checked, onChange, disabled, hint }: { label: ReactNode; checked: boolean; onChange: (v: boolean) => void; disabled?: boolean; hint?: ReactNode }) {
  const id = useId();
  return (
    <div className="checkbox">
      <input id={id} type="checkbox" checked={checked} disabled={disabled} onChange={(e) => onChange(e.target.checked)} aria-describedby={hint ? `${id}-hint` : undefined} />
      <label htmlFor={id}>{label}</label>
      {hint && (
        <div className="hint" id={`${id}-hint`}>
          {hint}
        </div>
      )}
    </div>
  );
}

/** Where JSON is entered: a monospace text area that reports parse errors inline with line/column. */
export function JsonEditor({ label, value, onChange, rows = 14, hint, extraError }: { label: ReactNode; value: string; onChange: (v: string) => void; rows?: number; hint?: ReactNode; extraError?: ReactNode }) {
  const problem = jsonProblem(value);
  return (
    <Field label={label} hint={hint} error={problem ?? extraError}>
      {(id, d) => (
        <textarea id={id} className="code" rows={rows} spellCheck={false} aria-describedby={d} aria-invalid={problem ? true : undefined} value={value} onChange={(e) => onChange(e.target.value)} />
      )}
    </Field>
  );
}

/** Undefined if `text` is valid JSON, else a message with the line and column. */
export function jsonProblem(text: string): string | undefined {
  if (text.trim() === "") return "Enter a JSON document.";
  try {
    JSON.parse(text);
    return undefined;
  } catch (e) {
    const msg = (e as Error).message;
    const pos = /position (\d+)/.exec(msg);
    if (pos) {
      const offset = Number(pos[1]);
      const before = text.slice(0, offset);
      const line = before.split("\n").length;
      const col = offset - before.lastIndexOf("\n");
      return `Invalid JSON at line ${line}, column ${col}: ${msg.replace(/ in JSON at position \d+.*$/, "")}`;
    }
    return `Invalid JSON: ${msg}`;
  }
}

// ---------------------------------------------------------------- modal
export function Modal({ title, onClose, children, footer, wide }: { title: ReactNode; onClose: () => void; children: ReactNode; footer?: ReactNode; wide?: boolean }) {
  const ref = useRef<HTMLDivElement>(null);
  const titleId = useId();
  useEffect(() => {
    const prev = document.activeElement as HTMLElement | null;
    const first = ref.current?.querySelector<HTMLElement>("input, select, textarea, button:not(.modal-close), [href], [tabindex]:not([tabindex='-1'])");
    (first ?? ref.current)?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") onClose();
      if (e.key === "Tab" && ref.current) {
        const items = Array.from(ref.current.querySelectorAll<HTMLElement>("input, select, textarea, button, [href], [tabindex]:not([tabindex='-1'])")).filter((el) => !el.hasAttribute("disabled"));
        if (items.length === 0) return;
        const firstEl = items[0]!;
        const lastEl = items[items.length - 1]!;
        if (e.shiftKey && document.activeElement === firstEl) {
          e.preventDefault();
          lastEl.focus();
        } else if (!e.shiftKey && document.activeElement === lastEl) {
          e.preventDefault();
          firstEl.focus();
        }
      }
    };
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("keydown", onKey);
      prev?.focus();
    };
  }, [onClose]);
  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className={`modal${wide ? " modal-wide" : ""}`} role="dialog" aria-modal="true" aria-labelledby={titleId} ref={ref} tabIndex={-1}>
        <div className="modal-header">
          <h2 id={titleId}>{title}</h2>
          <button type="button" className="modal-close" aria-label="Close" onClick={onClose}>
            ×
          </button>
        </div>
        <div className="modal-body">{children}</div>
        {footer && <div className="modal-footer">{footer}</div>}
      </div>
    </div>
  );
}

/** A confirmation dialog; for deletions pass `confirmText` the user must type (like "delete"). */
export function ConfirmDialog({ title, children, confirmLabel = "Delete", confirmText, danger = true, onConfirm, onClose }: { title: ReactNode; children?: ReactNode; confirmLabel?: string; confirmText?: string; danger?: boolean; onConfirm: () => Promise<void> | void; onClose: () => void }) {
  const [typed, setTyped] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const ok = !confirmText || typed === confirmText;
  return (
    <Modal
      title={title}
      onClose={onClose}
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button
            type="button"
            className={`btn ${danger ? "btn-danger" : "btn-primary"}`}
            disabled={!ok || busy}
            onClick={async () => {
              setBusy(true);
              setError(undefined);
              try {
                await onConfirm();
                onClose();
              } catch (e) {
                setError(e);
                setBusy(false);
              }
            }}
          >
            {busy ? `${confirmLabel}…` : confirmLabel}
          </button>
        </>
      }
    >
      {children}
      {confirmText && <TextField label={`To confirm, type "${confirmText}"`} value={typed} onChange={setTyped} autoComplete="off" />}
      <ErrorAlert error={error} />
    </Modal>
  );
}

// ---------------------------------------------------------------- tabs
export function Tabs({ tabs, active, onChange }: { tabs: Array<{ id: string; label: string }>; active: string; onChange: (id: string) => void }) {
  const refs = useRef<Array<HTMLButtonElement | null>>([]);
  return (
    <div role="tablist" className="tabs">
      {tabs.map((t, i) => (
        <button
          key={t.id}
          ref={(el) => {
            refs.current[i] = el;
          }}
          type="button"
          role="tab"
          id={`tab-${t.id}`}
          aria-selected={t.id === active}
          tabIndex={t.id === active ? 0 : -1}
          className={t.id === active ? "tab active" : "tab"}
          onClick={() => onChange(t.id)}
          onKeyDown={(e) => {
            const d = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
            if (!d) return;
            const next = (i + d + tabs.length) % tabs.length;
            onChange(tabs[next]!.id);
            refs.current[next]?.focus();
          }}
        >
          {t.label}
        </button>
      ))}
    </div>
  );
}

// ---------------------------------------------------------------- details
export function KeyValue({ items, columns = 3 }: { items: Array<[string, ReactNode]>; columns?: number }) {
  return (
    <dl className="key-value" style={{ gridTemplateColumns: `repeat(${columns}, minmax(0, 1fr))` }}>
      {items.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v === undefined || v === null || v === "" ? "-" : v}</dd>
        </div>
      ))}
    </dl>
  );
}

export function StatusBadge({ kind, children }: { kind: "ok" | "warn" | "error" | "neutral"; children: ReactNode }) {
  return <span className={`badge badge-${kind}`}>{children}</span>;
}

/** Copy text to the clipboard, with a toast. */
export async function copyText(text: string, what = "Copied"): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    notify(`${what} to the clipboard`, "info");
  } catch {
    notify("The clipboard is not available here", "error");
  }
}

/** Offer `content` as a file download. */
export function downloadFile(name: string, content: BlobPart, type = "text/plain"): void {
  const url = URL.createObjectURL(new Blob([content], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
