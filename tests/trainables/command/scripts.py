"""Scripts for command-trial tests, written into a code folder and uploaded as a snapshot."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from tuner.client.packing import upload_local_files
from tuner.core.settings import Settings
from tuner.service.code import save_snapshot
from tuner.service.submission import submit_experiment

SCRIPTS = {
    # Reports through report() (numpy scalars), a JSON line and a prefixed stdout line.
    "train.py": """
        import argparse, json, os, sys
        import numpy as np
        from tuner.client import report
        parser = argparse.ArgumentParser()
        parser.add_argument("--lr", type=float)
        parser.add_argument("--label")
        parser.add_argument("--out")
        parser.add_argument("--epochs", type=int, default=4)
        args = parser.parse_args()
        print("label:", json.dumps(args.label), file=sys.stderr)
        for epoch in range(1, args.epochs + 1):
            loss = np.float32(args.lr + 1.0 / epoch)
            if epoch % 2:
                report(loss=loss, lr_seen=np.float64(args.lr))
            else:
                print("##tunedrive[report] " + json.dumps({"loss": float(loss)}), flush=True)
        if args.out:
            open(os.path.join(args.out, "model.txt"), "w").write(str(args.lr))
    """,
    # Ignores SIGTERM and forks a grandchild that ignores it too; never asks report().
    "stubborn.py": """
        import os, signal, sys, time
        from tuner.client import report
        lr = float(sys.argv[1])
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if os.fork() == 0:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            with open(os.path.join(os.environ["TUNEDRIVE_RUN_DIR"], "grandchild.pid"), "w") as f:
                f.write(str(os.getpid()))
            while True:
                time.sleep(1)
        for epoch in range(1, int(sys.argv[2]) + 1):
            report(loss=lr * 10 + 1.0 / epoch)
            time.sleep(0.1)
    """,
    "wrong_name.py": """
        from tuner.client import report
        report(Loss=1.0, accuracy=0.5)
    """,
    "text_metric.py": """
        from tuner.client import report
        report(loss="low")
    """,
    "crash.py": """
        import sys
        print("about to fail", file=sys.stderr)
        raise SystemExit(3)
    """,
    "oom.py": """
        import os, signal
        os.kill(os.getpid(), signal.SIGKILL)
    """,
    "sleepy.py": """
        import sys, time
        from tuner.client import report
        for epoch in range(1, 1000):
            report(loss=float(sys.argv[1]) + 1.0 / epoch)
            time.sleep(0.2)
    """,
    "with_mlflow.py": """
        import sys
        import mlflow
        lr = float(sys.argv[1])
        with mlflow.start_run():
            mlflow.log_param("lr", lr)
            for epoch in range(3):
                mlflow.log_metric("val_loss", lr + 1.0 / (epoch + 1), step=epoch + 1)
            mlflow.log_metrics({"final_score": 1 - lr})
    """,
}


def code_folder(root: Path) -> Path:
    folder = root / "src"
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in SCRIPTS.items():
        (folder / name).write_text(textwrap.dedent(text))
    return folder


def command_spec(command: str, space: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    return {
        "name": "command-test",
        "trial": {"command": command, "code": "./src", "stop_grace_seconds": 1},
        "search_space": space,
        "primary_metric": {"name": "loss", "goal": "minimize"},
        "budget": {"max_total_runs": 2, "max_concurrent_runs": 2},
        **overrides,
    }


def submit_command(store: Any, settings: Settings, root: Path, spec: dict[str, Any]) -> Any:
    """Uploads the code folder under ``root`` as the CLI would, and queues the spec."""
    code_folder(root)
    uploaded = upload_local_files(spec, root, lambda data: save_snapshot(settings, data).id)
    return submit_experiment(store, uploaded, settings)
