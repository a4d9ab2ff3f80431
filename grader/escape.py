"""How text the candidate wrote is made safe for each place it ends up: one rule per sink.

Candidate text (commit metadata, file names, their notes, messages quoting their output,
logs) is stored as given but *capped* (`clean`), then escaped by the sink that shows it:

  report.json, run.json    `clean`: valid Unicode, capped; JSON escapes the rest
  report.md                `clean` + Markdown escaping (report/render.py) + `visible_controls`
  report.html, index.html  `clean` + Jinja2 autoescaping + `visible_controls` (Jinja finalize)
  the terminal             `for_terminal`: no Rich markup, no control characters, one line
  summary.csv              `csv_cell`: one line, no formulas (cells starting with = + - @ tab CR)

Control characters (escape sequences, bidi overrides) are shown as visible `\\xNN` escapes,
never passed through: a report printed with `cat` must not drive the terminal.
"""

from __future__ import annotations

import re

from rich.markup import escape as _rich_escape

#: Lone surrogates (from JSON "\\ud800" escapes) cannot be encoded as UTF-8.
_SURROGATE = re.compile("[\ud800-\udfff]")
#: C0 controls but tab and newline, DEL, C1 controls, and the Unicode format controls that
#: reorder or hide text (bidi embeddings, overrides, isolates, marks; zero-width characters).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
_CONTROL_ALL = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def clean(text: object, limit: int | None = None) -> str:
    """`text` as a valid Unicode string of at most about `limit` characters (marked where cut)."""
    s = text if isinstance(text, str) else str(text)
    if limit is not None and len(s) > limit:
        s = f"{s[:limit]}… [{len(s) - limit} more characters]"
    if _SURROGATE.search(s):
        s = _SURROGATE.sub("\ufffd", s)
    return s


def _visible(match: re.Match) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible_controls(text: str) -> str:
    """Control and bidi characters replaced by visible escapes; tab and newline kept."""
    return _CONTROL.sub(_visible, text) if isinstance(text, str) else text


def one_line(text: object, limit: int = 500) -> str:
    """`clean`, every control character (newlines too) visible: for single-line sinks."""
    return _CONTROL_ALL.sub(_visible, clean(text, limit))


def for_terminal(text: object, limit: int = 2000) -> str:
    """Safe to interpolate into a Rich markup string: one line, no markup, no control characters.

    A trailing backslash would escape a tag that follows in the template; Rich's own escape
    doubles it, which shows twice where nothing follows, so it is kept apart from whatever
    follows by a zero-width space instead.
    """
    line = one_line(text, limit)
    return _rich_escape(line + "\u200b" if line.endswith("\\") else line)


def csv_cell(value: object, limit: int = 2000) -> str:
    """A one-line spreadsheet cell that cannot be a formula (OWASP CSV injection); control
    characters are shown as escapes, so none can hide a formula's first character."""
    s = one_line("" if value is None else value, limit)
    return f"'{s}" if s.startswith(_FORMULA_START) else s
