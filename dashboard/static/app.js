// Hash routes: #/ experiments, #/experiments/<id>, #/runs/<id>. Each page returns a function
// that stops its polling when the user leaves it.
import { experimentsPage } from "./experiments.js";
import { experimentPage } from "./experiment.js";
import { runPage } from "./run.js";

let leave = () => {};

function route() {
  leave();
  document.body.dataset.ready = "";
  const root = document.getElementById("page");
  const [, kind, id] = location.hash.replace(/^#\/?/, "/").split("/");
  if (kind === "experiments" && id) leave = experimentPage(root, decodeURIComponent(id));
  else if (kind === "runs" && id) leave = runPage(root, decodeURIComponent(id));
  else leave = experimentsPage(root);
}

window.addEventListener("hashchange", route);
route();
