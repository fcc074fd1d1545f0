"""Copies GEFCom2014's energy.csv (from TUNEDRIVE_DATA_DIR, downloaded there if missing) to the
given folders, as the examples' ``data/energy.csv`` input.

Usage: python examples/fetch_data.py DIR...
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from trainables.datasets import ensure_gefcom2014
from tuner.core.settings import Settings


def main(folders: list[str]) -> None:
    source = ensure_gefcom2014(Settings().resolved_data_dir)
    for folder in folders:
        target = Path(folder) / "data" / "energy.csv"
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            shutil.copyfile(source, target)
        print(f"{target} ({target.stat().st_size} bytes)")


if __name__ == "__main__":
    main(sys.argv[1:])
