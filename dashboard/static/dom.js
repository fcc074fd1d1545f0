// Building the page from nodes: values always land in textContent or attributes, never in
// parsed HTML, so no server string (a run's error, a spec name) can become markup.

// el("td", { className: "num", dataset: { run: id } }, "text", otherNode, null)
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null) continue;
    if (key === "dataset") Object.assign(node.dataset, value);
    else if (key === "style") Object.assign(node.style, value);
    else if (key in node) node[key] = value;
    else node.setAttribute(key, value);
  }
  const kept = children.flat().filter((c) => c !== null && c !== undefined && c !== false);
  node.append(...kept.map((c) => (c instanceof Node ? c : String(c))));
  return node;
}

// A fresh copy of one of index.html's <template>s: the static skeleton of a page.
export function fromTemplate(id) {
  return document.getElementById(id).content.cloneNode(true);
}

// <dl> from [term, definition] pairs; a pair whose definition is null is left out.
export const definitions = (pairs) =>
  el(
    "dl",
    {},
    pairs
      .filter(([, dd]) => dd !== null && dd !== undefined)
      .flatMap(([dt, dd]) => [el("dt", {}, dt), el("dd", {}, dd)]),
  );

export const badge = (status, suffix = "") =>
  el("span", { className: `badge s-${status}` }, status.replace("_", " ") + suffix);

// One message in one place: a new error replaces the old one, and success clears it.
export function showError(slot, message) {
  slot.textContent = message || "";
  slot.hidden = !message;
}

// The test result beside the run's baseline (DESIGN §6.3), saying plainly when it loses;
// null for a run without one.
export function againstBaseline(final, num) {
  const measure = final && final.skill_measure;
  if (!measure || final[`test_${measure}`] === undefined) return null;
  const unit = measure === "mape" || measure === "smape" ? " %" : "";
  const figures =
    `${num(final[`test_${measure}`])}${unit} beside ${final.baseline} ` +
    `${num(final[`baseline_test_${measure}`])}${unit}`;
  const expost = final.ex_post && final.ex_post.length
    ? ` (ex post: actual ${final.ex_post.join(", ")} stood in for forecasts)`
    : "";
  const beats = typeof final.skill === "number" && final.skill > 0;
  const verdict = beats
    ? `${(100 * final.skill).toFixed(1)} % better than the baseline`
    : "does NOT beat its baseline";
  return el("span", { className: beats ? "beats" : "loses" }, `${figures}${expost}: ${verdict}`);
}
