"""The forecast measures every built-in trainable reports (DESIGN §6.3); the maths is in
``trainables/scoring.py``, the names are here so that spec checks need no numpy."""

from __future__ import annotations

MEASURES = ("mae", "rmse", "mape", "smape", "mase")
PERCENT_MEASURES = ("mape", "smape")  # divide by the target: undefined at zeros or sign changes
