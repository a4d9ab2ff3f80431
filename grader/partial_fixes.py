"""Known partial fixes, as the overlays calibration and similarity lay over the starter.

A partial fix is kept as `partial_fixes/<id>.patch`, a unified diff against the tree it
starts from (the reference solution over the starter with `based_on = "solution"`, else the
starter), so a reviewer sees exactly what the fix gets wrong, or as a folder
`partial_fixes/<id>/` of whole files (what `grader new-exercise` scaffolds). `overlays()`
turns either into folders of whole files, in the order they are laid over the starter.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from grader import variants
from grader.catalog import Exercise
from grader.errors import GraderError
from grader.publish import render_overlay, render_starter, solution
from grader.spec import PartialFix
from grader.variants import Variant


def patch_path(exercise: Exercise, fix_id: str) -> Path:
    return exercise.root / "partial_fixes" / f"{fix_id}.patch"


def defined(exercise: Exercise, fix_id: str) -> bool:
    """Whether the fix has its folder or its patch."""
    return exercise.partial_fix_dir(fix_id).is_dir() or patch_path(exercise, fix_id).is_file()


def overlays(exercise: Exercise, fix: PartialFix, scratch: Path, variant: Variant | None = None) -> list[Path]:
    """The folders to lay over the starter, in order, for `fix` in `variant` (default: the
    exercise's default variant), rendered under `scratch`: the solution's templates, the fix's
    folder or its patch, which is itself a template (grader.variants) applied to the rendered
    starter and solution."""
    variant = variant or variants.default(exercise.spec)
    base = [solution(exercise, scratch, variant)] if fix.based_on == "solution" else []
    if exercise.partial_fix_dir(fix.id).is_dir():
        return [*base, render_overlay(exercise, exercise.partial_fix_dir(fix.id), variant, scratch / f"fix-{fix.id}")]
    patch = patch_path(exercise, fix.id)
    if not patch.is_file():
        raise GraderError(f"partial fix {fix.id!r} of {exercise.id}: neither {patch} nor a folder "
                          f"{exercise.partial_fix_dir(fix.id)}")
    rendered = scratch / f"{fix.id}.patch"
    rendered.parent.mkdir(parents=True, exist_ok=True)
    rendered.write_text(variants.render_text(patch.read_text(), variants.context(exercise.spec, variant), str(patch)))
    starter = render_starter(exercise, variant, scratch / "starter")
    return [*base, applied(rendered, [starter, *base], scratch / f"partial-fix-{fix.id}")]


def applied(patch: Path, layers: list[Path], dest: Path) -> Path:
    """The files `patch` changes or adds, as they are after it is applied to `layers` laid over
    each other (later ones win): a folder of whole files at `dest`."""
    work = dest.with_name(dest.name + ".work")
    shutil.rmtree(work, ignore_errors=True)
    shutil.rmtree(dest, ignore_errors=True)
    work.mkdir(parents=True)
    _git(work, "init", "-q")  # so that git apply resolves the patch's paths against this folder
    touched = []
    for line in _git(work, "apply", "--numstat", str(patch.resolve())).splitlines():
        path = line.split("\t", 2)[2]
        touched.append(path)
        source = next((layer / path for layer in reversed(layers) if (layer / path).is_file()), None)
        if source is not None:
            (work / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, work / path)
    _git(work, "apply", "--whitespace=nowarn", str(patch.resolve()))
    for path in touched:
        if not (work / path).is_file():
            raise GraderError(f"{patch}: deletes {path}, which an overlay cannot express")
        (dest / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(work / path, dest / path)
    shutil.rmtree(work)
    return dest


def _git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        raise GraderError(f"git {args[0]} {args[-1]} failed: {done.stderr.strip()[:500]}")
    return done.stdout
