"""tunedrive: hyperparameter tuning for deep time-series forecasters.

Importing this package stays light: no Ray, TensorFlow or SQLAlchemy at import time.
"""

from tuner.errors import NotFoundError, SpecError, TunedriveError

__all__ = ["NotFoundError", "SpecError", "TunedriveError"]
__version__ = "0.1.0"
