// The experiments page: every experiment with its progress, a status filter, a submit form.
import { ApiError, get, request } from "./api.js";
import { badge, el, fromTemplate, showError } from "./dom.js";
import { age, duration, finishedRuns, num, since } from "./format.js";

const STATES = ["", "queued", "running", "completed", "failed", "canceled"];

export function experimentsPage(root) {
  root.replaceChildren(fromTemplate("tpl-experiments"));
  const filter = root.querySelector("#status-filter");
  filter.append(...STATES.map((s) => el("option", { value: s }, s || "all")));
  const text = root.querySelector("#spec-text");
  filter.onchange = refresh;
  root.querySelector("#spec-file").onchange = async (event) => {
    const file = event.target.files[0];
    if (file) text.value = await file.text();
  };
  root.querySelector("#submit-form").onsubmit = (event) => {
    event.preventDefault();
    submit(root, text.value);
  };
  let timer = null;
  async function refresh() {
    clearTimeout(timer);
    const failure = root.querySelector("#list-error");
    try {
      const page = await get("/api/experiments", { status: filter.value, limit: 100 });
      renderRows(root.querySelector("#experiments tbody"), page.items);
      showError(failure, "");
      document.body.dataset.ready = "experiments";
    } catch (error) {
      showError(failure, `Cannot list experiments: ${error.message}`);
    } finally {
      timer = setTimeout(refresh, 2000);
    }
  }
  refresh();
  return () => clearTimeout(timer);
}

function renderRows(body, experiments) {
  body.replaceChildren(
    ...(experiments.length
      ? experiments.map(row)
      : [el("tr", {}, el("td", { colSpan: 7, className: "muted" }, "No experiments yet: submit one below."))]),
  );
}

function row(e) {
  const budget = e.spec.budget;
  const done = finishedRuns(e.run_counts);
  const share = Math.min(100, (100 * done) / budget.max_total_runs);
  const limit = budget.max_duration_minutes;
  const running = e.run_counts.running ? ` (${e.run_counts.running} running)` : "";
  return el(
    "tr",
    { dataset: { id: e.id } },
    el("td", {}, el("a", { href: `#/experiments/${encodeURIComponent(e.id)}` }, e.name)),
    el("td", {}, badge(e.status)),
    el(
      "td",
      {},
      el("span", { className: "bar" }, el("span", { style: { width: `${share}%` } })),
      ` ${done}/${budget.max_total_runs}${running}`,
    ),
    el("td", {}, `${duration(since(e.started_at, e.finished_at))}${limit ? ` of ${limit} min` : ""}`),
    el("td", {}, `${e.spec.primary_metric.name} ${e.best_run ? num(e.best_run.best_metric) : "–"}`),
    el("td", {}, e.trainable),
    el("td", {}, age(e.created_at)),
  );
}

async function submit(root, spec) {
  const result = root.querySelector("#submit-result");
  const list = root.querySelector("#submit-errors");
  list.replaceChildren();
  try {
    const created = await request("/api/experiments", {
      method: "POST",
      body: spec,
      contentType: "application/yaml", // JSON is YAML too
    });
    location.hash = `#/experiments/${created.id}`;
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    result.replaceChildren(
      el("span", { className: "error" }, `Refused (HTTP ${error.status}): fix the fields below.`),
    );
    const problems = error.errors.length ? error.errors : [{ field: "", message: error.message }];
    list.replaceChildren(
      ...problems.map((p) => {
        const line = lineOf(spec, p.field);
        return el(
          "li",
          { dataset: { field: p.field } },
          el("code", {}, p.field || "spec"),
          `${line ? ` (line ${line})` : ""}: ${p.message}`,
        );
      }),
    );
  }
}

// The line of the deepest key of a dotted field path that appears in the text, if any.
function lineOf(text, field) {
  const lines = text.split("\n");
  let from = 0;
  let found = 0;
  for (const key of field.split(".")) {
    const literal = key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const pattern = new RegExp(`["']?\\b${literal}\\b["']?\\s*:`);
    const at = lines.findIndex((l, i) => i >= from && pattern.test(l));
    if (at < 0) break;
    found = at + 1;
    from = at;
  }
  return found;
}
