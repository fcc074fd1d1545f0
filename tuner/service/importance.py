"""What tuning learned: how much each hyperparameter mattered to the primary metric, by
Optuna's fANOVA importance over an experiment's runs that reported it."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from typing import Any

MIN_RUNS = 3  # fewer leaves nothing to attribute
MAX_RUNS = 500  # a seeded sample beyond: fANOVA's forest took tens of seconds on 2,000 runs


def parameter_importance(
    scored: Sequence[tuple[dict[str, Any], float]], goal: str
) -> tuple[dict[str, float], str]:
    """Each varied hyperparameter's share of the variance of the runs' best values (summing to
    1), largest first, and a note on what it rests on or why there is none. CPU-heavy: the
    API runs it in a worker process, never on its store thread."""
    import optuna

    total = len(scored)
    if total > MAX_RUNS:
        scored = random.Random(0).sample(scored, MAX_RUNS)
    names = [n for n in sorted({k for p, _ in scored for k in p}) if _varied(scored, n)]
    if len(scored) < MIN_RUNS or not names:
        why = f"needs {MIN_RUNS} runs with a value" if len(scored) < MIN_RUNS else "nothing varied"
        return {}, f"no importance yet: {why} ({len(scored)} so far)"
    params = [{n: _scalar(p.get(n)) for n in names if n in p} for p, _ in scored]
    distributions = {n: _distribution([p[n] for p in params if n in p]) for n in names}
    direction = "maximize" if goal == "maximize" else "minimize"
    study = optuna.create_study(direction=direction)
    for (_, value), values in zip(scored, params, strict=True):
        if len(values) == len(names):
            study.add_trial(
                optuna.trial.create_trial(params=values, distributions=distributions, value=value)
            )
    evaluator = optuna.importance.FanovaImportanceEvaluator(seed=0)
    found = optuna.importance.get_param_importances(study, evaluator=evaluator)
    sample = f" (a sample of {total})" if total > len(scored) else ""
    return {k: float(v) for k, v in found.items()}, f"fANOVA over {len(study.trials)} runs{sample}"


def _scalar(value: Any) -> Any:
    """Optuna's categories are scalars: a list or mapping value stands as its JSON text."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return json.dumps(value, sort_keys=True)


def _varied(scored: Sequence[tuple[dict[str, Any], float]], name: str) -> bool:
    return len({repr(p.get(name)) for p, _ in scored}) > 1


def _distribution(values: list[Any]) -> Any:
    import optuna

    numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    if len(numbers) == len(values) and len(set(numbers)) > 2:
        low, high = float(min(numbers)), float(max(numbers))
        log = low > 0 and high / low >= 100  # spans orders of magnitude (a learning rate)
        return optuna.distributions.FloatDistribution(low, high, log=log)
    return optuna.distributions.CategoricalDistribution(sorted(set(values), key=repr))
