// The experiments page: every experiment with its progress, a status filter, a submit form.
import { ApiError, get, request } from "./api.js";
import { age, badge, duration, esc, finishedRuns, num, since } from "./format.js";

const STATES = ["", "queued", "running", "completed", "failed", "canceled"];

export function experimentsPage(root) {
  root.innerHTML = `
    <h1>Experiments</h1>
    <div class="toolbar">
      <label>Status <select id="status-filter">
        ${STATES.map((s) => `<option value="${s}">${s || "all"}</option>`).join("")}
      </select></label>
    </div>
    <table id="experiments"><thead><tr>
      <th>Name</th><th>Status</th><th>Runs</th><th>Time</th><th>Best</th><th>Trainable</th><th>Created</th>
    </tr></thead><tbody></tbody></table>
    <h2>Submit an experiment</h2>
    <form id="submit-form">
      <div class="split">
        <div>
          <textarea id="spec-text" spellcheck="false" placeholder="Paste a spec (YAML or JSON)"></textarea>
          <div class="toolbar">
            <input type="file" id="spec-file" accept=".yaml,.yml,.json">
            <button type="submit">Submit</button>
          </div>
        </div>
        <div><div id="submit-result" class="muted">The server checks every field and names the ones it refuses.</div>
          <ul class="errors" id="submit-errors"></ul></div>
      </div>
    </form>`;
  const filter = root.querySelector("#status-filter");
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
    try {
      const page = await get("/api/experiments", { status: filter.value, limit: 100 });
      renderRows(root.querySelector("#experiments tbody"), page.items);
      document.body.dataset.ready = "experiments";
    } catch (error) {
      root.querySelector("#experiments tbody").innerHTML =
        `<tr><td colspan="7" class="error">Cannot list experiments: ${esc(error.message)}</td></tr>`;
    } finally {
      timer = setTimeout(refresh, 2000);
    }
  }
  refresh();
  return () => clearTimeout(timer);
}

function renderRows(body, experiments) {
  body.innerHTML = experiments.length
    ? experiments.map(row).join("")
    : `<tr><td colspan="7" class="muted">No experiments yet: submit one below.</td></tr>`;
}

function row(e) {
  const budget = e.spec.budget;
  const done = finishedRuns(e.run_counts);
  const share = Math.min(100, (100 * done) / budget.max_total_runs);
  const elapsed = since(e.started_at, e.finished_at);
  const limit = budget.max_duration_minutes;
  const best = e.best_run ? num(e.best_run.best_metric) : "–";
  return `<tr data-id="${esc(e.id)}">
    <td><a href="#/experiments/${esc(e.id)}">${esc(e.name)}</a></td>
    <td>${badge(e.status)}</td>
    <td><span class="bar"><span style="width:${share}%"></span></span>
        ${done}/${budget.max_total_runs}${e.run_counts.running ? ` (${e.run_counts.running} running)` : ""}</td>
    <td>${duration(elapsed)}${limit ? ` of ${limit} min` : ""}</td>
    <td>${esc(e.spec.primary_metric.name)} ${best}</td>
    <td>${esc(e.trainable)}</td>
    <td>${age(e.created_at)}</td></tr>`;
}

async function submit(root, spec) {
  const result = root.querySelector("#submit-result");
  const list = root.querySelector("#submit-errors");
  list.innerHTML = "";
  try {
    const created = await request("/api/experiments", {
      method: "POST",
      body: spec,
      contentType: "application/yaml", // JSON is YAML too
    });
    location.hash = `#/experiments/${created.id}`;
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    result.innerHTML = `<span class="error">Refused (HTTP ${error.status}): fix the fields below.</span>`;
    const problems = error.errors.length ? error.errors : [{ field: "", message: error.message }];
    list.innerHTML = problems
      .map((p) => {
        const line = lineOf(spec, p.field);
        return `<li data-field="${esc(p.field)}"><code>${esc(p.field || "spec")}</code>${
          line ? ` (line ${line})` : ""
        }: ${esc(p.message)}</li>`;
      })
      .join("");
  }
}

// The line of the deepest key of a dotted field path that appears in the text, if any.
function lineOf(text, field) {
  const lines = text.split("\n");
  let from = 0;
  let found = 0;
  for (const key of field.split(".")) {
    const at = lines.findIndex((l, i) => i >= from && new RegExp(`["']?\\b${key}\\b["']?\\s*:`).test(l));
    if (at < 0) break;
    found = at + 1;
    from = at;
  }
  return found;
}
