"""The dashboard on a 10,000-run x 50-epoch experiment, in Debian's chromium: seconds until the
table and every chart are drawn. Goals: the third visit and the in-app navigation <= 2 s; the
first visit, whose floor is compiling Plotly's 4.8 MB bundle, <= 3 s.
Usage: python bench/dashboard_load.py
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import sync_playwright

from tests.dashboard.visits import measure_visits


def main() -> None:
    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("needs Debian's chromium (make system-deps)")
    with tempfile.TemporaryDirectory() as where, sync_playwright() as playwright:
        visits = measure_visits(playwright, Path(where), chromium)
    print(visits)
    third, first = visits.loads[2], visits.loads[0]
    print(
        f"third visit {third:.2f} s and in-app {visits.in_app:.2f} s against 2 s: "
        f"{'met' if max(third, visits.in_app) <= 2.0 else 'NOT met'}; "
        f"first visit {first:.2f} s against 3 s: {'met' if first <= 3.0 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
