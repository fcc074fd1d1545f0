// One experiment: summary, best run, a sortable paged runs table, charts, cancel, extend, refit. While it
// runs the page polls every 1.5 s and redraws in place, keeping the sort, page and zoom.
import { download, get, request } from "./api.js";
import {
  bestSoFar, importanceBars, learningCurves, logScaled, parallelCoordinates, plotlyLoaded, scatters,
} from "./charts.js";
import { againstBaseline, badge, definitions, el, fromTemplate, showError } from "./dom.js";
import { duration, FINISHED, finishedRuns, num, params, since } from "./format.js";

const PAGE = 50;
const POLL_MS = 1500;
const OVERVIEW_RUNS = 300; // the best 150 and an even spread of the rest, past 300 runs
const OVERVIEW_CURVES = 100;
const SORTS = { number: "#", status: "status", metric: "best", started_at: "started" };

export function experimentPage(root, id) {
  const state = { sort: "number", offset: 0, experiment: null, timer: null, stopped: false };
  root.replaceChildren(fromTemplate("tpl-experiment"));
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

  $("#extend").onclick = async () => {
    // The API takes the new total; the page asks for the runs to add to those it has.
    const runs = Object.values(state.experiment.run_counts).reduce((a, b) => a + b, 0);
    $("#extend").disabled = true;
    try {
      const body = JSON.stringify({ max_total_runs: runs + Number($("#extend-runs").value) });
      await request(`/api/experiments/${id}/extend`, { method: "POST", body, contentType: "application/json" });
    } catch (error) {
      showError($("#page-error"), `Cannot extend: ${error.message}`);
    }
    tick();
  };

  $("#refit").onclick = async () => {
    // The best run's configuration trained again on training plus validation; a new run.
    $("#refit").disabled = true;
    try {
      await request(`/api/experiments/${id}/refit`, { method: "POST", body: "{}", contentType: "application/json" });
    } catch (error) {
      // Not followed by a redraw, which would clear the message at once.
      showError($("#page-error"), `Cannot refit: ${error.message}`);
      return;
    }
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
          parallelCoordinates($("#chart-parallel"), overview, metric, logScaled(experiment.spec)),
          scatters($("#chart-scatters"), overview, metric, logScaled(experiment.spec)),
        ]);
        if (FINISHED.includes(experiment.status)) {
          // Once, at the end, and not waited for: fANOVA fits a forest over the runs.
          get(`/api/experiments/${id}/importance`)
            .then((found) => importanceBars($("#chart-importance"), found))
            .catch((error) => showError($("#page-error"), `No parameter importance: ${error.message}`));
          // The ensemble of its runs, where its trainable makes one (a 409 otherwise: no card).
          get(`/api/experiments/${id}/ensemble`).then((made) => renderEnsemble($("#ensemble"), made)).catch(() => {});
        }
      }
      if (first) {
        window.tunedriveInteractiveMs = performance.now();
        document.body.dataset.ready = "experiment";
      }
      document.body.dataset.renders = String(Number(document.body.dataset.renders || 0) + 1);
      showError($("#page-error"), "");
      if (FINISHED.includes(experiment.status) && !changed) return; // nothing more will change
    } catch (error) {
      showError($("#page-error"), `Cannot update: ${error.message}`);
    }
    if (!state.stopped) state.timer = setTimeout(tick, POLL_MS);
  }
  tick();
  return () => { state.stopped = true; clearTimeout(state.timer); };
}

// The best run, or the baseline where validation already said no run beats it.
function recommended(recommendation) {
  if (!recommendation) return null;
  const { use, message } = recommendation;
  return el("span", { className: use === "baseline" ? "error" : "", dataset: { use } }, message);
}

function renderSummary(root, e) {
  const $ = (selector) => root.querySelector(selector);
  const { budget, sampling, early_termination: policy, primary_metric: metric } = e.spec;
  $("#title").textContent = e.name;
  $("#status").replaceChildren(badge(e.status));
  $("#cancel").disabled = FINISHED.includes(e.status) || e.cancel_requested;
  $("#extend").disabled = !FINISHED.includes(e.status);
  $("#refit").disabled = !FINISHED.includes(e.status) || !e.best_run;
  const counts = Object.entries(e.run_counts)
    .filter(([, n]) => n)
    .flatMap(([s, n]) => [badge(s), ` ${n} `]);
  const limit = budget.max_duration_minutes ? ` of ${budget.max_duration_minutes} min` : "";
  $("#summary").replaceChildren(
    definitions([
      ["Trainable", e.spec.dataset ? `${e.trainable} on ${e.spec.dataset}` : e.trainable],
      ["Goal", `${metric.goal} ${metric.name}`],
      ["Sampling · early termination", `${sampling.method} · ${policy ? policy.policy : "none"}`],
      [
        "Runs",
        el(
          "span",
          {},
          `${finishedRuns(e.run_counts)} of ${budget.max_total_runs} finished, up to ${Math.min(budget.max_concurrent_runs ?? budget.max_total_runs, budget.max_total_runs)} at once`,
          el("br"),
          ...(counts.length ? counts : ["none yet"]),
        ),
      ],
      ["Elapsed", `${duration(since(e.started_at, e.finished_at))}${limit}`],
      ["Stop reason", e.stop_reason || null],
    ]),
    el("details", {}, el("summary", {}, "Spec"), el("pre", {}, JSON.stringify(e.spec, null, 2))),
  );
  const best = e.best_run;
  const final = (best && best.final_metrics) || {};
  $("#best").replaceChildren(
    best
      ? definitions([
          ["Best run", el("span", {}, el("a", { href: `#/runs/${encodeURIComponent(best.id)}` }, `run ${best.number}`), " ", badge(best.status))],
          [metric.name, el("strong", {}, num(best.best_metric))],
          ["Parameters", params(best.params)],
          [`Test ${(final.skill_measure || "").toUpperCase()}`, againstBaseline(final, num)],
          ["Recommended", recommended(e.recommendation)],
        ])
      : el("p", { className: "muted" }, `No run has reported ${metric.name} yet.`),
  );
}

function renderTable(root, runs, state) {
  root.querySelectorAll("th.sortable").forEach((th) => th.classList.toggle("sorted", th.dataset.sort === state.sort));
  const total = state.experiment ? Object.values(state.experiment.run_counts).reduce((a, b) => a + b, 0) : 0;
  root.querySelector("#page-info").textContent =
    `runs ${total ? state.offset + 1 : 0}–${state.offset + runs.length} of ${total}, by ${SORTS[state.sort]}`;
  root.querySelector("#prev").disabled = state.offset === 0;
  root.querySelector("#next").disabled = state.offset + PAGE >= total;
  root.querySelector("#runs tbody").replaceChildren(...runs.map(runRow));
}

function renderEnsemble(card, made) {
  const weights = made.members.map((m) => `#${m.number} ${m.weight.toFixed(2)}`).join(", ");
  const figures = Object.entries(made.test).map(([name, value]) => {
    const theirs = made.baseline[`baseline_${name}`];
    return [name.replace("test_", "test "), `${num(value)}${theirs === undefined ? "" : ` (baseline ${num(theirs)})`}`];
  });
  // Its portable model: the members' models and weights (load_forecaster reads it).
  const model = el("a", { href: "#", id: "ensemble-model" }, "Download its model");
  model.onclick = (event) => {
    event.preventDefault();
    download(`/api/experiments/${made.experiment_id}/ensemble/model`, `ensemble-${made.experiment_id}.tar.gz`);
  };
  card.replaceChildren(el("h3", {}, "Ensemble of its runs"), definitions([["Weights", weights], ...figures]), model);
  card.hidden = false;
}

function refitTitle(refit) {
  const through = refit.include_test ? "training, validation and test" : "training and validation";
  return `trained on ${through} for ${refit.epochs.join(", ")} epochs`;
}

function runRow(r) {
  const stopped = r.stopped_at_interval ? ` @ interval ${r.stopped_at_interval}` : "";
  return el(
    "tr",
    { dataset: { run: r.id, status: r.status } },
    el(
      "td",
      {},
      el("a", { href: `#/runs/${encodeURIComponent(r.id)}` }, r.number),
      r.refit ? el("span", { className: "refit", title: refitTitle(r.refit) }, ` refit of #${r.refit.source_number}`) : null,
    ),
    el("td", {}, badge(r.status, stopped)),
    el("td", { className: "num" }, num(r.best_metric)),
    el("td", { className: "num" }, r.epochs),
    el("td", {}, r.started_at ? new Date(r.started_at).toLocaleTimeString() : "–"),
    el("td", {}, duration(since(r.started_at, r.finished_at))),
    el("td", {}, params(r.params), r.error ? el("div", { className: "error" }, r.error.split("\n")[0]) : null),
  );
}
