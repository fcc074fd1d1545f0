// One experiment: summary, best run, a sortable paged runs table, four charts, cancel. While it
// runs the page polls every 1.5 s and redraws in place, keeping the sort, page and zoom.
import { get, request } from "./api.js";
import { bestSoFar, learningCurves, parallelCoordinates, plotlyLoaded, scatters } from "./charts.js";
import { badge, duration, esc, FINISHED, finishedRuns, num, params, since } from "./format.js";

const PAGE = 50;
const POLL_MS = 1500;
const OVERVIEW_RUNS = 300; // the best 150 and an even spread of the rest, past 300 runs
const OVERVIEW_CURVES = 100;
const SORTS = { number: "#", status: "status", metric: "best", started_at: "started" };

export function experimentPage(root, id) {
  const state = { sort: "number", offset: 0, experiment: null, timer: null, stopped: false };
  root.innerHTML = `
    <h1><span id="title">Experiment</span> <span id="status"></span>
      <button class="danger" id="cancel" disabled>Cancel</button></h1>
    <div class="cards"><div class="card" id="summary"></div><div class="card" id="best"></div></div>
    <h2>Runs</h2>
    <div class="toolbar pager"><button id="prev">◀</button><span id="page-info"></span><button id="next">▶</button></div>
    <table id="runs"><thead><tr>
      <th class="sortable" data-sort="number">#</th><th class="sortable" data-sort="status">Status</th>
      <th class="sortable" data-sort="metric">Best</th><th>Epochs</th>
      <th class="sortable" data-sort="started_at">Started</th><th>Duration</th><th>Parameters</th>
    </tr></thead><tbody></tbody></table>
    <h2>Charts</h2>
    <div class="charts">
      <div class="chart" id="chart-curves"></div><div class="chart" id="chart-best"></div>
      <div class="chart" id="chart-parallel"></div>
    </div>
    <h2>Each hyperparameter against the primary metric</h2>
    <div class="scatters" id="chart-scatters"></div>`;
  const $ = (selector) => root.querySelector(selector);
  root.querySelectorAll("th.sortable").forEach((th) => {
    th.onclick = () => {
      state.sort = th.dataset.sort;
      state.offset = 0;
      refreshTable();
    };
  });
  $("#prev").onclick = () => { state.offset = Math.max(0, state.offset - PAGE); refreshTable(); };
  $("#next").onclick = () => { state.offset += PAGE; refreshTable(); };
  $("#cancel").onclick = async () => {
    $("#cancel").disabled = true;
    await request(`/api/experiments/${id}/cancel`, { method: "POST" });
    tick();
  };

  async function refreshTable() {
    const page = await get(`/api/experiments/${id}/runs`, { sort: state.sort, limit: PAGE, offset: state.offset });
    renderTable(root, page.items, state);
  }

  async function tick() {
    clearTimeout(state.timer);
    try {
      const experiment = await get(`/api/experiments/${id}`);
      const first = state.experiment === null;
      const changed = first || !FINISHED.includes(state.experiment.status);
      state.experiment = experiment;
      renderSummary(root, experiment);
      if (changed) {
        const metric = experiment.spec.primary_metric.name;
        const [overview] = await Promise.all([get(`/api/experiments/${id}/overview`, { max_runs: OVERVIEW_RUNS, max_curves: OVERVIEW_CURVES }), refreshTable()]);
        performance.mark("tunedrive:data");
        await plotlyLoaded;
        performance.mark("tunedrive:plotly");
        await Promise.all([
          learningCurves($("#chart-curves"), overview, metric),
          bestSoFar($("#chart-best"), overview, metric),
          parallelCoordinates($("#chart-parallel"), overview, metric),
          scatters($("#chart-scatters"), overview, metric),
        ]);
      }
      if (first) {
        window.tunedriveInteractiveMs = performance.now();
        document.body.dataset.ready = "experiment";
      }
      document.body.dataset.renders = String(Number(document.body.dataset.renders || 0) + 1);
      if (FINISHED.includes(experiment.status) && !changed) return; // nothing more will change
    } catch (error) {
      $("#summary").insertAdjacentHTML("beforeend", `<p class="error">${esc(error.message)}</p>`);
    }
    if (!state.stopped) state.timer = setTimeout(tick, POLL_MS);
  }
  tick();
  return () => { state.stopped = true; clearTimeout(state.timer); };
}

function renderSummary(root, e) {
  const $ = (selector) => root.querySelector(selector);
  const { budget, sampling, early_termination: policy, primary_metric: metric } = e.spec;
  $("#title").textContent = e.name;
  $("#status").innerHTML = badge(e.status);
  $("#cancel").disabled = FINISHED.includes(e.status) || e.cancel_requested;
  const elapsed = since(e.started_at, e.finished_at);
  const counts = Object.entries(e.run_counts).filter(([, n]) => n).map(([s, n]) => `${badge(s)} ${n}`).join(" ");
  $("#summary").innerHTML = `<dl>
    <dt>Trainable</dt><dd>${esc(e.trainable)} on ${esc(e.spec.dataset)}</dd>
    <dt>Goal</dt><dd>${esc(metric.goal)} ${esc(metric.name)}</dd>
    <dt>Sampling · early termination</dt><dd>${esc(sampling.method)} · ${esc(policy ? policy.policy : "none")}</dd>
    <dt>Runs</dt><dd>${finishedRuns(e.run_counts)} of ${budget.max_total_runs} finished, up to ${budget.max_concurrent_runs} at once<br>${counts || "none yet"}</dd>
    <dt>Elapsed</dt><dd>${duration(elapsed)}${budget.max_duration_minutes ? ` of ${budget.max_duration_minutes} min` : ""}</dd>
    ${e.stop_reason ? `<dt>Stop reason</dt><dd>${esc(e.stop_reason)}</dd>` : ""}
    </dl><details><summary>Spec</summary><pre>${esc(JSON.stringify(e.spec, null, 2))}</pre></details>`;
  const best = e.best_run;
  $("#best").innerHTML = best
    ? `<dl><dt>Best run</dt><dd><a href="#/runs/${esc(best.id)}">run ${best.number}</a> ${badge(best.status)}</dd>
       <dt>${esc(metric.name)}</dt><dd><strong>${num(best.best_metric)}</strong></dd>
       <dt>Parameters</dt><dd>${params(best.params)}</dd>
       ${best.final_metrics && best.final_metrics.test_mape !== undefined
         ? `<dt>Test MAPE</dt><dd>${num(best.final_metrics.test_mape)} % (seasonal naive ${num(best.final_metrics.naive_test_mape)} %)</dd>` : ""}
       </dl>`
    : `<p class="muted">No run has reported ${esc(metric.name)} yet.</p>`;
}

function renderTable(root, runs, state) {
  root.querySelectorAll("th.sortable").forEach((th) => th.classList.toggle("sorted", th.dataset.sort === state.sort));
  const total = state.experiment ? Object.values(state.experiment.run_counts).reduce((a, b) => a + b, 0) : 0;
  root.querySelector("#page-info").textContent =
    `runs ${total ? state.offset + 1 : 0}–${state.offset + runs.length} of ${total}, by ${SORTS[state.sort]}`;
  root.querySelector("#prev").disabled = state.offset === 0;
  root.querySelector("#next").disabled = state.offset + PAGE >= total;
  root.querySelector("#runs tbody").innerHTML = runs.map((r) => `<tr data-run="${esc(r.id)}" data-status="${esc(r.status)}">
    <td><a href="#/runs/${esc(r.id)}">${r.number}</a></td>
    <td>${badge(r.status, r.stopped_at_interval ? ` @ interval ${r.stopped_at_interval}` : "")}</td>
    <td class="num">${num(r.best_metric)}</td><td class="num">${r.epochs}</td>
    <td>${r.started_at ? new Date(r.started_at).toLocaleTimeString() : "–"}</td>
    <td>${duration(since(r.started_at, r.finished_at))}</td>
    <td>${params(r.params)}${r.error ? `<div class="error">${esc(r.error.split("\n")[0])}</div>` : ""}</td></tr>`).join("");
}
