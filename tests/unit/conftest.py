"""Fixtures shared by the Docker engine tests: a published toy exercise, and what a run left behind."""

from pathlib import Path

import pytest

from grader import catalog
from grader.publish import publish

HOME = Path(__file__).parents[1] / "fixtures" / "home"


def docker_leftovers():
    """(containers, volumes) on the engine that carry the grader's label."""
    from grader.images import docker_client
    from grader.sandbox.docker import LABEL

    client = docker_client()
    filters = {"label": [f"{LABEL}=1"]}
    return client.containers.list(all=True, filters=filters), client.volumes.list(filters=filters)


@pytest.fixture
def toy_repo(docker_image, monkeypatch, tmp_path):
    """The toy exercise (tests/fixtures/home) published as a candidate repo, on a clean engine."""
    monkeypatch.setenv("GRADER_HOME", str(HOME))
    repo = tmp_path / "repo"
    publish(catalog.get_exercise("toy"), repo)
    assert docker_leftovers() == ([], []), "the engine must start clean for this test"
    return repo
