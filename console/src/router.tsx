/**
 * A small history-API router: paths are relative to /_nimbus/console/ ("s3/buckets/x").
 * `usePath()` re-renders on navigation; `<Link>` is a real anchor (middle-click, copy link work).
 */
import { useEffect, useState, type AnchorHTMLAttributes, type MouseEvent } from "react";
import { BASE } from "./session.ts";

const listeners = new Set<() => void>();

export function currentPath(): string {
  const p = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : "";
  return decodeURI(p).replace(/\/+$/, "");
}

export function href(to: string): string {
  return BASE + to.replace(/^\/+/, "");
}

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  const url = href(to);
  if (opts.replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  window.scrollTo(0, 0);
  for (const l of listeners) l();
}

if (typeof window !== "undefined") {
  window.addEventListener("popstate", () => {
    for (const l of listeners) l();
  });
}

/**
 * The current path, split into segments; re-renders on every navigation, including one that
 * changes only the query string (so `useQuery` sees it).
 */
export function usePath(): string[] {
  const [, setVersion] = useState(0);
  useEffect(() => {
    const l = () => setVersion((v) => v + 1);
    listeners.add(l);
    return () => {
      listeners.delete(l);
    };
  }, []);
  const path = currentPath();
  return path ? path.split("/") : [];
}

/** The query string of the current URL. */
export function useQuery(): URLSearchParams {
  usePath();
  return new URLSearchParams(location.search);
}

export function Link({ to, onClick, ...rest }: { to: string } & AnchorHTMLAttributes<HTMLAnchorElement>) {
  return (
    <a
      {...rest}
      href={href(to)}
      onClick={(e: MouseEvent<HTMLAnchorElement>) => {
        onClick?.(e);
        if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        e.preventDefault();
        navigate(to);
      }}
    />
  );
}
