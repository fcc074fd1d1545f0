"""The Python SDK and the wire records it shares with the API.

    from tuner.client import Client
    client = Client()                          # TUNEDRIVE_URL, TUNEDRIVE_TOKEN
    experiment = client.submit("configs/demo.yaml")
    done = client.wait(experiment.id)
    print(done.best_run.params, done.best_run.best_metric)

Needs only the client install (httpx, pydantic, pyyaml, typer, rich).
"""

from tuner.client.report import report, should_stop
from tuner.client.schemas import Artifact, Dataset, Experiment, Metrics, Run
from tuner.client.sdk import Client

__all__ = [
    "Artifact", "Client", "Dataset", "Experiment", "Metrics", "Run", "report", "should_stop"
]
