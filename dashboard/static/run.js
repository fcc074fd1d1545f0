// One run: parameters, every metric curve, test MAPE per horizon step, the test forecast
// against the actual load, and its files.
import { download, get, request } from "./api.js";
import { base as layout, config, plotlyLoaded } from "./charts.js";
import { againstBaseline, badge, definitions, el, fromTemplate, showError } from "./dom.js";
import { duration, num, since } from "./format.js";
import { showSeries } from "./series.js";

export function runPage(root, id) {
  let stopped = false;
  let timer = null;
  root.replaceChildren(fromTemplate("tpl-run"));
  const $ = (selector) => root.querySelector(selector);
  let forecast = null;

  async function tick() {
    try {
      await update();
      showError($("#page-error"), "");
    } catch (error) {
      showError($("#page-error"), `Cannot update: ${error.message}`);
    }
    document.body.dataset.ready = "run";
    if (!stopped && (!run || run.status === "running" || run.status === "queued")) timer = setTimeout(tick, 2000);
  }

  let run = null;
  async function update() {
    run = await get(`/api/runs/${id}`);
    await plotlyLoaded;
    $("#title").textContent = `Run ${run.number}`;
    $("#status").replaceChildren(badge(run.status, run.stopped_at_interval ? ` @ interval ${run.stopped_at_interval}` : ""));
    $("#back").href = `#/experiments/${encodeURIComponent(run.experiment_id)}`;
    $("#params").replaceChildren(definitions(Object.entries(run.params).map(([k, v]) => [k, String(v)])));
    const final = run.final_metrics || {};
    $("#final").replaceChildren(
      definitions([
        ["Best primary metric", el("strong", {}, num(run.best_metric))],
        ["Epochs", `${run.epochs}${run.attempts > 1 ? ` (attempt ${run.attempts})` : ""}`],
        ["Duration", `${duration(since(run.started_at, run.finished_at))} on ${run.node || "–"}`],
        [`Test ${(final.skill_measure || "").toUpperCase()}`, againstBaseline(final, num)],
        ["Error", run.error ? el("pre", { className: "error" }, run.error) : null],
      ]),
    );
    await drawMetrics($("#metric-charts"), await get(`/api/runs/${id}/metrics`), final);
    await showLogs($, id);
    const measure = final.skill_measure;
    const byStep = measure && final[`test_${measure}_by_horizon`];
    // A forecaster's test period; a command trial has none unless it reports one.
    $("#test-set").hidden = !byStep;
    if (byStep) {
      const name = measure.toUpperCase();
      await Plotly.react($("#chart-horizon"), [{ type: "bar", x: byStep.map((_, i) => i + 1), y: byStep }],
        layout(`test ${name} by horizon step`, "steps ahead", name), config);
    }
    const files = run.status === "running" ? [] : await get(`/api/runs/${id}/artifacts`).catch(() => []);
    if (files.length) {
      $("#artifacts").replaceChildren(
        el(
          "dl",
          {},
          el("dt", {}, "Files"),
          ...files.map((f) => {
            const link = el("a", { href: "#", dataset: { file: f.name } }, f.name);
            link.onclick = (event) => {
              event.preventDefault();
              download(`/api/runs/${id}/artifacts/${encodeURIComponent(f.name)}`, f.name);
            };
            return el("dd", {}, link, " ", el("span", { className: "muted" }, `${(f.size / 1024).toFixed(1)} KiB`));
          }),
        ),
      );
      if (!forecast && files.some((f) => f.name === "forecast.csv")) {
        forecast = parseForecast(await (await request(`/api/runs/${id}/artifacts/forecast.csv`, { raw: true })).text());
        const names = [...forecast.keys()];
        const steps = [...forecast.get(names[0]).keys()];
        const draw = () => drawForecast($("#chart-forecast"), forecast, $("#series-pick").value, $("#step").value);
        $("#series-label").hidden = names.length < 2;
        $("#series-pick").replaceChildren(...names.map((s) => el("option", {}, s)));
        $("#step").replaceChildren(...steps.map((s) => el("option", {}, s)));
        $("#series-pick").onchange = draw;
        $("#step").onchange = draw;
        await draw();
        await showSeries($, id, final, (name) => {
          $("#series-pick").value = name;
          draw();
        });
      }
    }
  }
  tick();
  return () => { stopped = true; clearTimeout(timer); };
}

// A command trial's output (stdout.log, stderr.log in its folder): shown once there is any.
async function showLogs($, id) {
  const stream = $("#log-stream");
  const response = await request(`/api/runs/${id}/logs?stream=${stream.value}&tail=200`, { raw: true })
    .catch(() => null); // a run not started yet has no folder, so no logs
  const text = response ? await response.text() : "";
  if (text || !$("#logs").hidden) {
    $("#logs").hidden = false;
    $("#log-text").textContent = text;
  }
  stream.onchange = () => showLogs($, id);
}

// Each val_<m> chart also draws the run's baseline on validation (a dashed line) once known,
// and for a trial group the spread over its members (mean ± std, a band).
async function drawMetrics(container, metrics, final) {
  const names = Object.keys(metrics.series).filter((n) => !n.endsWith("_std"));
  if (container.children.length !== names.length) {
    container.replaceChildren(...names.map((n) => el("div", { className: "chart", dataset: { metric: n } })));
  }
  const steps = metrics.steps;
  const baselineLine = (name) => {
    const value = name.startsWith("val_") ? final[`baseline_${name}`] : undefined;
    if (value === undefined || !steps.length) return [];
    return [{ type: "scatter", mode: "lines", name: final.baseline, x: [steps[0], steps[steps.length - 1]],
      y: [value, value], line: { dash: "dash", color: "#cf222e" } }];
  };
  const spread = (name) => {
    const mean = metrics.series[name];
    const std = metrics.series[`${name}_std`];
    if (!std) return [];
    const edge = (sign) => mean.map((v, i) => (v === null || std[i] === null ? null : v + sign * std[i]));
    return [
      { type: "scatter", mode: "lines", x: steps, y: edge(1), line: { width: 0 }, showlegend: false, hoverinfo: "skip" },
      { type: "scatter", mode: "lines", x: steps, y: edge(-1), line: { width: 0 }, fill: "tonexty",
        fillcolor: "rgba(9,105,218,0.18)", name: "± std over members" },
    ];
  };
  await Promise.all(names.map((name, i) => Plotly.react(container.children[i],
    [...spread(name),
      { type: "scatter", mode: "lines+markers", name, x: steps, y: metrics.series[name], marker: { size: 4 } },
      ...baselineLine(name)],
    layout(name, "epoch", name), config)));
}

// forecast.csv: [series,] origin, horizon_step, predicted, actual, timestamp (the step's own
// time, on the data's calendar), then a column per quantile (q10 … q90). By series ("" for
// one), then by step.
function parseForecast(text) {
  const [header, ...lines] = text.trim().split(/\r?\n/);
  const names = header.split(",");
  const column = Object.fromEntries(names.map((name, i) => [name, i]));
  const quantiles = names.filter((name) => /^q\d/.test(name));
  const band = quantiles.length >= 2 ? [quantiles[0], quantiles[quantiles.length - 1]] : null;
  const bySeries = new Map();
  for (const line of lines) {
    const cells = line.split(",");
    const name = column.series === undefined ? "" : cells[column.series];
    if (!bySeries.has(name)) bySeries.set(name, new Map());
    const bySteps = bySeries.get(name);
    const step = cells[column.horizon_step];
    if (!bySteps.has(step)) bySteps.set(step, { time: [], predicted: [], actual: [], low: [], high: [], band });
    const series = bySteps.get(step);
    series.time.push(cells[column.timestamp].replace(" ", "T") + "Z");
    series.predicted.push(Number(cells[column.predicted]));
    series.actual.push(Number(cells[column.actual]));
    if (band) {
      series.low.push(Number(cells[column[band[0]]]));
      series.high.push(Number(cells[column[band[1]]]));
    }
  }
  return bySeries;
}

function drawForecast(el, forecast, name, step) {
  const series = (forecast.get(name) || forecast.values().next().value).get(String(step));
  const title = `test forecast against the actual target${name ? ` of ${name}` : ""} (${step} steps ahead)`;
  // The outermost quantiles as a band under the lines (its lower edge first, filled up to the upper).
  const band = series.band ? [
    { type: "scatter", mode: "lines", x: series.time, y: series.low, name: series.band[0], line: { width: 0 }, showlegend: false, hoverinfo: "skip" },
    { type: "scatter", mode: "lines", x: series.time, y: series.high, name: `${series.band[0]}–${series.band[1]}`, line: { width: 0 },
      fill: "tonexty", fillcolor: "rgba(9,105,218,0.15)" },
  ] : [];
  return Plotly.react(el, [
    ...band,
    { type: "scatter", mode: "lines", x: series.time, y: series.actual, name: "actual", line: { color: "#1f2328", width: 1 } },
    { type: "scatter", mode: "lines", x: series.time, y: series.predicted, name: `forecast, ${step} steps ahead`, line: { color: "#0969da", width: 1 } },
  ], { ...layout(title, "time (UTC)", "target"), showlegend: true }, config);
}
