// Plotly charts of an experiment. Plotly.react with a fixed uirevision redraws with new data
// but keeps what the user did (zoom, hidden traces, axis ranges).
//
// Plotly's 4.8 MB bundle takes the browser's main thread for about a second to compile, so it
// is requested from here, in the same task in which the page issues its API reads: the data
// travels while Plotly compiles, instead of after.
import { el } from "./dom.js";
export const plotlyLoaded = new Promise((resolve, reject) => {
  if (window.Plotly) return resolve();
  const script = Object.assign(document.createElement("script"), { src: "/vendor/plotly.min.js" });
  script.onload = resolve;
  script.onerror = () => reject(new Error("could not load /vendor/plotly.min.js"));
  document.head.append(script);
});

const COLORS = {
  completed: "#1a7f37", early_terminated: "#bf8700", failed: "#cf222e",
  canceled: "#8250df", running: "#0969da", queued: "#8c959f",
};
export const base = (title, x, y) => ({
  title: { text: title, font: { size: 14 } },
  margin: { l: 55, r: 15, t: 35, b: 40 },
  xaxis: { title: { text: x } },
  yaxis: { title: { text: y } },
  uirevision: "keep",
  showlegend: false,
});
export const config = { displaylogo: false, responsive: true };

// One trace per run state, runs separated by gaps: a few traces draw far faster than one per
// run, and hovering still names the run. SVG, not WebGL: at the bounded sizes the API sends,
// SVG draws in tens of milliseconds where a WebGL context alone costs more.
export async function learningCurves(el, overview, metric) {
  await plotlyLoaded;
  const byStatus = new Map();
  for (const c of overview.curves) {
    if (!byStatus.has(c.status)) byStatus.set(c.status, { x: [], y: [], text: [] });
    const t = byStatus.get(c.status);
    t.x.push(...c.steps, null);
    t.y.push(...c.values, null);
    t.text.push(...c.steps.map(() => `run ${c.number}`), "");
  }
  const traces = [...byStatus].map(([status, t]) => ({
    type: "scatter", mode: "lines", name: status, connectgaps: false, ...t,
    line: { width: 1.2, color: COLORS[status] || "#57606a" },
    hovertemplate: `%{text} (${status})<br>epoch %{x}: %{y:.4g}<extra></extra>`,
  }));
  // A cross where an early-terminated run was cut short.
  const stopped = overview.curves.filter((c) => c.status === "early_terminated" && c.steps.length);
  traces.push({
    type: "scatter", mode: "markers", name: "stopped",
    x: stopped.map((c) => c.steps.at(-1)),
    y: stopped.map((c) => c.values.at(-1)),
    marker: { symbol: "x", size: 8, color: COLORS.early_terminated },
    text: stopped.map((c) => `run ${c.number} stopped at interval ${c.stopped_at_interval ?? "?"}`),
    hovertemplate: "%{text}<extra></extra>",
  });
  const shown = overview.curves.length < overview.curves_total
    ? ` (${overview.curves.length} of ${overview.curves_total} runs)` : "";
  return Plotly.react(el, traces, base(`${metric} by epoch${shown}`, "epoch", metric), config);
}

const sampled = (overview) => overview.columns.number.length < overview.runs_total
  ? ` (${overview.columns.number.length} of ${overview.runs_total} runs)` : "";

export async function bestSoFar(el, overview, metric) {
  await plotlyLoaded;
  const { number, best_metric: values } = overview.columns;
  return Plotly.react(el, [
    { type: "scatter", mode: "markers", x: number, y: values, name: "run",
      marker: { size: 6, color: "#8c959f" } },
    { type: "scatter", mode: "lines", x: overview.best_so_far.number, y: overview.best_so_far.value,
      name: "best so far", line: { shape: "hv", width: 2, color: "#0969da" } },
  ], base(`best ${metric} so far${sampled(overview)}`, "run number", metric), config);
}

// Categorical values become indices with their labels as ticks.
function dimension(label, values) {
  const numeric = values.every((v) => v === null || typeof v === "number");
  if (numeric) return { label, values };
  const levels = [...new Set(values.map(String))].sort();
  return {
    label,
    values: values.map((v) => levels.indexOf(String(v))),
    tickvals: levels.map((_, i) => i),
    ticktext: levels,
  };
}

// Parallel coordinates drawn as SVG lines, one trace per band of the metric (best band
// darkest). Plotly's own parcoords needs a WebGL context, which alone costs a second in a
// browser without a GPU; this draws in tens of milliseconds.
const BANDS = ["#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08306b"]; // worst → best

// Hyperparameters the spec samples on a log scale: drawn on log axes.
const LOG_KINDS = ["loguniform", "qloguniform", "lognormal", "qlognormal"];
export const logScaled = (spec) =>
  new Set(Object.entries(spec.search_space || {})
    .filter(([, expression]) => LOG_KINDS.includes(Object.keys(expression)[0]))
    .map(([name]) => name));

function axis(name, values, logScale = false) {
  const dim = dimension(name, values);
  const present = dim.values.filter((v) => v !== null && v !== undefined);
  if (dim.ticktext) {
    const top = Math.max(1, dim.ticktext.length - 1);
    return { name, scaled: dim.values.map((v) => v / top), labels: dim.ticktext.map((t, i) => [i / top, t]) };
  }
  let lo = Math.min(...present);
  let hi = Math.max(...present);
  const log = lo > 0 && (logScale || hi / lo > 100);
  const f = log ? Math.log10 : (v) => v;
  [lo, hi] = [f(lo), f(hi)];
  const span = hi - lo || 1;
  const label = (v) => (log ? `1e${v.toFixed(1)}` : Number(v).toPrecision(3));
  return {
    name: log ? `${name} (log)` : name,
    scaled: dim.values.map((v) => (v === null || v === undefined ? null : (f(v) - lo) / span)),
    labels: [[0, label(lo)], [1, label(hi)]],
  };
}

export async function parallelCoordinates(el, overview, metric, logNames = new Set()) {
  await plotlyLoaded;
  const values = overview.columns.best_metric;
  const scored = values.map((v, i) => (v === null ? -1 : i)).filter((i) => i >= 0);
  const pick = (column) => scored.map((i) => column[i]);
  const axes = Object.entries(overview.params).map(([name, column]) => axis(name, pick(column), logNames.has(name)));
  axes.push(axis(metric, pick(values)));
  const quality = axes.at(-1).scaled.map((v) => (overview.goal === "minimize" ? 1 - v : v));
  const traces = BANDS.map((color, band) => ({
    type: "scatter", mode: "lines", x: [], y: [], text: [], name: `band ${band + 1}`,
    line: { color, width: 1 }, opacity: 0.55, hovertemplate: "%{text}<extra></extra>",
  }));
  const numbers = pick(overview.columns.number);
  scored.forEach((_, row) => {
    const trace = traces[Math.min(BANDS.length - 1, Math.floor(quality[row] * BANDS.length))];
    axes.forEach((a, x) => {
      trace.x.push(x);
      trace.y.push(a.scaled[row]);
      trace.text.push(`run ${numbers[row]}: ${metric} ${Number(pick(values)[row]).toPrecision(4)}`);
    });
    trace.x.push(null);
    trace.y.push(null);
    trace.text.push("");
  });
  const layout = base(`hyperparameters → ${metric} (darker: better)${sampled(overview)}`, "", "");
  layout.xaxis = { tickvals: axes.map((_, i) => i), ticktext: axes.map((a) => a.name), zeroline: false, showgrid: false, range: [-0.3, axes.length - 0.7] };
  layout.yaxis = { visible: false, range: [-0.08, 1.08] };
  layout.shapes = axes.map((_, i) => ({ type: "line", x0: i, x1: i, y0: 0, y1: 1, line: { color: "#57606a", width: 1.5 } }));
  layout.annotations = axes.flatMap((a, i) => a.labels.map(([y, text]) => ({
    x: i, y, text: String(text), showarrow: false, xanchor: "left", xshift: 4, font: { size: 10, color: "#57606a" },
  })));
  return Plotly.react(el, traces.filter((t) => t.x.length), layout, config);
}

export async function scatters(container, overview, metric, logNames = new Set()) {
  await plotlyLoaded;
  const names = Object.keys(overview.params);
  if (container.children.length !== names.length) {
    container.replaceChildren(...names.map((n) => el("div", { className: "chart", dataset: { param: n } })));
  }
  const { best_metric: values, number } = overview.columns;
  return Promise.all(names.map((name, i) => {
    const column = overview.params[name];
    const dim = dimension(name, column);
    const layout = base(name, name, metric);
    if (dim.ticktext) layout.xaxis = { ...layout.xaxis, tickvals: dim.tickvals, ticktext: dim.ticktext };
    else if (logNames.has(name)) layout.xaxis = { ...layout.xaxis, type: "log" };
    return Plotly.react(container.children[i], [{
      type: "scatter", mode: "markers", x: dim.values, y: values,
      text: number.map((n) => `run ${n}`),
      marker: { size: 5, opacity: 0.7, color: "#0969da" },
      hovertemplate: "%{text}<br>%{x}: %{y:.4g}<extra></extra>",
    }], layout, config);
  }));
}

// What tuning learned: each hyperparameter's share of the metric's variance (fANOVA).
export async function importanceBars(el, found) {
  await plotlyLoaded;
  const names = Object.keys(found.importance).reverse(); // largest on top
  const layout = {
    ...base(`parameter importance: ${found.note}`, "share of the variance", ""),
    margin: { l: 120, r: 15, t: 35, b: 40 },
  };
  return Plotly.react(el, [
    { type: "bar", orientation: "h", y: names, x: names.map((n) => found.importance[n]),
      marker: { color: "#0969da" } },
  ], layout, config);
}
