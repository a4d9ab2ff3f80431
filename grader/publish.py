"""Make candidate repos: the starter as a fresh one-commit git repo, and overlays on it.

Publishing is deterministic (fixed author, dates and file order), so publishing twice
gives the same tree and the same baseline commit, and the grader can recognise the
starter's tree in a submission's history. Nothing from `exercises/` is ever copied.
`push` sends the published repo to the hiring team's template remote, with the same
hardened git settings as the checkout.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import git

from grader import marker, secret, starter_tests, variants
from grader.catalog import MARKER, Exercise, ignored
from grader.checkout.clone import HARDENING, git_env
from grader.checkout.urls import UrlPolicy, vet
from grader.errors import GraderError
from grader.variants import Variant

BOT = git.Actor("MLOps Exercises", "exercises@mlops-grader.invalid")
EPOCH = "1767225600 +0000"  # 2026-01-01T00:00:00Z


def copy_tree(src: Path, dest: Path) -> None:
    """Copy `src` over `dest` (files replace files), skipping local build and run litter."""
    for root, dirs, files in os.walk(src):
        dirs[:] = sorted(d for d in dirs if not ignored(d))
        rel = Path(root).relative_to(src)
        (dest / rel).mkdir(parents=True, exist_ok=True)
        for name in sorted(files):
            if not ignored(name):
                shutil.copy(Path(root) / name, dest / rel / name)  # a fresh mtime: git rehashes it


def render_overlay(exercise: Exercise, folder: Path, variant: Variant, dest: Path) -> Path:
    """`folder` (the starter, the solution overlay) copied to `dest` with its templates
    rendered for `variant` (grader.variants)."""
    copy_tree(folder, dest)
    variants.render_tree(dest, variants.context(exercise.spec, variant))
    return dest


def render_templates(exercise: Exercise, folder: Path, variant: Variant, dest: Path) -> list[Path]:
    """Only `folder`'s templates, rendered for `variant` at their places under `dest` (the
    files a variant changes in it): the rendered paths (without a template that renders to no
    file in `variant`), none when `folder` has no template."""
    rendered = []
    for template in sorted(p for p in folder.rglob(f"*{variants.TEMPLATE_SUFFIX}") if p.is_file()):
        target = dest / template.relative_to(folder)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(template, target)
        rendered.append(target.with_name(target.name.removesuffix(variants.TEMPLATE_SUFFIX)))
    if rendered:
        variants.render_tree(dest, variants.context(exercise.spec, variant))
    return [path for path in rendered if path.is_file()]


def render_starter(exercise: Exercise, variant: Variant, dest: Path) -> Path:
    """The starter as `variant`'s candidate gets it: templates rendered, and the committed data
    drawn again for every variant but the default by the exercise's `make_data.py`, when it
    defines `write_starter_data(repo_dir, seed, parameters)`."""
    render_overlay(exercise, exercise.starter, variant, dest)
    seed = variants.data_seed(exercise.spec, variant)
    maker = exercise.root / "make_data.py"
    if seed is not None and maker.is_file():
        module = _load_module(maker, f"grader_make_data_{exercise.id.replace('-', '_')}")
        write = getattr(module, "write_starter_data", None)
        if write is not None:
            write(dest, seed, variant.parameters(exercise.spec))
    return dest


def _load_module(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _commit(repo: git.Repo, message: str, author: git.Actor = BOT, date: str = EPOCH) -> str:
    repo.git.add("--all")
    commit = repo.index.commit(message, author=author, committer=author, author_date=date, commit_date=date, skip_hooks=True)
    return commit.hexsha


def _quiet_env(repo: git.Repo) -> git.Repo:
    repo.git.update_environment(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull)
    return repo


def publish(exercise: Exercise, dest: Path, candidate: str | None = None, variant: Variant | None = None,
            check_tests: bool = False) -> str:
    """Write the starter repo into `dest` (new or empty) as one commit; return its sha.

    An exercise with variants (grader.variants) is rendered for `variant`, else for the one
    drawn for `candidate`, else for its default variant, and the marker names the variant.
    For a named candidate the marker names them too, signed under the grading secret if
    one is configured (grader.marker). With `check_tests` (what goes to a candidate), the
    rendered starter must pass its own visible tests first (grader.starter_tests)."""
    if not exercise.starter.is_dir():
        raise GraderError(f"exercise {exercise.id!r} has no starter folder at {exercise.starter}")
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise GraderError(f"destination {dest} exists and is not an empty folder")
    spec = exercise.spec
    grading_secret = secret.load() if candidate is not None else None
    if variant is None:
        variant = variants.for_candidate(spec, candidate, grading_secret) if candidate else variants.default(spec)
    with tempfile.TemporaryDirectory(prefix="grader-publish-") as scratch:  # a template error publishes nothing
        rendered = render_starter(exercise, variant, Path(scratch) / "starter")
        if check_tests:
            named = f" variant {variant.id}" if spec.variants else ""
            starter_tests.check(rendered, f"exercise {spec.id}{named}")
        dest.mkdir(parents=True, exist_ok=True)
        copy_tree(rendered, dest)
    if candidate is not None or spec.variants:
        (dest / MARKER).write_text(marker.render(spec.id, spec.version, candidate, grading_secret,
                                                 variant.id if spec.variants else None))
    repo = _quiet_env(git.Repo.init(dest, initial_branch="main"))
    return _commit(repo, f"{spec.title}\n\nStarter repo for exercise {spec.id} v{spec.version}.\n")


def push(repo_dir: Path, remote: str, policy: UrlPolicy = UrlPolicy(), timeout_s: float = 120) -> None:
    """Push the published `main` to a remote (the hiring team's template repo)."""
    source = vet(remote, policy)
    home = Path(tempfile.mkdtemp(prefix="grader-git-home-"))
    cmd = ["git", "-C", str(repo_dir)]
    for setting in HARDENING:
        cmd += ["-c", setting]
    if source.kind == "file":
        cmd += ["-c", "protocol.file.allow=always"]
    cmd += ["push", "--porcelain", "--", source.git_url, "main:main"]
    try:
        done = subprocess.run(cmd, env=git_env(source, home), capture_output=True, text=True, timeout=timeout_s,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise GraderError(f"push to {source.display} took longer than {timeout_s:.0f} s") from None
    finally:
        shutil.rmtree(home, ignore_errors=True)
    if done.returncode != 0:
        text = (done.stderr + done.stdout).strip()
        if "rejected" in text or "non-fast-forward" in text or "fetch first" in text:
            raise GraderError(f"push to {source.display} rejected: the remote's main has a different history")
        last = [ln for ln in text.splitlines() if ln.strip()][-1:] or ["git push failed"]
        raise GraderError(f"push to {source.display} failed: {last[0].removeprefix('fatal: ')[:300]}")


def solution(exercise: Exercise, scratch: Path, variant: Variant | None = None) -> Path:
    """The reference solution as an overlay rendered for `variant` (default: the exercise's
    default variant), in a folder under `scratch`."""
    return render_overlay(exercise, exercise.solution_dir, variant or variants.default(exercise.spec),
                          scratch / "solution")


def commit_overlay(repo_dir: Path, overlay: Path, message: str, author: git.Actor = BOT, date: str = EPOCH) -> str:
    """Copy `overlay` over the repo's files and commit, as a candidate's fix would be. An
    overlay that still holds templates (`*.j2`, grader.variants) is refused: render it for the
    repository's variant first (`solution`, `render_overlay`)."""
    if not overlay.is_dir():
        raise GraderError(f"no overlay folder at {overlay}")
    template = next((p for p in overlay.rglob(f"*{variants.TEMPLATE_SUFFIX}") if p.is_file()), None)
    if template is not None:
        raise GraderError(f"overlay {overlay} holds an unrendered template ({template.relative_to(overlay)}): "
                          "render it for the repository's variant first")
    copy_tree(overlay, repo_dir)
    return _commit(_quiet_env(git.Repo(repo_dir)), message, author=author, date=date)


def starter_tree(exercise: Exercise, scratch: Path, candidate: str | None = None,
                 variant: Variant | None = None) -> str:
    """The tree hash `publish` gives this exercise's starter (for `candidate` and `variant`, if named)."""
    repo_dir = scratch / "starter"
    shutil.rmtree(repo_dir, ignore_errors=True)
    publish(exercise, repo_dir, candidate, variant)
    tree = git.Repo(repo_dir).head.commit.tree.hexsha
    shutil.rmtree(repo_dir, ignore_errors=True)
    return tree


def _files_but_marker(tree: git.Tree) -> dict[str, str]:
    return {item.path: item.hexsha for item in tree.traverse() if item.type == "blob" and item.path != MARKER}


#: How many variants `starter_variant` publishes at most to find the one a tree was built from.
MAX_VARIANTS_TRIED = 64


def starter_variant(exercise: Exercise, baseline: git.Tree, scratch: Path) -> Variant | None:
    """The variant whose published starter has `baseline`'s files (the marker aside), or None.

    What a repository was built from, whatever its marker now says: a marker edited to name
    another variant does not change which starter the files are."""
    wanted = _files_but_marker(baseline)
    for variant in variants.every(exercise.spec)[:MAX_VARIANTS_TRIED]:
        repo_dir = scratch / "variant-starter"
        shutil.rmtree(repo_dir, ignore_errors=True)
        publish(exercise, repo_dir, variant=variant)
        found = _files_but_marker(git.Repo(repo_dir).head.commit.tree)
        shutil.rmtree(repo_dir, ignore_errors=True)
        if found == wanted:
            return variant
    return None
