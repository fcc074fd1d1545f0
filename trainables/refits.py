"""A refit (:mod:`tuner.core.refits`): the run's network (or a trial group's seeds) trained
from the same initial weights on training plus validation, and the test period with
``include_test``, for the source's best epochs, with no early stopping (nothing is held out
to stop on). Its quantiles keep the source's calibration, on residuals out of sample.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from trainables.bundle import DESCRIPTION
from trainables.calibration import Calibration
from trainables.gathered import window_dataset
from trainables.runs import RunInputs, compile_for_training, finish, keras_loss
from trainables.windows import Windows
from tuner.core.registry import RunContext


def refit_windows(run: RunInputs, include_test: bool) -> Windows:
    """What a refit trains on: every window whose target ends before the test period, and the
    test period's too with ``include_test``."""
    prepared = run.prepared
    windows = prepared.train.followed_by(prepared.valid)
    return windows.followed_by(prepared.test) if include_test else windows


def source_calibration(source_dir: Path, member_names: tuple[str, ...]) -> Any:
    """The source run's calibration from its forecaster.json: one, or a panel's list in its
    series' order."""
    described = json.loads((source_dir / DESCRIPTION).read_text())["series"]
    names = member_names or tuple(described)[:1]
    found = [Calibration.from_json(described[name]["calibration"]) for name in names]
    return found if member_names else found[0]


def fit_refit(run: RunInputs, params: dict[str, Any], ctx: RunContext) -> dict[str, Any]:

    from trainables.groups import member_losses, seed_mean, seed_spread, stacked

    refit = ctx.refit
    assert refit is not None
    windows = refit_windows(run, refit.include_test)
    epochs = refit.epochs
    if len(epochs) > 1:
        model, members = stacked(run, len(epochs), ctx.seed)
        networks = [m.network for m in members]
        compile_for_training(model, params, loss=member_losses(run.loss))
    else:
        model = run.build()
        networks = [model]
        compile_for_training(model, params, loss=keras_loss(run.loss))
    kept: list[Any] = [n.get_weights() for n in networks]  # a member of 0 epochs: untrained
    batches = window_dataset(windows.inputs, windows.y, int(params["batch_size"]), ctx.seed)
    for epoch in range(1, max(epochs) + 1):
        history = model.fit(batches, epochs=1, verbose=0, shuffle=False)
        ctx.report({"loss": float(history.history["loss"][-1]) / len(networks)})
        for i, network in enumerate(networks):
            if epochs[i] == epoch:
                kept[i] = network.get_weights()
    for network, weights in zip(networks, kept, strict=True):
        network.set_weights(weights)
    forecaster = seed_mean(networks)
    calibration = source_calibration(Path(refit.source_dir), run.prepared.member_names)
    final = finish(
        forecaster,
        run.prepared,
        run.evaluation,
        ctx.run_dir,
        round(float(np.mean(epochs))),
        run,
        calibration=calibration,
        scored=not refit.include_test,
        spread=seed_spread(networks, run.prepared) if len(networks) > 1 else None,
    )
    times = run.prepared.series.timestamps.astype("datetime64[s]").astype(str)
    last = int(np.max(windows.origins)) + run.prepared.horizon
    return {
        **final,
        "refit_of": refit.source,
        "refit_windows": len(windows),
        "trained_through": times[last].replace("T", " "),
    }
