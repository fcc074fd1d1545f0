"""Windows gathered on demand: a panel's windows are never materialised (DESIGN §6.1).

A :class:`Gathered` is "row ``origin + offset`` of ``source`` for each origin": an input
window is ``offsets = −T+1 … 0`` of the feature rows, a target ``1 … horizon`` of the scaled
target. It costs its origins, not n × T × k values; training gathers one batch at a time
(:func:`window_dataset`) and prediction one chunk at a time (:func:`predict_windows`). Anything
else that needs the values gets them through ``np.asarray`` (``__array__``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

PREDICT_BATCH = 2048


@dataclass(frozen=True)
class Gathered:
    source: np.ndarray  # (rows, ...) float32: the stacked features, or one column of them
    origins: np.ndarray  # (n,) int: each window's origin row in ``source``
    offsets: np.ndarray  # (w,) int: the rows each window takes, relative to its origin

    def __len__(self) -> int:
        return len(self.origins)

    @property
    def shape(self) -> tuple[int, ...]:
        return (len(self.origins), len(self.offsets), *self.source.shape[1:])

    @property
    def nbytes(self) -> int:
        """What this holds of its own (the source is shared by every split's windows)."""
        return int(self.origins.nbytes + self.offsets.nbytes)

    def __getitem__(self, rows: Any) -> Gathered:
        return Gathered(self.source, self.origins[rows], self.offsets)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        values = self.source[self.origins[:, None] + self.offsets[None, :]]
        return values if dtype is None else values.astype(dtype)

    def followed_by(self, more: Gathered) -> Gathered:
        if more.source is not self.source or not np.array_equal(more.offsets, self.offsets):
            raise ValueError("only windows of the same source and shape can be joined")
        return Gathered(self.source, np.concatenate([self.origins, more.origins]), self.offsets)


def join(first: Any, second: Any) -> Any:
    """Two windows' arrays, one after the other (gathered ones stay gathered)."""
    if isinstance(first, Gathered) and isinstance(second, Gathered):
        return first.followed_by(second)
    return np.concatenate([np.asarray(first), np.asarray(second)])


def chunk(values: Any, rows: slice) -> np.ndarray:
    return np.asarray(values[rows])


def predict_windows(model: Any, inputs: Any, batch_size: int = PREDICT_BATCH) -> np.ndarray:
    """``model.predict`` on windows that may be gathered, a chunk at a time."""
    fed = inputs if isinstance(inputs, list) else [inputs]
    if not any(isinstance(a, Gathered) for a in fed):
        return np.asarray(model.predict(inputs, batch_size=batch_size, verbose=0))
    n = len(fed[0])
    out = []
    for start in range(0, n, batch_size):
        rows = slice(start, min(n, start + batch_size))
        part = [chunk(a, rows) for a in fed]
        out.append(np.asarray(model.predict_on_batch(part if len(part) > 1 else part[0])))
    return np.concatenate(out) if out else np.empty((0,))


def window_dataset(inputs: Any, targets: Any, batch_size: int, seed: int | None = None) -> Any:
    """Shuffled batches gathered from tensors made once: arrays by row, gathered windows from
    their source (so no epoch ever holds more than a batch of windows)."""
    import tensorflow as tf

    fed = inputs if isinstance(inputs, list) else [inputs]
    gatherers = [_gatherer(a) for a in fed]
    target = _gatherer(targets)
    n = len(targets)

    def gather(rows: Any) -> Any:
        taken = [g(rows) for g in gatherers]
        return (tuple(taken) if len(taken) > 1 else taken[0]), target(rows)

    rows = tf.data.Dataset.range(n).shuffle(n, seed=seed, reshuffle_each_iteration=True)
    return rows.batch(batch_size).map(gather).prefetch(tf.data.AUTOTUNE)


def _gatherer(values: Any) -> Any:
    import tensorflow as tf

    if isinstance(values, Gathered):
        source = tf.constant(np.ascontiguousarray(values.source, dtype=np.float32))
        origins = tf.constant(values.origins.astype(np.int64))
        offsets = tf.constant(values.offsets.astype(np.int64))

        def from_source(rows: Any) -> Any:
            at = tf.gather(origins, rows)[:, None] + offsets[None, :]
            return tf.gather(source, at)

        return from_source
    tensor = tf.constant(np.ascontiguousarray(values, dtype=np.float32))
    return lambda rows: tf.gather(tensor, rows)
