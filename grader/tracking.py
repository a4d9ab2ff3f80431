"""`--track`: log grading runs to MLflow so a hiring team can compare candidates in its UI.

One experiment per exercise (`grading/<exercise id>`), one run per graded submission:
params say who and what was graded, metrics give the score, per-bug points and a 1/0 per
check, artifacts are the reports. By default the store is a sqlite database in the output
folder (`mlflow ui --backend-store-uri sqlite:///<out>/mlflow.db` shows it). Everything
logged comes from the report, so `--blind` applies here too.
"""

from __future__ import annotations

import os
from pathlib import Path

from grader.errors import GraderError
from grader.report.model import Report

ARTIFACTS = ("report.json", "report.md", "report.html", "run.json")


def default_uri(folder: Path) -> str:
    return f"sqlite:///{(folder / 'mlflow.db').resolve()}"


def track_report(report: Report, out_dir: Path, uri: str | None = None, store_dir: Path | None = None) -> str:
    """Log one report as an MLflow run; return the tracking URI used."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("DO_NOT_TRACK", "true")
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    store_dir = store_dir or out_dir
    uri = uri or default_uri(store_dir)
    try:
        client = MlflowClient(tracking_uri=uri)
        name = f"grading/{report.exercise.id}"
        experiment = client.get_experiment_by_name(name)
        if experiment is None:
            location = (store_dir / "mlartifacts").resolve().as_uri() if uri.startswith("sqlite:") else None
            experiment_id = client.create_experiment(name, artifact_location=location)
        else:
            experiment_id = experiment.experiment_id
        run = client.create_run(experiment_id, run_name=report.candidate or report.submission.commit[:10],
                                tags={"verdict": report.verdict, "sandbox": report.sandbox.backend})
        run_id = run.info.run_id
        params = {
            "candidate": report.candidate or "", "repo": report.submission.url, "commit": report.submission.commit,
            "ref": report.submission.ref or "", "exercise": report.exercise.id,
            "exercise_version": report.exercise.version, "grader_version": report.grader_version,
            "sandbox": report.sandbox.backend, "blind": str(report.blind),
        }
        for key, value in params.items():
            client.log_param(run_id, key, value[:500])
        metrics = {"score.earned": report.score.earned, "score.possible": report.score.possible,
                   "score.percent": report.score.percent}
        for bug in report.bugs:
            metrics[f"bug.{bug.id}.points"] = bug.points
            metrics[f"bug.{bug.id}.fixed"] = float(bug.verdict == "fixed")
        for check in report.all_checks():
            metrics[f"check.{check.id}"] = float(check.outcome == "passed")
        if report.history and report.history.time_on_task_hours is not None:
            metrics["time_on_task_hours"] = report.history.time_on_task_hours
        for key, value in metrics.items():
            client.log_metric(run_id, key, float(value))
        for artifact in ARTIFACTS:
            if (out_dir / artifact).is_file():
                client.log_artifact(run_id, str(out_dir / artifact))
        client.set_terminated(run_id)
    except MlflowException as exc:
        raise GraderError(f"could not log to MLflow at {uri}: {str(exc).splitlines()[0][:200]}") from None
    return uri
