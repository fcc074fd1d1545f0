"""A panel's run page in Debian's chromium: its series table and the series picker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.api.live import LiveServer
from tests.dashboard.pages import CHROMIUM, shot
from trainables.forecaster import EnsembleForecaster, load_forecaster

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (make test)")


def test_a_panel_run_through_the_sdk_and_its_series_table_and_picker(
    page: Any, server: LiveServer, tmp_path: Path
) -> None:
    """A 3-series panel uploaded with the SDK, one global model: per-series results reach the
    SDK as a DataFrame and the run page as a table sorted by skill, whose rows pick the series
    the forecast chart shows."""
    from tests.trainables.test_panels import SHAPES, panel_frame
    from tuner.client import Client

    source = tmp_path / "panel.csv"
    panel_frame().to_csv(source, index=False)
    with Client(server.url) as client:
        dataset = client.upload_dataset(
            source, "regions", timestamp_column="month", series_column="region"
        )
        assert (dataset.frequency, dataset.series_count) == ("MS", 3)
        experiment = client.submit(
            {
                "name": "panel",
                "trainable": "ffn",
                "dataset": dataset.id,
                "target": "sales",
                "fixed": {"T": 12, "horizon": 6, "max_epochs": 2},
                "search_space": {"latent_dim": {"choice": [8]}},
                "primary_metric": {"name": "val_mase", "goal": "minimize"},
                "budget": {"max_total_runs": 1},
            }
        )
        assert client.wait(experiment.id, timeout=300).status == "completed"
        best = client.best_run(experiment.id)
        frame = client.run_series_frame(best.id)
    assert sorted(frame["series"]) == sorted(SHAPES)
    assert list(frame["skill"]) == sorted(frame["skill"], reverse=True)
    assert best.final_metrics["test_mase"] == pytest.approx(frame["test_mase"].mean())
    page.goto(f"{server.url}/#/runs/{best.id}")
    page.wait_for_selector("#series-results:not([hidden])")
    shown = page.eval_on_selector_all(
        "#series-table tbody a", "(links) => links.map((a) => a.text)"
    )
    assert shown == list(frame["series"])  # best skill first, as the API sends it
    last = shown[-1]
    page.click(f"#series-table a[data-series={last}]")
    page.wait_for_function(
        f"() => document.getElementById('chart-forecast').layout.title.text.includes('{last}')"
    )
    assert page.input_value("#series-pick") == last
    shot(page, "run-panel")

    # Refit from the experiment page: a new run, marked as the refit of run 1, on all series.
    page.goto(f"{server.url}/#/experiments/{experiment.id}")
    page.wait_for_selector("#refit:not([disabled])")
    page.click("#refit")
    page.wait_for_selector("#runs tbody .refit", timeout=120_000)
    page.wait_for_selector("#status .s-completed", timeout=120_000)
    assert page.inner_text("#runs tbody .refit").strip() == f"refit of #{best.number}"
    with Client(server.url) as client:
        (made,) = client.refits(experiment.id)
        assert made.refit_of == best.id and made.status == "completed"
        assert "test_mase" in made.final_metrics
        assert sorted(client.run_series_frame(made.id)["series"]) == sorted(SHAPES)
    # The experiment page's ensemble card, read back against the API's.
    page.wait_for_selector("#ensemble:not([hidden])")
    with Client(server.url) as client:
        made = client.ensemble(experiment.id)
    assert f"#{best.number} 1.00" in page.inner_text("#ensemble")
    assert made.members[0].run_id == best.id
    with page.expect_download() as fetched:
        page.click("#ensemble-model")
    assert fetched.value.suggested_filename == f"ensemble-{experiment.id}.tar.gz"
    assert isinstance(load_forecaster(fetched.value.path()), EnsembleForecaster)
