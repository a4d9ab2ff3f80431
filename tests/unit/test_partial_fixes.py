"""Known partial fixes kept as patches against the tree they start from (grader/partial_fixes.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader import catalog, partial_fixes, variants
from grader.errors import GraderError
from grader.spec import PartialFix


@pytest.mark.parametrize("exercise", catalog.list_exercises(), ids=lambda e: e.id)
def test_every_shipped_fix_applies_to_its_base_and_changes_it(exercise, tmp_path):
    """In every variant: a patch's context is the variant's rendered starter or solution."""
    for variant in variants.every(exercise.spec):
        scratch = tmp_path / variant.id.replace("=", "-").replace(",", "_")
        for fix in exercise.spec.partial_fixes:
            *base, made = partial_fixes.overlays(exercise, fix, scratch, variant)
            assert base == ([scratch / "solution"] if fix.based_on == "solution" else [])  # rendered (grader.variants)
            changed = [p for p in made.rglob("*") if p.is_file()]
            assert changed, (variant.id, fix.id)
            for path in changed:
                rel = path.relative_to(made)
                before = next((layer / rel for layer in [*base[::-1], scratch / "starter"] if (layer / rel).is_file()),
                              None)
                assert before is None or before.read_bytes() != path.read_bytes(), f"{variant.id} {fix.id}: {rel} unchanged"


def _exercise(tmp_path: Path) -> catalog.Exercise:
    starter = tmp_path / "broken_pipelines" / "demo"
    (starter / "pkg").mkdir(parents=True)
    (starter / "pkg" / "score.py").write_text("def score(x):\n    return x\n")
    (starter / "README.md").write_text("demo\n")
    root = tmp_path / "exercises" / "demo"
    (root / "solution" / "pkg").mkdir(parents=True)
    (root / "solution" / "pkg" / "score.py").write_text("def score(x):\n    return x / 100\n")
    (root / "partial_fixes").mkdir()
    (root / "exercise.toml").write_text(
        'id = "demo"\nversion = "1"\ntitle = "t"\nfailure_mode = "f"\nsummary = "s"\ntime_budget_hours = 1\n'
        '[[bugs]]\nid = "b"\ntitle = "t"\nsymptom = "s"\n'
        '[[bugs.checks]]\nid = "c"\nkind = "fail_to_pass"\ntitle = "t"\n')
    return catalog.Exercise(root=root, starter=starter)


def test_a_patch_against_the_solution_and_a_new_file(tmp_path):
    exercise = _exercise(tmp_path)
    patch = partial_fixes.patch_path(exercise, "halfway")
    patch.write_text(
        "--- a/pkg/score.py\n+++ b/pkg/score.py\n@@ -1,2 +1,2 @@\n def score(x):\n-    return x / 100\n+    return x / 10\n"
        "--- /dev/null\n+++ b/NOTES.md\n@@ -0,0 +1 @@\n+divided by ten\n")
    fix = PartialFix(id="halfway", title="t", based_on="solution", passes=[])
    solution, made = partial_fixes.overlays(exercise, fix, tmp_path / "scratch")
    assert solution == tmp_path / "scratch" / "solution"  # the solution's templates rendered (grader.variants)
    assert (solution / "pkg" / "score.py").read_text() == (exercise.solution_dir / "pkg" / "score.py").read_text()
    assert (made / "pkg" / "score.py").read_text() == "def score(x):\n    return x / 10\n"
    assert (made / "NOTES.md").read_text() == "divided by ten\n"
    assert sorted(str(p.relative_to(made)) for p in made.rglob("*") if p.is_file()) == ["NOTES.md", "pkg/score.py"]


def test_bad_fixes_are_one_line_errors(tmp_path):
    exercise = _exercise(tmp_path)
    fix = PartialFix(id="gone", title="t", passes=[])
    with pytest.raises(GraderError, match="neither .*gone.patch nor a folder"):
        partial_fixes.overlays(exercise, fix, tmp_path / "scratch")
    partial_fixes.patch_path(exercise, "gone").write_text(
        "--- a/README.md\n+++ /dev/null\n@@ -1 +0,0 @@\n-demo\n")
    with pytest.raises(GraderError, match="deletes README.md"):
        partial_fixes.overlays(exercise, fix, tmp_path / "scratch")
    partial_fixes.patch_path(exercise, "gone").write_text(
        "--- a/README.md\n+++ b/README.md\n@@ -1 +1 @@\n-not what the starter says\n+x\n")
    with pytest.raises(GraderError, match="git apply .*failed"):
        partial_fixes.overlays(exercise, fix, tmp_path / "scratch")


def test_a_folder_of_whole_files_is_used_as_it_stands(tmp_path):
    exercise = _exercise(tmp_path)
    folder = exercise.partial_fix_dir("folder-form")
    shutil.copytree(exercise.solution_dir, folder)
    fix = PartialFix(id="folder-form", title="t", passes=[])
    (made,) = partial_fixes.overlays(exercise, fix, tmp_path / "scratch")
    assert made == tmp_path / "scratch" / "fix-folder-form"
    assert (made / "pkg" / "score.py").read_text() == (folder / "pkg" / "score.py").read_text()
