"""Uploaded data sets: validation that names the row or column, storage, use in a spec."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tuner.core.settings import Settings
from tuner.core.uploads import dataset_path
from tuner.store import Store

LOCAL = "http://127.0.0.1"  # the loopback guard answers only loopback names


def csv_text(rows: int = 400, freq_hours: int = 1) -> str:
    stamps = np.datetime64("2020-01-01T00:00") + np.arange(rows) * np.timedelta64(freq_hours, "h")
    hours = np.arange(rows)
    demand = 100 + 10 * np.sin(2 * np.pi * hours / 24)
    lines = ["timestamp,demand,price,wind"]
    lines += [
        f"{str(s).replace('T', ' ')},{d:.3f},{20 + (h % 7)},{h % 5}"
        for s, d, h in zip(stamps, demand, hours, strict=True)
    ]
    return "\n".join(lines) + "\n"


@pytest.fixture
def client(settings: Settings, store: Store) -> Iterator[TestClient]:
    with TestClient(create_app(settings, store), base_url=LOCAL) as test_client:
        yield test_client


def upload(client: TestClient, text: str, **params: Any) -> Any:
    return client.post(
        "/api/datasets",
        params={"name": "demand", **params},
        content=text.encode(),
        headers={"Content-Type": "text/csv"},
    )


def test_upload_list_and_stored_file(client: TestClient, settings: Settings) -> None:
    response = upload(client, csv_text())
    assert response.status_code == 201
    body = response.json()
    assert body["rows"] == 400 and body["columns"] == ["demand", "price", "wind"]
    assert body["frequency_seconds"] == 3600
    assert (
        dataset_path(settings, body["id"])
        .read_text()
        .startswith("timestamp,demand,price,wind\n2020-01-01 00:00:00,")
    )
    assert [d["id"] for d in client.get("/api/datasets").json()["items"]] == [body["id"]]


def edit(text: str, line: int, new: str) -> str:
    lines = text.splitlines()
    lines[line - 1] = new
    return "\n".join(lines) + "\n"


BASE = csv_text()
REFUSALS = [
    ("not a timestamp", edit(BASE, 10, "yesterday,1,2,3"), "row 10, column 'timestamp'"),
    ("duplicate", edit(BASE, 10, BASE.splitlines()[8]), "row 10: duplicate timestamp"),
    ("not increasing", edit(BASE, 10, "2019-01-01 00:00:00,1,2,3"), "row 10: timestamp 2019-01-01"),
    (
        "irregular",
        edit(BASE, 10, "2020-01-01 08:30:00,1,2,3"),
        "row 10: timestamp 2020-01-01 08:30:00 is not on the h calendar",
    ),
    (
        "non-numeric",
        edit(BASE, 12, "2020-01-01 10:00:00,lots,2,3"),
        "row 12, column 'demand': 'lots' is not a number",
    ),
    (
        "missing value",
        edit(BASE, 12, "2020-01-01 10:00:00,,2,3"),
        "row 12, column 'demand': the value is missing",
    ),
    (
        "infinite value",
        edit(BASE, 12, "2020-01-01 10:00:00,-inf,2,3"),
        "row 12, column 'demand': -inf is not a finite number",
    ),
    ("no timestamp column", BASE.replace("timestamp,", "time,", 1), "no column 'timestamp'"),
    ("too short", "\n".join(BASE.splitlines()[:10]) + "\n", "needs at least 48"),
    ("empty", "", "the upload is empty"),
]


@pytest.mark.parametrize(("case", "text", "message"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_bad_uploads_name_the_row_or_column(
    client: TestClient, settings: Settings, case: str, text: str, message: str
) -> None:
    response = upload(client, text)
    assert response.status_code == 422, case
    assert message in response.json()["detail"], response.json()["detail"]
    assert client.get("/api/datasets").json()["items"] == []  # nothing stored
    folder = dataset_path(settings, "x").parent
    assert not folder.exists() or not list(folder.iterdir())


def test_a_text_column_is_left_out_by_choosing_columns(client: TestClient) -> None:
    lines = BASE.splitlines()
    with_text = "\n".join([lines[0] + ",site", *(f"{line},north" for line in lines[1:])]) + "\n"
    refused = upload(client, with_text)
    assert refused.status_code == 422
    assert "column 'site': 'north' is not a number" in refused.json()["detail"]
    assert "columns=" in refused.json()["detail"]  # says which option fixes it
    chosen = upload(client, with_text, columns=["demand", "price"])
    assert chosen.status_code == 201, chosen.text
    assert chosen.json()["columns"] == ["demand", "price"]
    also = upload(client, with_text, columns="wind,demand")  # comma-separated, in that order
    assert also.json()["columns"] == ["wind", "demand"]
    unknown = upload(client, BASE, columns=["demand", "pressure"])
    assert unknown.status_code == 422 and "no column 'pressure'" in unknown.json()["detail"]


def test_short_gaps_are_filled_when_asked(client: TestClient, settings: Settings) -> None:
    lines = BASE.splitlines()
    dst_gap = "\n".join(lines[:11] + lines[12:]) + "\n"  # one hour missing, as in spring
    refused = upload(client, dst_gap)
    assert refused.status_code == 422
    detail = refused.json()["detail"]
    assert "row 12:" in detail and "fill_gaps=1" in detail
    filled = upload(client, dst_gap, fill_gaps=1)
    assert filled.status_code == 201, filled.text
    body = filled.json()
    assert body["rows"] == 400 and body["filled_rows"] == 1
    stored = dataset_path(settings, body["id"]).read_text().splitlines()
    before, inserted, after = (stored[i].split(",") for i in (10, 11, 12))
    assert inserted[0] == "2020-01-01 10:00:00"
    for column in (1, 2, 3):  # linear between its neighbours
        middle = (float(before[column]) + float(after[column])) / 2
        assert float(inserted[column]) == pytest.approx(middle)
    # An empty cell is a gap too; a gap longer than allowed names the option's value.
    cells = edit(edit(BASE, 20, "2020-01-01 18:00:00,,27,3"), 21, "2020-01-01 19:00:00,,21,4")
    cells = edit(cells, 15, "2020-01-01 13:00:00,,22,3")  # a short gap first: not the one named
    too_long = upload(client, cells, fill_gaps=1)
    assert too_long.status_code == 422
    assert "row 20, column 'demand': the value is missing" in too_long.json()["detail"]
    assert "fill_gaps=2" in too_long.json()["detail"]
    assert upload(client, cells, fill_gaps=2).json()["filled_rows"] == 3


def test_a_gap_refusal_fixes_every_gap_at_once(client: TestClient) -> None:
    """The message names the longest gap and the fill_gaps that covers them all, or the start
    that leaves out the stretch with gaps too long; following either advice is accepted."""
    lines = BASE.splitlines()
    # 1 hour missing after row 11, then 4 hours after row 100: one retry, not two.
    gappy = "\n".join(lines[:11] + lines[12:100] + lines[104:]) + "\n"
    refused = upload(client, gappy)
    detail = refused.json()["detail"]
    assert refused.status_code == 422 and "row 12:" in detail
    assert "the longest gap is 4 missing steps: fill_gaps=4 fills every gap" in detail
    assert "start=2020-01-05 07:00:00" in detail
    assert upload(client, gappy, fill_gaps=4).json()["filled_rows"] == 5
    cut = upload(client, gappy, start="2020-01-05 07:00:00")
    assert cut.status_code == 201, cut.text
    assert cut.json()["start"].startswith("2020-01-05T07:00:00") and cut.json()["filled_rows"] == 0


def test_timestamp_column_can_be_named(client: TestClient) -> None:
    response = upload(client, BASE.replace("timestamp,", "time,", 1), timestamp_column="time")
    assert response.status_code == 201 and response.json()["columns"] == ["demand", "price", "wind"]


def test_upload_size_limit_is_413(settings: Settings, store: Store) -> None:
    small = settings.model_copy(update={"max_dataset_bytes": 1000})
    with TestClient(create_app(small, store), base_url=LOCAL) as client:
        assert upload(client, BASE).status_code == 413
        # No Content-Length: refused as the streamed body passes the limit, the part received
        # so far (already on disk) removed.
        chunks = (BASE.encode()[i : i + 500] for i in range(0, len(BASE), 500))
        streamed = client.post(
            "/api/datasets",
            params={"name": "demand"},
            content=chunks,
            headers={"Content-Type": "text/csv"},
        )
        assert streamed.status_code == 413
    folder = dataset_path(small, "x").parent
    assert not folder.exists() or not list(folder.iterdir())


def spec_for(dataset: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": "uploaded",
        "trainable": "ffn",
        "dataset": dataset,
        "fixed": {"T": 12, "horizon": 3, "max_epochs": 2, "batch_size": 32},
        "search_space": {"latent_dim": {"choice": [4]}},
        "primary_metric": {"name": "val_mape", "goal": "minimize"},
        "budget": {"max_total_runs": 1},
        **extra,
    }


def test_spec_must_name_an_existing_data_set_and_column(client: TestClient) -> None:
    dataset_id = upload(client, BASE).json()["id"]
    unknown = client.post("/api/experiments", json=spec_for("nope", target="demand"))
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "dataset"
    no_target = client.post("/api/experiments", json=spec_for(dataset_id))
    assert no_target.status_code == 422 and "target: is required" in no_target.json()["detail"]
    wrong = client.post("/api/experiments", json=spec_for(dataset_id, target="price2"))
    assert (
        wrong.status_code == 422
        and "columns of demand: demand, price, wind" in wrong.json()["detail"]
    )
    ok = client.post(
        "/api/experiments",
        json=spec_for(
            dataset_id, target="demand", split={"valid_fraction": 0.2, "test_fraction": 0.2}
        ),
    )
    assert ok.status_code == 201
    for future, status in ((["demand"], 422), (["pressure"], 422), (["price", "wind"], 201)):
        spec = spec_for(dataset_id, target="demand", future_covariates=future)
        answer = client.post("/api/experiments", json=spec)
        assert answer.status_code == status, (future, answer.text)
        if status == 422:
            assert answer.json()["errors"][0]["field"] == "future_covariates"


def test_percentage_metrics_are_refused_for_a_target_with_zeros(client: TestClient) -> None:
    dataset = upload(client, BASE).json()
    assert dataset["column_signs"] == {
        "demand": "positive",
        "price": "positive",
        "wind": "zeros or sign changes",  # h % 5
    }
    for metric in ("val_mape", "val_smape"):
        spec = spec_for(dataset["id"], target="wind")
        spec["primary_metric"]["name"] = metric
        refused = client.post("/api/experiments", json=spec)
        assert refused.status_code == 422, refused.text
        problem = refused.json()["errors"][0]
        assert problem["field"] == "primary_metric.name" and "use val_mase" in problem["message"]
    spec = spec_for(dataset["id"], target="wind")
    spec["primary_metric"]["name"] = "val_mase"
    assert client.post("/api/experiments", json=spec).status_code == 201
    spec = spec_for(dataset["id"], target="price")  # positive: MAPE is fine
    assert client.post("/api/experiments", json=spec).status_code == 201


@pytest.mark.parametrize("family", ["ffn", "rnn", "encoder_decoder", "cnn"])
def test_every_family_trains_on_an_uploaded_data_set(
    client: TestClient, settings: Settings, family: str, tmp_path: Any
) -> None:
    from trainables.catalog import FAMILIES, SHARED_HYPERPARAMETERS
    from trainables.fit import fit_forecaster
    from trainables.loading import load_for_tuning
    from tuner.core.registry import RunContext

    dataset_id = upload(client, BASE).json()["id"]
    series = load_for_tuning(dataset_id, settings, {"target": "price", "split": None})
    assert series.covariates.shape == (400, 2)  # demand and wind
    params = {
        **SHARED_HYPERPARAMETERS,
        **FAMILIES[family][1],
        "T": 12,
        "horizon": 3,
        "max_epochs": 1,
        "filters": 4,
        "layers": 2,
    }
    reports: list[dict[str, Any]] = []
    final = fit_forecaster(
        family,
        params,
        series,
        RunContext(report=reports.append, run_dir=tmp_path, primary_metric="val_mape"),
    )
    assert len(reports) == 1 and len(final["test_mape_by_horizon"]) == 3


def test_a_bom_other_separators_and_offsets_are_read_as_a_user_means_them(
    client: TestClient, settings: Settings
) -> None:
    text = csv_text(rows=60).replace(",", ";")
    lines = text.splitlines()
    shifted = [lines[0]] + [line.replace(";", "+02:00;", 1) for line in lines[1:]]
    body = b"\xef\xbb\xbf" + "\n".join(shifted).encode()
    response = client.post(
        "/api/datasets",
        params={"name": "semicolons"},
        content=body,
        headers={"Content-Type": "text/csv"},
    )
    assert response.status_code == 201, response.text
    record = response.json()
    assert record["columns"] == ["demand", "price", "wind"]  # no BOM in a name, ; split
    assert record["start"].startswith("2019-12-31T22:00")  # +02:00 read as UTC
    stored = dataset_path(settings, record["id"]).read_text().splitlines()
    assert stored[0] == "timestamp,demand,price,wind"


def test_a_data_set_in_use_is_not_deleted_an_unused_one_is_with_its_file(
    client: TestClient, settings: Settings
) -> None:
    dataset = upload(client, csv_text()).json()
    spec = {
        "name": "uses-it",
        "trainable": "ffn",
        "dataset": dataset["id"],
        "target": "demand",
        "fixed": {"horizon": 6, "T": 24, "max_epochs": 1},
        "search_space": {"latent_dim": {"choice": [4, 8]}},
        "primary_metric": {"name": "val_mase", "goal": "minimize"},
        "budget": {"max_total_runs": 2},
    }
    experiment = client.post("/api/experiments", json=spec)
    assert experiment.status_code == 201, experiment.text
    busy = client.delete(f"/api/datasets/{dataset['id']}")
    assert busy.status_code == 409 and experiment.json()["id"] in busy.json()["detail"]
    assert dataset_path(settings, dataset["id"]).exists()
    client.post(f"/api/experiments/{experiment.json()['id']}/cancel")
    assert client.delete(f"/api/datasets/{dataset['id']}").status_code == 204
    assert not dataset_path(settings, dataset["id"]).exists()
    assert client.get("/api/datasets").json()["items"] == []
