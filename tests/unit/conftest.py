"""Fixtures shared by the Docker engine tests: a published toy exercise, and what a run left behind."""

import os
import uuid
from pathlib import Path

import pytest

from grader import catalog
from grader.publish import publish

HOME = Path(__file__).parents[1] / "fixtures" / "home"


@pytest.fixture
def pack(tmp_path, monkeypatch):
    """A pack in a temporary folder with one scaffolded exercise (`pricing-units`), on GRADER_PACKS."""
    from grader.scaffold import scaffold

    root = tmp_path / "private-pack"
    scaffold("pricing-units", root)
    monkeypatch.setenv(catalog.PACKS_ENV, str(root))
    return root


def docker_leftovers():
    """(containers, volumes) on the engine that carry the grader's label and this test's owner tag
    (`docker_owner`): other tests may grade on the same engine at the same time (pytest-xdist)."""
    from grader.images import docker_client
    from grader.sandbox.docker import LABEL, OWNER_ENV

    client = docker_client()
    filters = {"label": [f"{LABEL}=1", f"{LABEL}.owner={os.environ[OWNER_ENV]}"]}
    return client.containers.list(all=True, filters=filters, ignore_removed=True), client.volumes.list(filters=filters)


@pytest.fixture(autouse=True)
def docker_owner(monkeypatch):
    """Everything this test starts on the engine, in-process or in a `grader` child, is tagged as its own."""
    from grader.sandbox.docker import OWNER_ENV

    monkeypatch.setenv(OWNER_ENV, f"test-{uuid.uuid4().hex[:12]}")


@pytest.fixture
def toy_repo(docker_image, monkeypatch, tmp_path):
    """The toy exercise (tests/fixtures/home) published as a candidate repo, on a clean engine."""
    monkeypatch.setenv("GRADER_HOME", str(HOME))
    repo = tmp_path / "repo"
    publish(catalog.get_exercise("toy"), repo)
    assert docker_leftovers() == ([], []), "the engine must start clean for this test"
    return repo
