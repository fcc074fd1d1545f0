// A panel run's results per series: a table sorted by skill (best first, as the API sends
// it), each row choosing that series in the forecast picker.
import { get } from "./api.js";
import { el } from "./dom.js";
import { num } from "./format.js";

export async function showSeries($, id, final, onPick) {
  if (!final.series_count) return;
  const { items } = await get(`/api/runs/${id}/series`);
  const measure = final.skill_measure;
  const share = final.series_beating_baseline;
  $("#series-results").hidden = false;
  $("#series-summary").textContent =
    `${final.series_count} series; the model beats its own baseline on ${(100 * share).toFixed(0)} % of them.`;
  const head = ["series", `test ${measure}`, "baseline", `baseline ${measure}`, "skill"];
  $("#series-table").replaceChildren(
    el("thead", {}, el("tr", {}, ...head.map((h) => el("th", {}, h)))),
    el("tbody", {}, ...items.map((row) => {
      const link = el("a", { href: "#", dataset: { series: row.series } }, row.series);
      link.onclick = (event) => { event.preventDefault(); onPick(row.series); };
      const worse = row.skill !== null && row.skill <= 0;
      return el("tr", { className: worse ? "worse" : "" },
        el("td", {}, link), el("td", {}, num(row[`test_${measure}`])), el("td", {}, row.baseline),
        el("td", {}, num(row[`baseline_test_${measure}`])), el("td", {}, num(row.skill)));
    })),
  );
}
