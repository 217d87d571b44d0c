import { useCallback, useEffect, useRef, useState } from "react";
import { onRegionChange } from "../aws.ts";

export interface AsyncState<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/**
 * Run `fn` now, whenever `deps` change, when the region changes, and on `reload()`. Results of
 * superseded runs are dropped.
 */
export function useAsync<T>(fn: () => Promise<T>, deps: readonly unknown[] = []): AsyncState<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({ data: undefined, error: undefined, loading: true });
  const [tick, setTick] = useState(0);
  const run = useRef(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  useEffect(() => onRegionChange(reload), [reload]);
  useEffect(() => {
    const id = ++run.current;
    setState((s) => ({ ...s, loading: true, error: undefined }));
    fn().then(
      (data) => id === run.current && setState({ data, error: undefined, loading: false }),
      (error: unknown) => id === run.current && setState({ data: undefined, error, loading: false }),
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  return { ...state, reload };
}

/** Human-readable bytes (1 KB = 1024 B, as the AWS console shows). */
export function formatBytes(n: number | undefined): string {
  if (n === undefined || n === null || Number.isNaN(n)) return "-";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

export function formatDate(d: Date | string | number | undefined): string {
  if (d === undefined || d === null || d === "") return "-";
  const date = d instanceof Date ? d : new Date(d);
  return Number.isNaN(date.getTime()) ? String(d) : date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
}
