// Small formatting helpers shared by the pages; they return text, never markup.
export const num = (value, digits = 4) =>
  value === null || value === undefined ? "–" : Number(value).toPrecision(digits);

export function duration(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return "–";
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

export const since = (iso, until) =>
  iso ? ((until ? Date.parse(until) : Date.now()) - Date.parse(iso)) / 1000 : null;

export const age = (iso) => `${duration(since(iso))} ago`;

export const FINISHED = ["completed", "failed", "canceled"];
export const finishedRuns = (counts) =>
  Object.entries(counts).reduce((n, [s, c]) => (s === "queued" || s === "running" ? n : n + c), 0);

export const params = (values) =>
  Object.entries(values || {})
    .map(([k, v]) => `${k}=${typeof v === "number" ? +v.toPrecision(4) : v}`)
    .join(", ");
