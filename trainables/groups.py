"""Trial groups (DESIGN §6.4): one run trains N seeds on each of K rolling-origin folds.

Fold i validates on the i-th of K equal consecutive blocks of the validation period and trains
on everything before it. A fold's N members are one stacked Keras model: one input, N
networks side by side, the sum of their MSEs as the loss, so each member's gradients are its
own and one pass over a batch trains all N (far cheaper than N runs). The members train in
lockstep: after every epoch the run reports, for each measure, the mean over members of each
member's best-so-far value (and ``<metric>_std``, ``<metric>_sem``), so policies and samplers
see the mean, and a policy stops a group only when it is worse by more than its standard error.
Each member keeps its own patience and best weights. The test forecast is the mean of the
last fold's members (a seed ensemble); every member's model is saved.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from trainables.evaluation import Evaluation
from trainables.gathered import predict_windows, window_dataset
from trainables.runs import (
    HUBER_DELTA,
    PREDICT_BATCH,
    RunInputs,
    compile_for_training,
    finish,
    predict_load,
    validation_loss,
)
from trainables.windows import Prepared
from tuner.core.registry import SEM_SUFFIX, RunContext


@dataclass
class Member:
    """One seed on one fold: its network inside the fold's stack, and its best so far."""

    network: Any
    best_score: float = math.inf  # of the metric the run is judged on (RunInputs.selection)
    best_weights: list[Any] | None = None
    best_epoch: int = 0
    wait: int = 0
    best: dict[str, float] = field(default_factory=dict)  # best-so-far of each val_ measure


@dataclass
class Fold:
    prepared: Prepared
    evaluation: Evaluation
    stack: Any
    members: list[Member]
    loss: str = "mse"  # the run's training loss
    selection: str = "val_loss"  # what a member's best epoch is judged on
    batches: Any = None  # its training windows as a reshuffled tf.data pipeline, made once


def fold_windows(
    prepared: Prepared, evaluation: Evaluation, folds: int
) -> list[tuple[Prepared, Evaluation]]:
    """Each fold's windows and scoring: validation on its block, training on all before it."""
    if folds == 1:
        return [(prepared, evaluation)]
    origins = prepared.valid.origins
    bounds = [round(i * len(origins) / folds) for i in range(folds + 1)]
    if min(b - a for a, b in itertools.pairwise(bounds)) < 1:
        raise ValueError(f"folds={folds} leaves a fold without validation windows")
    out = []
    for lo, hi in itertools.pairwise(bounds):
        before = np.flatnonzero(origins + prepared.horizon <= origins[lo])  # targets end before
        train = (
            prepared.train.followed_by(prepared.valid.take(before))
            if len(before)
            else prepared.train
        )
        block = slice(lo, hi)
        scoring = replace(
            evaluation,
            actual_valid=evaluation.actual_valid[block],
            baseline_valid=evaluation.baseline_valid[block],
            valid_scale=evaluation.valid_scale[block],
            valid_ends=evaluation.valid_ends[block],
        )
        out.append((replace(prepared, train=train, valid=prepared.valid.take(block)), scoring))
    return out


def stacked(run: RunInputs, repeats: int, seed: int | None) -> tuple[Any, list[Member]]:
    """N networks of the run's family on shared inputs, output (batch, N, horizon). Member r
    starts from seed + r on every fold, so the folds share their N initial networks."""
    import keras

    networks = []
    for repeat in range(repeats):
        if seed is not None:
            keras.utils.set_random_seed(seed + repeat)
        networks.append(run.build())
    inputs, fed = shared_inputs(networks[0])
    outputs = [keras.layers.Reshape((1, -1))(network(fed)) for network in networks]
    joined = keras.layers.Concatenate(axis=1)(outputs) if len(outputs) > 1 else outputs[0]
    return keras.Model(inputs, joined), [Member(network) for network in networks]


def shared_inputs(network: Any) -> tuple[list[Any], Any]:
    """Fresh inputs shaped like ``network``'s, and what to call a network with."""
    import keras

    inputs = [keras.Input(tuple(t.shape[1:])) for t in network.inputs]
    return inputs, inputs if len(inputs) > 1 else inputs[0]


def member_losses(kind: str) -> Any:
    """The sum over members of each one's training loss: each member's gradient is its own."""
    import keras

    def losses(y_true: Any, y_pred: Any) -> Any:
        errors = y_pred - keras.ops.expand_dims(y_true, 1)
        if kind == "mae":
            each = keras.ops.abs(errors)
        elif kind == "huber":
            size = keras.ops.abs(errors)
            each = keras.ops.where(
                size <= HUBER_DELTA, 0.5 * errors**2, HUBER_DELTA * (size - 0.5 * HUBER_DELTA)
            )
        else:
            each = keras.ops.square(errors)
        return keras.ops.sum(keras.ops.mean(each, axis=-1), axis=-1)

    return losses


def fit_group(run: RunInputs, params: dict[str, Any], ctx: RunContext) -> dict[str, Any]:
    folds = []
    for prepared, evaluation in fold_windows(run.prepared, run.evaluation, ctx.folds):
        stack, members = stacked(run, ctx.repeats, ctx.seed)
        compile_for_training(stack, params, loss=member_losses(run.loss))
        fold = Fold(prepared, evaluation, stack, members, run.loss, run.selection)
        if run.residual:  # untrained, a member is the baseline: it must beat that to move
            for member, scores in zip(members, _score(fold), strict=True):
                member.best_score = scores[run.selection]
                member.best_weights = member.network.get_weights()
        folds.append(fold)
    patience = int(params["patience"])
    for epoch in range(1, int(params["max_epochs"]) + 1):
        losses = [_train_one_epoch(fold, params) for fold in folds]
        for fold in folds:
            _update(fold, epoch, _score(fold))
        members = [m for fold in folds for m in fold.members]
        ctx.report(_group_report(members, float(np.mean(losses)), ctx.primary_metric))
        if ctx.stop_requested() or all(m.wait >= patience for m in members):
            break
    for member in (m for fold in folds for m in fold.members):
        if member.best_weights is not None:
            member.network.set_weights(member.best_weights)
    return _finish_group(folds, ctx, run)


def _train_one_epoch(fold: Fold, params: dict[str, Any]) -> float:
    if fold.batches is None:
        fold.batches = _batches(fold.prepared, int(params["batch_size"]))
    history = fold.stack.fit(fold.batches, epochs=1, verbose=0, shuffle=False)  # shuffled already
    return float(history.history["loss"][-1]) / len(fold.members)


def _batches(prepared: Prepared, batch_size: int) -> Any:
    """Shuffled batches gathered from tensors made once: an epoch-by-epoch ``fit`` on NumPy
    arrays would convert every window again each epoch."""
    return window_dataset(prepared.train.inputs, prepared.train.y, batch_size)


def _score(fold: Fold) -> list[dict[str, float]]:
    """Each member's validation measures and val_loss (its training loss plus its penalty)."""
    scaled = predict_windows(fold.stack, fold.prepared.valid.inputs, PREDICT_BATCH)
    scores = []
    for i, member in enumerate(fold.members):
        mine = scaled[:, i, :].astype(np.float64)
        loss = validation_loss(mine, fold.prepared.valid.y, member.network, fold.loss)
        measures = fold.evaluation.validation(fold.prepared.unscale(fold.prepared.valid, mine))
        scores.append({**measures, "val_loss": loss})
    return scores


def _update(fold: Fold, epoch: int, scores: list[dict[str, float]]) -> None:
    for member, mine in zip(fold.members, scores, strict=True):
        for name, value in mine.items():
            if not math.isnan(value) and not value >= member.best.get(name, math.inf):
                member.best[name] = value  # every measure and val_loss: lower is better
        if mine[fold.selection] < member.best_score:
            member.best_score, member.best_epoch, member.wait = mine[fold.selection], epoch, 0
            member.best_weights = member.network.get_weights()
        else:
            member.wait += 1


def _group_report(members: list[Member], loss: float, primary: str | None) -> dict[str, Any]:
    report: dict[str, Any] = {"loss": loss}
    for name in members[0].best:
        values = np.array([m.best.get(name, math.nan) for m in members])
        report[name], report[f"{name}_std"] = float(np.mean(values)), float(np.std(values))
        if len(values) > 1:  # the mean's standard error (sample deviation / sqrt of n)
            report[f"{name}{SEM_SUFFIX}"] = float(np.std(values, ddof=1) / math.sqrt(len(values)))
    if primary in report:  # what each member contributed, to check the mean against
        report[f"{primary}_members"] = [round(m.best.get(primary, math.nan), 9) for m in members]
    return report


def seed_mean(networks: list[Any]) -> Any:
    """One model whose forecast is the members' mean (the network itself when alone)."""
    import keras

    if len(networks) == 1:
        return networks[0]
    inputs, fed = shared_inputs(networks[0])
    return keras.Model(inputs, keras.layers.Average()([n(fed) for n in networks]))


def seed_spread(networks: list[Any], prepared: Prepared) -> tuple[np.ndarray, np.ndarray]:
    """The standard deviation of the members' forecasts, on validation and on test."""
    return tuple(  # type: ignore[return-value]
        np.std([predict_load(n, prepared, windows) for n in networks], axis=0)
        for windows in (prepared.valid, prepared.test)
    )


def _finish_group(folds: list[Fold], ctx: RunContext, run: RunInputs) -> dict[str, Any]:
    """The seed ensemble of the last fold forecasts the test period; every member is saved."""

    members_dir = ctx.run_dir / "members"
    members_dir.mkdir(parents=True, exist_ok=True)
    for f, fold in enumerate(folds, start=1):
        for r, member in enumerate(fold.members, start=1):
            member.network.save(members_dir / f"fold{f}-seed{r}.keras")
    last = folds[-1]
    networks = [m.network for m in last.members]
    ensemble = seed_mean(networks)
    epochs = [m.best_epoch for fold in folds for m in fold.members]
    final = finish(
        ensemble,
        last.prepared,
        last.evaluation,
        ctx.run_dir,
        round(float(np.mean(epochs))),
        run,
        spread=seed_spread(networks, last.prepared) if len(networks) > 1 else None,
    )
    return {**final, "members": len(epochs), "member_best_epochs": epochs}
