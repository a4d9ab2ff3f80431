"""Per-candidate variants of an exercise: which one a candidate gets, and rendering it.

An exercise may declare a *variant space* in exercise.toml: parameters, each with a list of
values (a table with an `id` and whatever the templates and hidden checks need):

    [[variants]]
    name = "utilization_unit"
    title = "the unit the front end sends credit utilization in"
    values = [
      { id = "percent", field = "credit_utilization_pct", scale = 100 },
      { id = "per-mille", field = "credit_utilization_permille", scale = 1000 },
    ]

A variant picks one value per parameter; its id reads `utilization_unit=percent` (parameters
joined by `,`). The *default* variant takes every parameter's first value, so an exercise
without a secret or a candidate is what its files say. `for_candidate` draws a candidate's
variant from the grading secret and the name (HMAC, grader.seeds.derive), so nobody without
the secret can tell which variant a name gets.

Files of the starter, the solution overlay and the partial-fix patches whose name ends in
`.j2` (and every partial-fix patch) are Jinja2 templates, rendered with the variant's
parameters under delimiters no Python, Markdown, TOML or YAML file uses (`@{ value }@`,
`@% if ... %@`, `@# comment #@`) and StrictUndefined: an unknown name is an error, never an
empty string, and a rendered file that still holds a delimiter is refused (template residue).
A file template that renders to nothing but whitespace is no file in that variant: a
variant's reference may rewrite a file another variant's must leave alone (a reference that
carried the file in every variant would fix the other variant's bug when copied onto it).
Hidden checks read the variant's parameters from the environment variable GRADER_VARIANT,
which the grader sets for the trusted verifier only (`current`).
"""

from __future__ import annotations

import itertools
import json
import os
from dataclasses import dataclass
from pathlib import Path

import jinja2

from grader.errors import GraderError
from grader.seeds import derive
from grader.spec import ExerciseSpec

ENV = "GRADER_VARIANT"
TEMPLATE_SUFFIX = ".j2"
DELIMITERS = ("@{", "}@", "@%", "%@", "@#", "#@")

_JINJA = jinja2.Environment(
    variable_start_string="@{", variable_end_string="}@",
    block_start_string="@%", block_end_string="%@",
    comment_start_string="@#", comment_end_string="#@",
    undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False,
)


@dataclass(frozen=True)
class Variant:
    """One value id per parameter, in the spec's parameter order."""

    choices: tuple[tuple[str, str], ...] = ()

    @property
    def id(self) -> str:
        return ",".join(f"{name}={value}" for name, value in self.choices) or "default"

    def parameters(self, spec: ExerciseSpec) -> dict[str, dict]:
        """parameter name -> the chosen value's table (with its `id`)."""
        chosen = dict(self.choices)
        return {p.name: dict(next(v for v in p.values if v["id"] == chosen[p.name])) for p in spec.variants}


def default(spec: ExerciseSpec) -> Variant:
    return Variant(tuple((p.name, p.values[0]["id"]) for p in spec.variants))


def every(spec: ExerciseSpec) -> list[Variant]:
    """Every variant of the space, the default first."""
    names = [p.name for p in spec.variants]
    ids = [[v["id"] for v in p.values] for p in spec.variants]
    return [Variant(tuple(zip(names, combo))) for combo in itertools.product(*ids)]


def parse(spec: ExerciseSpec, text: str) -> Variant:
    """The variant an id names (`name=value,...`; `default`); GraderError naming what is unknown."""
    if text.strip() in ("", "default"):
        return default(spec)
    chosen: dict[str, str] = {}
    for part in text.split(","):
        name, sep, value = part.partition("=")
        name, value = name.strip(), value.strip()
        parameter = next((p for p in spec.variants if p.name == name), None)
        if not sep or parameter is None:
            known = ", ".join(p.name for p in spec.variants) or "none"
            raise GraderError(f"exercise {spec.id!r} has no variant parameter {name!r} (parameters: {known})")
        if value not in [v["id"] for v in parameter.values]:
            values = ", ".join(v["id"] for v in parameter.values)
            raise GraderError(f"variant parameter {name!r} of {spec.id!r} has no value {value!r} (values: {values})")
        chosen[name] = value
    return Variant(tuple((p.name, chosen.get(p.name, p.values[0]["id"])) for p in spec.variants))


def of_marker(spec: ExerciseSpec, named: str | None) -> tuple[Variant, list[str]]:
    """The variant to grade: the one the first commit's marker names (grader.marker), else the
    default; with a note when the marker names none or one this exercise does not have."""
    if not spec.variants:
        return default(spec), []
    if named is None:
        return default(spec), [f"the first commit's marker names no variant: graded as {default(spec).id}"]
    try:
        return parse(spec, named), []
    except GraderError as exc:
        return default(spec), [f"the first commit's marker names an unknown variant ({exc}): graded as "
                               f"{default(spec).id}"]


def for_candidate(spec: ExerciseSpec, candidate: str, secret: str | None) -> Variant:
    """The variant a candidate gets: drawn from the secret and the name (public key without a secret)."""
    space = every(spec)
    digest = derive(secret or "public", "variant", spec.id, spec.version, candidate)
    return space[int(digest, 16) % len(space)]


def context(spec: ExerciseSpec, variant: Variant) -> dict:
    """What templates see: every parameter's chosen table by name, and `variant_id`."""
    return {**variant.parameters(spec), "variant_id": variant.id}


def render_text(text: str, values: dict, where: str) -> str:
    """A template rendered with `values`; GraderError (one line) on an error or residue. Text
    with no opening delimiter is returned as it is, byte for byte (Jinja2 would normalise its
    line endings)."""
    if not any(d in text for d in DELIMITERS[::2]):
        if any(d in text for d in DELIMITERS[1::2]):
            raise GraderError(f"{where} holds a closing template delimiter without its opening one")
        return text
    try:
        out = _JINJA.from_string(text).render(values)
    except jinja2.TemplateError as exc:
        raise GraderError(f"cannot render {where}: {exc}") from None
    residue = next((d for d in DELIMITERS if d in out), None)
    if residue:
        raise GraderError(f"rendering {where} left template residue {residue!r}")
    return out


def render_tree(folder: Path, values: dict) -> None:
    """Render every `*.j2` file under `folder` in place: `x.py.j2` becomes `x.py`, or no file
    at all when it renders to nothing but whitespace (not in this variant)."""
    for path in sorted(folder.rglob(f"*{TEMPLATE_SUFFIX}")):
        if path.is_file() and not path.is_symlink():
            target = path.with_name(path.name.removesuffix(TEMPLATE_SUFFIX))
            text = render_text(path.read_text(), values, str(path.relative_to(folder)))
            if text.strip():
                target.write_text(text)
            path.unlink()


def data_seed(spec: ExerciseSpec, variant: Variant) -> int | None:
    """The seed of a variant's committed data: None for the default variant (its files as they
    are), else drawn from the variant id, so every variant's data is another draw."""
    if variant == default(spec):
        return None
    return int(derive("committed-data", spec.id, spec.version, variant.id), 16) % 2**31


def to_env(spec: ExerciseSpec, variant: Variant) -> str:
    """The value of GRADER_VARIANT for the verifier: the variant's id and parameters as JSON."""
    return json.dumps({"id": variant.id, "parameters": variant.parameters(spec)}, sort_keys=True)


def current(exercise_toml: Path) -> dict:
    """The graded variant's parameters, for hidden checks: GRADER_VARIANT's, else the default
    variant of the spec at `exercise_toml` (a check run outside a grading)."""
    raw = os.environ.get(ENV)
    if raw:
        return json.loads(raw)["parameters"]
    from grader.spec import load_spec

    spec = load_spec(exercise_toml)
    return default(spec).parameters(spec)
