"""Benchmark `grader similarity`: N synthetic submissions of the skew exercise, every pair compared.

    .venv/bin/python bench/bench_similarity.py [--count 200] [--copies 10] [--seed 1]

Each synthetic submission is a grading output as `grader batch` leaves it (report.json and
changes/, written by tests/similarity_outputs.py), without grading: the skew starter's api.py with the obvious one-line units fix that
every candidate makes, then 8-16 randomly generated functions of its own in the API, a new
module and a test (about 200 own lines), so every pair shares some k-grams and takes the full
comparison. `--copies` of them are copies of another with every name changed. Times one `grader similarity` run over the batch (reading, fingerprinting,
every pair and every submission against the reference solution and the partial fixes, writing
similarity.json/html, index.html and re-rendering every report) and reports peak memory.
Not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import random
import re
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.similarity_outputs

from grader import catalog
from grader.similarity import Options, run, sources
from tests.similarity_outputs import fake_batch

WORDS = ["score", "row", "frame", "limit", "ratio", "income", "region", "weight", "bucket", "window", "total",
         "value", "rate", "count", "offset", "delta", "cap", "floor", "share", "drift"]


def name(rng: random.Random) -> str:
    return "_".join(rng.sample(WORDS, 2)) + f"_{rng.randrange(100)}"


def expression(rng: random.Random, names: list[str]) -> str:
    """Random arithmetic with constants: names are normalised away by the tokenizer, numbers and builtins are not."""
    a, b, n = rng.choice(names), rng.choice(names), rng.randint(1, 9999)
    op, op2 = rng.choice("+-*/%"), rng.choice("+-*")
    call = rng.choice(["abs", "round", "int", "float", "len", "str", "min", "max", "sum", "sorted", "bool"])
    forms = [f"{a} {op} {n}", f"{call}({a}) {op} {b} {op2} {n}", f"({a} {op2} {n}) {op} {call}({b})",
             f"[{a}, {n}, {b}][{n % 3}] {op} {n % 97}", f"{call}({a} {op} {b}) if {a} > {n} else {n}"]
    return rng.choice(forms)


def statement(rng: random.Random, names: list[str], depth: int) -> list[str]:
    target = name(rng)
    kind = rng.randrange(3 if depth < 2 else 1)
    if kind == 0:
        names.append(target)
        return [f"{target} = {expression(rng, names)}"]
    body = [f"    {line}" for _ in range(rng.randint(1, 3)) for line in statement(rng, names, depth + 1)]
    if kind == 1:
        return [f"if {expression(rng, names)} > {rng.randint(0, 500)}:", *body]
    return [f"for {target} in range({rng.randint(2, 99)}):", *body]


def function(rng: random.Random) -> str:
    params = [name(rng) for _ in range(rng.randint(1, 4))]
    names = list(params)
    lines = [line for _ in range(rng.randint(4, 10)) for line in statement(rng, names, 0)]
    body = "\n".join(f"    {line}" for line in lines)
    return f"def {name(rng)}({', '.join(params)}):\n{body}\n    return {rng.choice(names)}\n"


def renamed(text: str, rng: random.Random) -> str:
    """The same code with its functions and variables renamed (a disguised copy)."""
    found = sorted(set(re.findall(r"\b(?:def|for)\s+(\w+)|\b(\w+)\s*=(?!=)", text)) - {("", "")})
    for pair in found:
        old = pair[0] or pair[1]
        if not old.startswith("__"):
            text = re.sub(rf"\b{old}\b", f"{old}_{rng.randrange(10**6)}", text)
    return text


def submission(rng: random.Random, starter: dict[str, str]) -> dict[str, str]:
    """The obvious units fix everyone makes, then code of its own in the API, a module and a test."""
    api = starter["credit_risk/api.py"].replace("a.credit_utilization_pct,", "a.credit_utilization_pct / 100,")
    return {
        "credit_risk/api.py": api + "\n\n" + "\n\n".join(function(rng) for _ in range(rng.randint(2, 4))),
        "credit_risk/checks.py": "\n\n".join(function(rng) for _ in range(rng.randint(4, 8))),
        "tests/test_fix.py": "\n\n".join(function(rng).replace("def ", "def test_", 1) for _ in range(rng.randint(2, 4))),
    }


def make_batch(root: Path, count: int, copies: int, seed: int) -> int:
    rng = random.Random(seed)
    starter = {f.path: f.text for f in sources.starter_files(catalog.get_exercise("training-serving-skew"))}
    made: list[dict[str, str]] = []
    for i in range(count):
        made.append(submission(rng, starter) if i < count - copies else
                    {p: renamed(t, rng) for p, t in made[rng.randrange(count - copies)].items()})
    fake_batch(root, {f"candidate-{i:03d}": files for i, files in enumerate(made)})
    return sum(len(t.splitlines()) for files in made for t in files.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--copies", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-similarity-"))
    try:
        lines = make_batch(root, args.count, args.copies, args.seed)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started, cpu = time.monotonic(), time.process_time()
        outcome = run([root], Options())
        wall, cpu = time.monotonic() - started, time.process_time() - cpu
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        own = [d.own_lines for d in outcome.results[root].documents if d.kind == "submission"]
        print(f"{args.count} submissions ({lines / args.count:.0f} lines in changed files, {sum(own) / len(own):.0f} own "
              f"lines each; {args.copies} disguised copies): {outcome.pairs_compared} pairs compared, "
              f"{len(outcome.flagged)} flagged")
        print(f"grader similarity: {wall:.1f} s wall, {cpu:.1f} s CPU (one process); "
              f"peak RSS {peak / 1024:.0f} MiB ({(peak - before) / 1024:.0f} MiB more than before the run)")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
