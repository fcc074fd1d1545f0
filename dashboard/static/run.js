// One run: parameters, every metric curve, test MAPE per horizon step, the test forecast
// against the actual load, and its files.
import { download, get, request } from "./api.js";
import { base as layout, config, plotlyLoaded } from "./charts.js";
import { badge, duration, esc, num, since } from "./format.js";

export function runPage(root, id) {
  let stopped = false;
  let timer = null;
  root.innerHTML = `
    <h1><span id="title">Run</span> <span id="status"></span></h1>
    <p><a id="back" href="#/">← experiment</a></p>
    <div class="cards"><div class="card" id="params"></div><div class="card" id="final"></div>
      <div class="card" id="artifacts"><p class="muted">No files yet.</p></div></div>
    <h2>Metrics by epoch</h2><div class="scatters" id="metric-charts"></div>
    <h2>Test set</h2>
    <div class="charts"><div class="chart" id="chart-horizon"></div>
      <div><div class="toolbar"><label>Horizon step <select id="step"></select></label></div>
        <div class="chart" id="chart-forecast"></div></div></div>`;
  const $ = (selector) => root.querySelector(selector);
  let forecast = null;

  async function tick() {
    const run = await get(`/api/runs/${id}`);
    await plotlyLoaded;
    $("#title").textContent = `Run ${run.number}`;
    $("#status").innerHTML = badge(run.status, run.stopped_at_interval ? ` @ interval ${run.stopped_at_interval}` : "");
    $("#back").href = `#/experiments/${run.experiment_id}`;
    $("#params").innerHTML = `<dl>${Object.entries(run.params).map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join("")}</dl>`;
    const final = run.final_metrics || {};
    $("#final").innerHTML = `<dl><dt>Best primary metric</dt><dd><strong>${num(run.best_metric)}</strong></dd>
      <dt>Epochs</dt><dd>${run.epochs}${run.attempts > 1 ? ` (attempt ${run.attempts})` : ""}</dd>
      <dt>Duration</dt><dd>${duration(since(run.started_at, run.finished_at))} on ${esc(run.node || "–")}</dd>
      ${final.test_mape !== undefined ? `<dt>Test MAPE</dt><dd>${num(final.test_mape)} % (seasonal naive ${num(final.naive_test_mape)} %)</dd>` : ""}
      ${run.error ? `<dt>Error</dt><dd class="error"><pre>${esc(run.error)}</pre></dd>` : ""}</dl>`;
    await drawMetrics($("#metric-charts"), await get(`/api/runs/${id}/metrics`));
    if (final.test_mape_by_horizon) {
      const values = final.test_mape_by_horizon;
      await Plotly.react($("#chart-horizon"), [{ type: "bar", x: values.map((_, i) => i + 1), y: values }],
        layout("test MAPE by horizon step", "hours ahead", "MAPE %"), config);
    }
    const files = run.status === "running" ? [] : await get(`/api/runs/${id}/artifacts`).catch(() => []);
    if (files.length) {
      $("#artifacts").innerHTML = `<dl><dt>Files</dt>${files.map((f) =>
        `<dd><a href="#" data-file="${esc(f.name)}">${esc(f.name)}</a> <span class="muted">${(f.size / 1024).toFixed(1)} KiB</span></dd>`).join("")}</dl>`;
      $("#artifacts").querySelectorAll("a[data-file]").forEach((a) => {
        a.onclick = (event) => { event.preventDefault(); download(`/api/runs/${id}/artifacts/${a.dataset.file}`, a.dataset.file); };
      });
      if (!forecast && files.some((f) => f.name === "forecast.csv")) {
        forecast = parseForecast(await (await request(`/api/runs/${id}/artifacts/forecast.csv`, { raw: true })).text());
        const steps = [...forecast.keys()];
        $("#step").innerHTML = steps.map((s) => `<option>${s}</option>`).join("");
        $("#step").onchange = () => drawForecast($("#chart-forecast"), forecast, Number($("#step").value));
        await drawForecast($("#chart-forecast"), forecast, steps[0]);
      }
    }
    document.body.dataset.ready = "run";
    if (!stopped && (run.status === "running" || run.status === "queued")) timer = setTimeout(tick, 2000);
  }
  tick();
  return () => { stopped = true; clearTimeout(timer); };
}

async function drawMetrics(container, metrics) {
  const names = Object.keys(metrics.series);
  if (container.children.length !== names.length) {
    container.innerHTML = names.map((n) => `<div class="chart" data-metric="${esc(n)}"></div>`).join("");
  }
  await Promise.all(names.map((name, i) => Plotly.react(container.children[i],
    [{ type: "scatter", mode: "lines+markers", x: metrics.steps, y: metrics.series[name], marker: { size: 4 } }],
    layout(name, "epoch", name), config)));
}

// forecast.csv: origin, horizon_step, predicted, actual. Step h forecasts origin + h periods.
function parseForecast(text) {
  const byStep = new Map();
  const lines = text.trim().split("\n").slice(1);
  const origins = [];
  for (const line of lines) {
    const [origin, step, predicted, actual] = line.split(",");
    if (!byStep.has(step)) byStep.set(step, { origin: [], predicted: [], actual: [] });
    const series = byStep.get(step);
    series.origin.push(origin);
    series.predicted.push(Number(predicted));
    series.actual.push(Number(actual));
    if (step === "1") origins.push(origin);
  }
  const period = origins.length > 1 ? Date.parse(origins[1] + "Z") - Date.parse(origins[0] + "Z") : 3600_000;
  for (const [step, series] of byStep) {
    series.time = series.origin.map((o) => new Date(Date.parse(o + "Z") + Number(step) * period).toISOString());
  }
  return byStep;
}

function drawForecast(el, forecast, step) {
  const series = forecast.get(String(step));
  return Plotly.react(el, [
    { type: "scatter", mode: "lines", x: series.time, y: series.actual, name: "actual", line: { color: "#1f2328", width: 1 } },
    { type: "scatter", mode: "lines", x: series.time, y: series.predicted, name: `forecast, ${step} h ahead`, line: { color: "#0969da", width: 1 } },
  ], { ...layout(`test forecast against the actual load (${step} step ahead)`, "time (UTC)", "load"), showlegend: true }, config);
}
