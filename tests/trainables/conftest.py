from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import SHARED_DATA


@pytest.fixture(scope="session")
def shared_data() -> Path:
    import os

    path = Path(os.environ.get("TUNEDRIVE_DATA_DIR") or SHARED_DATA)
    if not (path / "GEFCom2014-E.xlsx").exists():
        pytest.skip(f"GEFCom2014 workbook not found in {path}; set TUNEDRIVE_DATA_DIR")
    return path
