"""The trainable registry: what each trainable declares, without importing TensorFlow.

A definition names its hyperparameters (with defaults), the metrics it reports each epoch and
at the end, and where its code lives (``"module:function"``), so the spec can be checked at
submission time in a process that never loads the model code.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from tuner.errors import TunedriveError

if TYPE_CHECKING:
    from tuner.core.domains import Domain
    from tuner.core.refits import Refit


class Reporter(Protocol):
    """One interval report; ``step`` is its interval where the trainable counts its own
    (default: the next one)."""

    def __call__(self, metrics: Mapping[str, Any], step: int | None = None) -> None: ...


# A report may carry "<metric>_sem", the standard error of <metric> where the run measured it
# (a trial group's mean over seeds and folds): a policy then stops the run only when it is worse
# than the cutoff by more than that.
SEM_SUFFIX = "_sem"


@dataclass
class RunContext:
    """What a trainable gets besides its hyperparameters."""

    report: Reporter
    run_dir: Path
    cpus: float = 1.0
    gpus: float = 0.0
    primary_metric: str | None = None  # the spec's, e.g. "val_mase": the baseline is chosen on it
    seed: int | None = None  # the run's: the same seed gives the same training (DESIGN §6.4)
    # True once a policy has stopped the run at its latest report: the trainable should stop
    # training there and finish as usual (best epoch restored, test metrics returned). A report
    # after that raises RunStopped, which ends a trainable that does not ask.
    stop_requested: Callable[[], bool] = field(default=lambda: False)
    # A trial group (DESIGN §6.4): train this many seeds on each of this many rolling-origin
    # folds, and report their mean (a trainable that cannot ignores these).
    repeats: int = 1
    folds: int = 1
    # A refit (tuner.core.refits): train the configuration again on more data for fixed
    # epochs; None for every run a searcher drew. A trainable without ``refits`` never sees one.
    refit: Refit | None = None


FitFunction = Callable[[dict[str, Any], Any, RunContext], Mapping[str, Any] | None]
# (spec, settings) -> what every run gets. It may carry ``ray_runtime_env``: what Ray must
# bring to every node for the runs (a code snapshot), given to ray.init by the driver.
DataLoader = Callable[[Any, Any], Any]
SpecCheck = Callable[[Any], list[tuple[str, str]]]
DataCheck = Callable[[Any, Any, Any], None]  # (spec, store, settings)
ForecastFunction = Callable[[Path, bytes | None, Any, Any], list[dict[str, Any]]]


@dataclass(frozen=True)
class TrainableDefinition:
    name: str
    hyperparameters: Mapping[str, Any]
    metrics: tuple[str, ...]
    fit: str | FitFunction
    final_metrics: tuple[str, ...] = ()
    load_data: str | DataLoader | None = None
    description: str = ""
    # The accepted values of each hyperparameter, checked at submission (tuner.core.domains).
    domains: Mapping[str, Domain] = field(default_factory=dict)
    # Capabilities. The hyperparameter that bounds how many reports a run makes (ASHA's max_t
    # defaults to its largest value); None: the spec must give max_t.
    training_length: str | None = None
    trial_groups: bool = False  # honours evaluation.repeats and evaluation.folds
    open_hyperparameters: bool = False  # any name: the search space is the declaration
    reuse_workers: bool = True  # False: every run gets a fresh Ray worker
    # What a run whose primary metric was not a finite number should try, if anything.
    divergence_hint: str = ""
    # Its own checks: ``check_spec(spec) -> [(field, problem)]`` at parsing (no store), and
    # ``check_data(spec, store, settings)`` at submission (raises SpecError).
    check_spec: str | SpecCheck | None = None
    check_data: str | DataCheck | None = None
    # ``forecast(run_folder, body, spec, settings) -> rows``: a forecast from fresh history
    # (a CSV body) or, without one, from the end of the run's data; None: it cannot forecast.
    forecast: str | ForecastFunction | None = None
    # The files of a run's folder that make its portable model (GET /api/runs/{id}/model).
    model_files: tuple[str, ...] = ()
    refits: bool = False  # honours RunContext.refit (POST /api/experiments/{id}/refit)
    # ``ensemble(run_folders, final_metrics) -> {weights, test, baseline}``: an ensemble of the
    # experiment's finished runs, best first (GET /api/experiments/{id}/ensemble).
    ensemble: str | Callable[..., dict[str, Any]] | None = None

    def resolve_fit(self) -> FitFunction:
        return _resolve(self.fit)

    def resolve_loader(self) -> DataLoader | None:
        return None if self.load_data is None else _resolve(self.load_data)

    def resolve_forecast(self) -> ForecastFunction | None:
        return None if self.forecast is None else _resolve(self.forecast)

    def resolve_ensemble(self) -> Callable[..., dict[str, Any]] | None:
        return None if self.ensemble is None else _resolve(self.ensemble)

    def spec_problems(self, spec: Any) -> list[tuple[str, str]]:
        return [] if self.check_spec is None else list(_resolve(self.check_spec)(spec))

    def check_against_data(self, spec: Any, store: Any, settings: Any) -> None:
        if self.check_data is not None:
            _resolve(self.check_data)(spec, store, settings)

    def describe(self) -> dict[str, Any]:
        """What ``GET /api/trainables`` lists: hyperparameters, domains, defaults, metrics."""
        return {
            "name": self.name,
            "description": self.description,
            "hyperparameters": {
                name: {
                    "default": default,
                    "domain": self.domains[name].describe() if name in self.domains else None,
                }
                for name, default in self.hyperparameters.items()
            },
            "open_hyperparameters": self.open_hyperparameters,
            "forecasts": self.forecast is not None,
            "refits": self.refits,
            "metrics": list(self.metrics),
            "final_metrics": list(self.final_metrics),
            "training_length": self.training_length,
            "trial_groups": self.trial_groups,
        }


def _resolve(target: str | Callable[..., Any]) -> Any:
    if callable(target):
        return target
    module_name, _, attr = target.partition(":")
    return getattr(importlib.import_module(module_name), attr)


ENTRY_POINT_GROUP = "tunedrive.trainables"
_REGISTRY: dict[str, TrainableDefinition] = {}
_plugins_loaded = False


def register_trainable(definition: TrainableDefinition, *, replace: bool = False) -> None:
    if definition.name in _REGISTRY and not replace:
        raise TunedriveError(f"trainable {definition.name!r} is already registered")
    _REGISTRY[definition.name] = definition


def _load_plugins() -> None:
    """Trainables declared in the ``tunedrive.trainables`` entry-point group (the built-ins
    among them, by ``pyproject.toml``), then the modules named in TUNEDRIVE_PLUGINS
    (comma-separated), which register their own when imported and may replace a declared one.
    Driver processes and Ray workers load them the same way."""
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        definition = entry.load()
        if not isinstance(definition, TrainableDefinition):
            raise TunedriveError(
                f"entry point {entry.name} = {entry.value} in group {ENTRY_POINT_GROUP} is not "
                "a TrainableDefinition"
            )
        _REGISTRY.setdefault(definition.name, definition)
    for module in os.environ.get("TUNEDRIVE_PLUGINS", "").split(","):
        if module.strip():
            importlib.import_module(module.strip())


def get_trainable(name: str) -> TrainableDefinition | None:
    _load_plugins()
    return _REGISTRY.get(name)


def trainable_names() -> list[str]:
    _load_plugins()
    return sorted(_REGISTRY)
