/**
 * The list view every resource page uses: a search box, sortable columns, paging, row selection,
 * and explicit loading, error (with retry) and empty states.
 */
import { useEffect, useMemo, useState, type ReactNode } from "react";
import { ErrorAlert, Spinner } from "./components.tsx";

export interface Column<T> {
  id: string;
  header: string;
  /** Cell content; default: String(item[id]). */
  cell?: (item: T) => ReactNode;
  /** What sorting compares; default: the text the search matches. Omit `sortable: false` to allow. */
  sortValue?: (item: T) => string | number | undefined;
  sortable?: boolean;
}

export interface ResourceTableProps<T> {
  /** Used in the aria-label, the search placeholder and the empty state ("buckets"). */
  resourceName: string;
  items: T[] | undefined;
  columns: Column<T>[];
  rowKey: (item: T) => string;
  loading?: boolean;
  error?: unknown;
  onRetry?: () => void;
  /** Text searched for each item; default: all column sort values joined. */
  searchText?: (item: T) => string;
  /** Single or multi select; the selection is reported through onSelectionChange. */
  selection?: "single" | "multi";
  selected?: string[];
  onSelectionChange?: (keys: string[]) => void;
  /** What the empty state offers (e.g. a Create button). */
  empty?: ReactNode;
  pageSize?: number;
  defaultSort?: { column: string; descending?: boolean };
  /** Extra controls next to the search box. */
  toolbar?: ReactNode;
}

function defaultValue<T>(item: T, col: Column<T>): string | number | undefined {
  if (col.sortValue) return col.sortValue(item);
  const v = (item as Record<string, unknown>)[col.id];
  if (v instanceof Date) return v.getTime();
  return typeof v === "number" ? v : v === undefined || v === null ? undefined : String(v);
}

export function ResourceTable<T>(props: ResourceTableProps<T>) {
  const { resourceName, items, columns, rowKey, loading, error, onRetry, selection, selected = [], onSelectionChange, empty, pageSize = 20, toolbar } = props;
  const [query, setQuery] = useState("");
  const [sort, setSort] = useState<{ column: string; descending: boolean } | undefined>(props.defaultSort ? { column: props.defaultSort.column, descending: !!props.defaultSort.descending } : undefined);
  const [page, setPage] = useState(0);
  useEffect(() => setPage(0), [query, items]);

  const filtered = useMemo(() => {
    const list = items ?? [];
    const q = query.trim().toLowerCase();
    const text = props.searchText ?? ((it: T) => columns.map((c) => String(defaultValue(it, c) ?? "")).join(" "));
    const out = q ? list.filter((it) => text(it).toLowerCase().includes(q)) : [...list];
    if (sort) {
      const col = columns.find((c) => c.id === sort.column);
      if (col) {
        out.sort((a, b) => {
          const x = defaultValue(a, col);
          const y = defaultValue(b, col);
          const r = x === y ? 0 : x === undefined ? -1 : y === undefined ? 1 : typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y), undefined, { numeric: true });
          return sort.descending ? -r : r;
        });
      }
    }
    return out;
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [items, query, sort, columns]);

  const pages = Math.max(1, Math.ceil(filtered.length / pageSize));
  const current = Math.min(page, pages - 1);
  const shown = filtered.slice(current * pageSize, current * pageSize + pageSize);
  const toggle = (key: string) => {
    if (!onSelectionChange) return;
    if (selection === "single") onSelectionChange(selected[0] === key ? [] : [key]);
    else onSelectionChange(selected.includes(key) ? selected.filter((k) => k !== key) : [...selected, key]);
  };

  return (
    <div className="resource-table">
      <div className="table-toolbar">
        <input type="search" className="table-search" aria-label={`Search ${resourceName}`} placeholder={`Find ${resourceName}`} value={query} onChange={(e) => setQuery(e.target.value)} />
        {toolbar}
        <div className="pager" role="group" aria-label="Pages">
          <button type="button" className="btn btn-icon" aria-label="Previous page" disabled={current === 0} onClick={() => setPage(current - 1)}>
            ‹
          </button>
          <span className="page-of">
            {current + 1} / {pages}
          </span>
          <button type="button" className="btn btn-icon" aria-label="Next page" disabled={current >= pages - 1} onClick={() => setPage(current + 1)}>
            ›
          </button>
        </div>
      </div>
      {error ? (
        <ErrorAlert error={error} onRetry={onRetry} />
      ) : (
        <div className="table-wrap">
          <table aria-label={resourceName} aria-busy={loading || undefined}>
            <thead>
              <tr>
                {selection && (
                  <th scope="col" className="select-col">
                    <span className="visually-hidden">Select</span>
                  </th>
                )}
                {columns.map((c) => {
                  const active = sort?.column === c.id;
                  const sortable = c.sortable !== false;
                  return (
                    <th key={c.id} scope="col" aria-sort={active ? (sort!.descending ? "descending" : "ascending") : undefined}>
                      {sortable ? (
                        <button type="button" className="sort" onClick={() => setSort({ column: c.id, descending: active ? !sort!.descending : false })}>
                          {c.header}
                          <span aria-hidden="true" className="sort-mark">
                            {active ? (sort!.descending ? "▼" : "▲") : "↕"}
                          </span>
                        </button>
                      ) : (
                        c.header
                      )}
                    </th>
                  );
                })}
              </tr>
            </thead>
            <tbody>
              {loading && !items ? (
                <tr>
                  <td colSpan={columns.length + (selection ? 1 : 0)} className="table-state">
                    <Spinner label={`Loading ${resourceName}`} />
                  </td>
                </tr>
              ) : shown.length === 0 ? (
                <tr>
                  <td colSpan={columns.length + (selection ? 1 : 0)} className="table-state">
                    {query ? <p>No {resourceName} match “{query}”.</p> : (empty ?? <p>No {resourceName}.</p>)}
                  </td>
                </tr>
              ) : (
                shown.map((it) => {
                  const key = rowKey(it);
                  const isSel = selected.includes(key);
                  return (
                    <tr key={key} className={isSel ? "selected" : undefined}>
                      {selection && (
                        <td className="select-col">
                          <input
                            type={selection === "single" ? "radio" : "checkbox"}
                            name={`select-${resourceName}`}
                            aria-label={`Select ${key}`}
                            checked={isSel}
                            onChange={() => toggle(key)}
                            onClick={() => selection === "single" && isSel && toggle(key)}
                          />
                        </td>
                      )}
                      {columns.map((c) => (
                        <td key={c.id}>{c.cell ? c.cell(it) : String(defaultValue(it, c) ?? "-")}</td>
                      ))}
                    </tr>
                  );
                })
              )}
            </tbody>
          </table>
        </div>
      )}
      <div className="table-footer" aria-live="polite">
        {items ? `${filtered.length} ${resourceName}${query ? ` matching` : ""}` : ""}
        {loading && items ? " · refreshing…" : ""}
      </div>
    </div>
  );
}
