/** A dependency-free SVG line chart for metric series (time on x, value on y). */
import { useId } from "react";

export interface Series {
  label: string;
  points: Array<{ t: number; v: number }>;
}

const COLORS = ["#0972d3", "#e07941", "#037f0c", "#8456ce", "#c33d69", "#00819c"];

export function LineChart({ series, height = 220, title, unit }: { series: Series[]; height?: number; title: string; unit?: string }) {
  const id = useId();
  const width = 640;
  const pad = { l: 48, r: 12, t: 12, b: 28 };
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) {
    return (
      <figure className="chart" aria-labelledby={`${id}-t`}>
        <figcaption id={`${id}-t`}>{title}</figcaption>
        <p className="chart-empty">No data points in this period.</p>
      </figure>
    );
  }
  const t0 = Math.min(...all.map((p) => p.t));
  const t1 = Math.max(...all.map((p) => p.t));
  const v0 = Math.min(0, ...all.map((p) => p.v));
  const v1 = Math.max(...all.map((p) => p.v)) || 1;
  const x = (t: number) => pad.l + ((t - t0) / (t1 - t0 || 1)) * (width - pad.l - pad.r);
  const y = (v: number) => height - pad.b - ((v - v0) / (v1 - v0 || 1)) * (height - pad.t - pad.b);
  const ticks = [v0, (v0 + v1) / 2, v1];
  const fmt = (v: number) => (Math.abs(v) >= 1000 ? `${(v / 1000).toFixed(1)}k` : Number.isInteger(v) ? String(v) : v.toFixed(2));
  const time = (t: number) => new Date(t).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  return (
    <figure className="chart" aria-labelledby={`${id}-t`}>
      <figcaption id={`${id}-t`}>
        {title}
        {unit ? ` (${unit})` : ""}
      </figcaption>
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={`${title}: ${series.map((s) => `${s.label}, ${s.points.length} points`).join("; ")}`}>
        {ticks.map((v, i) => (
          <g key={i}>
            <line x1={pad.l} x2={width - pad.r} y1={y(v)} y2={y(v)} className="grid" />
            <text x={pad.l - 6} y={y(v) + 4} textAnchor="end" className="axis">
              {fmt(v)}
            </text>
          </g>
        ))}
        <text x={pad.l} y={height - 8} className="axis">
          {time(t0)}
        </text>
        <text x={width - pad.r} y={height - 8} textAnchor="end" className="axis">
          {time(t1)}
        </text>
        {series.map((s, i) => {
          const pts = [...s.points].sort((a, b) => a.t - b.t);
          const d = pts.map((p, j) => `${j ? "L" : "M"}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(" ");
          return (
            <g key={s.label}>
              <path d={d} fill="none" stroke={COLORS[i % COLORS.length]} strokeWidth={2} />
              {pts.length < 60 && pts.map((p) => <circle key={p.t} cx={x(p.t)} cy={y(p.v)} r={2.5} fill={COLORS[i % COLORS.length]} />)}
            </g>
          );
        })}
      </svg>
      <ul className="legend">
        {series.map((s, i) => (
          <li key={s.label}>
            <span className="swatch" style={{ background: COLORS[i % COLORS.length] }} aria-hidden="true" />
            {s.label}
          </li>
        ))}
      </ul>
    </figure>
  );
}
