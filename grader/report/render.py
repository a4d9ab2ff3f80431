"""Render a `Report` for people: `report.md` and a self-contained `report.html`.

Templates are Jinja2 with autoescaping for HTML and the `md` filter for Markdown: every
string that may have come from the candidate goes through one of them, and every value
printed by a template passes `escape.visible_controls` first (Jinja's `finalize`), so no
escape sequence or bidi override reaches a terminal or a browser. Each report file has a
size budget (`MAX_REPORT_BYTES`): a report over it is cut down (`shrink`), with a note
saying so, before anything is written.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from grader.escape import clean, visible_controls
from grader.report.budget import MAX_REPORT_BYTES, SHRINK_LEVELS, shrink
from grader.report.charts import bar_chart_svg
from grader.report.model import Report

# Characters that start emphasis, code, links, images, headings, tables or strikethrough
# (brackets are enough to stop links and images; parentheses alone are harmless).
# "://" and "www." too, so that GitHub's autolinking cannot turn candidate text into links.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]#|~!])")
_WWW = re.compile(r"(?i)\b(www)\.")
_SCHEME = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*):(?=//)")  # GFM autolinks "https://..." in plain text


def md(text: object) -> str:
    """Escape text for Markdown: no HTML, no formatting, no links, one line."""
    s = visible_controls(clean(text)).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    s = _MD_SPECIAL.sub(r"\\\1", s)
    s = _WWW.sub(r"\1\\.", s)
    s = _SCHEME.sub(r"\1\\:", s)
    return " ".join(s.splitlines())


def md_code(text: object) -> str:
    """A fenced code block that the content cannot close early."""
    s = visible_controls(clean(text))
    longest = max((len(m) for m in re.findall(r"`+", s)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{s}\n{fence}"


def fmt_value(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (dict, list)):
        return json.dumps(value, default=str)
    return str(value)


def diff_class(line: str) -> str:
    if line.startswith(("+++", "---", "diff ", "index ")):
        return "file"
    if line.startswith("@@"):
        return "hunk"
    return {"+": "add", "-": "del"}.get(line[:1], "")


def _finalize(value: object) -> object:
    if isinstance(value, Markup) or not isinstance(value, str):
        return value
    return visible_controls(clean(value))


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The Jinja2 environment of every report template (report, check, batch index, similarity);
    one per process, so templates compile once (re-rendering 200 reports took 15 s)."""
    env = Environment(
        loader=PackageLoader("grader.report", "templates"),
        autoescape=select_autoescape(["html", "html.j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_finalize,
    )
    env.filters.update(md=md, md_code=md_code, value=fmt_value, diff_class=diff_class, chart_svg=bar_chart_svg)
    return env


def render_markdown(report: Report) -> str:
    return environment().get_template("report.md.j2").render(r=report)


def render_html(report: Report) -> str:
    return environment().get_template("report.html.j2").render(r=report)


def render_all(report: Report) -> dict[str, str]:
    return {"report.json": report.model_dump_json(indent=2), "report.md": render_markdown(report),
            "report.html": render_html(report)}


def write_reports(report: Report, out_dir: Path) -> Report:
    """Write report.json, report.md and report.html, each within MAX_REPORT_BYTES; return what was written."""
    texts = render_all(report)
    for level in range(len(SHRINK_LEVELS)):
        if all(len(text.encode()) <= MAX_REPORT_BYTES for text in texts.values()):
            break
        report = shrink(report, level)
        texts = render_all(report)
    for name, text in texts.items():
        (out_dir / name).write_text(text)
    return report
