/**
 * The console shell: session bootstrap, the header (services menu with search, region selector,
 * the signed-in identity), breadcrumbs, and the page for the current path.
 */
import { Component, Suspense, useCallback, useEffect, useRef, useState, type ReactNode } from "react";
import { getRegion, onRegionChange, regions, setRegion } from "./aws.ts";
import { Link, navigate, usePath } from "./router.tsx";
import { fetchSession, onSessionChange, sessionState, signOut, type SessionState } from "./session.ts";
import { SERVICES, findService } from "./services.ts";
import { Breadcrumbs, BreadcrumbContext, ErrorAlert, Spinner, Toasts, type Crumb } from "./ui/index.ts";
import { SignIn, SignUp } from "./pages/signin.tsx";
import { Home } from "./pages/home.tsx";

const PUBLIC = new Set(["signin", "signup"]);

export function App() {
  const path = usePath();
  const [session, setSession] = useState<SessionState | undefined>();
  useEffect(() => onSessionChange(setSession), []);
  useEffect(() => {
    fetchSession().catch(() => setSession({ signedIn: false }));
  }, []);

  const first = path[0] ?? "";
  useEffect(() => {
    if (!session) return;
    if (!session.signedIn && !PUBLIC.has(first)) {
      const here = path.join("/") + location.search;
      navigate(`signin${here ? `?next=${encodeURIComponent(here)}` : ""}`, { replace: true });
    }
  }, [session, first, path]);

  if (!session) {
    return (
      <div className="boot">
        <Spinner label="Starting the console" />
      </div>
    );
  }
  if (first === "signup") return <SignUp />;
  if (first === "signin" || !session.signedIn) return <SignIn account={path[1]} />;
  return <Shell session={session} path={path} />;
}

class PageBoundary extends Component<{ children: ReactNode; resetKey: string }, { error: unknown }> {
  override state = { error: undefined as unknown };
  static getDerivedStateFromError(error: unknown) {
    return { error };
  }
  override componentDidUpdate(prev: { resetKey: string }) {
    if (prev.resetKey !== this.props.resetKey && this.state.error) this.setState({ error: undefined });
  }
  override render() {
    return this.state.error ? <ErrorAlert error={this.state.error} /> : this.props.children;
  }
}

function Shell({ session, path }: { session: SessionState; path: string[] }) {
  const [crumbs, setCrumbs] = useState<Crumb[]>([]);
  const setCrumbsStable = useCallback((c: Crumb[]) => setCrumbs(c), []);
  const service = findService(path[0]);
  useEffect(() => {
    document.title = service ? `${service.name} | Nimbus console` : "Nimbus console";
    if (!service) setCrumbs([]);
  }, [service]);
  const Page = service?.page;
  return (
    <BreadcrumbContext.Provider value={setCrumbsStable}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <Header session={session} global={service?.global === true} />
      <div className="layout">
        <Breadcrumbs crumbs={crumbs} />
        <main id="main" tabIndex={-1}>
          {path.length === 0 ? (
            <Home />
          ) : Page ? (
            <PageBoundary resetKey={path.join("/")}>
              <Suspense fallback={<Spinner label={`Loading ${service.name}`} />}>
                <Page path={path.slice(1)} />
              </Suspense>
            </PageBoundary>
          ) : (
            <div>
              <h1>Page not found</h1>
              <p>
                There is no console page at <code>{path.join("/")}</code>. <Link to="">Go to the console home</Link>.
              </p>
            </div>
          )}
        </main>
      </div>
      <Toasts />
    </BreadcrumbContext.Provider>
  );
}

function useOutside(ref: React.RefObject<HTMLElement | null>, open: boolean, close: () => void) {
  useEffect(() => {
    if (!open) return;
    const onDown = (e: MouseEvent) => {
      if (ref.current && !ref.current.contains(e.target as Node)) close();
    };
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && close();
    document.addEventListener("mousedown", onDown);
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("mousedown", onDown);
      document.removeEventListener("keydown", onKey);
    };
  }, [ref, open, close]);
}

function ServicesMenu() {
  const [open, setOpen] = useState(false);
  const [q, setQ] = useState("");
  const ref = useRef<HTMLDivElement>(null);
  const close = useCallback(() => setOpen(false), []);
  useOutside(ref, open, close);
  const query = q.trim().toLowerCase();
  const list = SERVICES.filter((s) => !query || `${s.name} ${s.id} ${s.description} ${s.keywords}`.toLowerCase().includes(query));
  return (
    <div className="menu services-menu" ref={ref}>
      <button type="button" className="header-button" aria-expanded={open} aria-controls="services-panel" onClick={() => setOpen(!open)}>
        Services
      </button>
      {open && (
        <div className="menu-panel" id="services-panel">
          <input
            type="search"
            aria-label="Search services"
            placeholder="Search services"
            autoFocus
            value={q}
            onChange={(e) => setQ(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === "Enter" && list[0]) {
                navigate(list[0].id);
                setOpen(false);
              }
            }}
          />
          <ul>
            {list.map((s) => (
              <li key={s.id}>
                <Link to={s.id} onClick={() => setOpen(false)}>
                  <strong>{s.name}</strong>
                  <span>{s.description}</span>
                </Link>
              </li>
            ))}
            {list.length === 0 && <li className="muted">No service matches “{q}”.</li>}
          </ul>
        </div>
      )}
    </div>
  );
}

function IdentityMenu({ session }: { session: SessionState }) {
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  const close = useCallback(() => setOpen(false), []);
  useOutside(ref, open, close);
  const id = session.identity!;
  const who = id.type === "root" ? "root" : id.userName!;
  const where = id.accountAlias ?? id.account;
  return (
    <div className="menu identity-menu" ref={ref}>
      <button type="button" className="header-button" aria-expanded={open} aria-controls="identity-panel" onClick={() => setOpen(!open)}>
        <span className="who">{who}</span> @ <span className="where">{where}</span>
      </button>
      {open && (
        <div className="menu-panel menu-right" id="identity-panel">
          <dl className="identity">
            <dt>Account ID</dt>
            <dd>{id.account}</dd>
            {id.accountAlias && (
              <>
                <dt>Account alias</dt>
                <dd>{id.accountAlias}</dd>
              </>
            )}
            <dt>Signed in as</dt>
            <dd className="arn">{id.arn}</dd>
            <dt>MFA</dt>
            <dd>{id.mfa ? "Used at sign-in" : "Not used"}</dd>
          </dl>
          <Link to="iam/security-credentials" onClick={() => setOpen(false)}>
            Security credentials
          </Link>
          <button
            type="button"
            className="btn btn-primary"
            onClick={async () => {
              await signOut();
              navigate("signin", { replace: true });
            }}
          >
            Sign out
          </button>
        </div>
      )}
    </div>
  );
}

function Header({ session, global }: { session: SessionState; global: boolean }) {
  const [region, setRegionState] = useState(getRegion());
  useEffect(() => onRegionChange(setRegionState), []);
  return (
    <header className="top">
      <Link to="" className="logo" aria-label="Nimbus console home">
        <span aria-hidden="true">☁</span> Nimbus
      </Link>
      <ServicesMenu />
      <div className="spacer" />
      {global ? (
        <span className="region-global" title="This service is global">
          Global
        </span>
      ) : (
        <select className="region-select" aria-label="Region" value={region} onChange={(e) => setRegion(e.target.value)}>
          {regions.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
      )}
      <IdentityMenu session={session} />
    </header>
  );
}

export { sessionState };
