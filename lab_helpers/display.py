"""How the notebooks show things: banners, tables, summaries (plain text under papermill too)."""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from .notebook import Lab

# ARNs and ids are long: show them whole in tables
pd.set_option("display.max_colwidth", 200)
pd.set_option("display.width", 200)

PERSONA_COLOURS = {"producer_admin": "#1f6feb", "publisher": "#1a7f37", "consumer_admin": "#8250df", "subscriber": "#bf3989"}


class _Rich:
    """An object that renders as HTML in Jupyter and as text elsewhere."""

    def __init__(self, text: str, markup: str):
        self.text, self.markup = text, markup

    def __repr__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        return self.markup


def _display(obj: Any) -> None:
    try:
        from IPython.display import display

        display(obj)
    except ImportError:  # plain Python
        print(obj)


def show_banner(lab: Lab) -> None:
    """The 'who am I' banner every notebook opens with."""
    from .notebook import banner_text

    text = banner_text(lab)
    colour = PERSONA_COLOURS.get(lab.persona, "#57606a")
    markup = (f'<div style="border-left:6px solid {colour};padding:6px 10px;background:#f6f8fa">'
              f"<b>{html.escape(lab.persona.replace('_', ' ').title())}</b> &middot; {html.escape(text)}</div>")
    _display(_Rich(text, markup))


#: Where a long token (an ARN, an S3 path) may wrap: after ``:`` or ``/`` (not inside ``://``).
_BREAK = re.compile(r"(?<=[:/])(?<!://)(?!/)")
_TEXT_WIDTH = 48  # widest column in plain text; longer values wrap at sensible points


def is_id_column(name: str) -> bool:
    """Whether a column holds ids or ARNs (``id``, ``asset id``, ``arn``, ``identity (ARN)``, ``domainId``)."""
    return bool(re.search(r"(^|[\s_(])(id|ids|arn)\)?$", name, re.I) or re.search(r"[a-z](Id|Arn|ARN)$", name))


class LabTable(pd.DataFrame):
    """A DataFrame that shows in the lab's one table style.

    No index; text left-aligned (numbers right); ids and ARNs after the names; long ARNs
    and S3 paths wrap after ``:`` or ``/``, never inside a word. HTML in JupyterLab, plain
    text in a terminal or under papermill. Everything else is a pandas DataFrame.
    """

    @property
    def _constructor(self) -> type:
        return LabTable

    def _repr_html_(self) -> str:  # type: ignore[override]
        return table_html(self)

    def __repr__(self) -> str:
        return table_text(self)

    __str__ = __repr__


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    try:
        if value is pd.NA or value is pd.NaT:
            return ""
    except TypeError:
        pass
    return str(value)


_LONG_SEGMENT = 24  # a piece longer than this (a host name) may also wrap after its dots


def _segments(text: str) -> list[str]:
    """A token's pieces between its sensible break points: after ``:`` or ``/`` (``arn:``, ``aws:``,
    ``domain/``, ``dzd_1``); in a long piece also after its dots (``dzd_1.datazone.``) and after a hyphen
    that ends a long word (``AmazonDataZoneGlueAccess-``), never inside ``us-east-1``."""
    pieces = []
    for part in _BREAK.split(text):
        if len(part) > 2 * _LONG_SEGMENT:
            pieces += re.split(r"(?<=\.)(?=[^.])|(?<=[A-Za-z0-9_]{8}-)(?=.)", part)
        elif len(part) > _LONG_SEGMENT:
            pieces += re.split(r"(?<=\.)(?=[^.])", part)
        else:
            pieces.append(part)
    return [p for p in pieces if p]


def _word_html(word: str) -> str:
    """A word that wraps only at its sensible break points (a hyphen in ``us-east-1`` is not one)."""
    return "<wbr>".join(f'<span style="white-space:nowrap">{html.escape(p)}</span>' for p in _segments(word))


def _cell_html(text: str) -> str:
    return " ".join(_word_html(word) if len(word) > 1 else html.escape(word) for word in text.split(" "))


def _visible(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame without its index, unless the index means something (``set_index``): then it is a column."""
    default = isinstance(frame.index, pd.RangeIndex) and frame.index.name is None
    return pd.DataFrame(frame) if default else pd.DataFrame(frame).reset_index()


def _more(frame: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """The rows to show (pandas' ``display.max_rows``) and a note on those left out."""
    limit = pd.get_option("display.max_rows") or len(frame)
    if len(frame) <= limit:
        return frame, ""
    return frame.head(limit), f"first {limit} of {len(frame)} rows"


def table_html(frame: pd.DataFrame) -> str:
    """The frame as an HTML table: no index, text left-aligned, numbers right, ARNs wrapping after ``:``/``/``."""
    frame, more = _more(_visible(frame))
    numeric = {c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c].dtype)
               and not pd.api.types.is_bool_dtype(frame[c].dtype)}
    cell = "padding:3px 10px;vertical-align:top;border-bottom:1px solid #d0d7de;"
    head = "".join(f'<th style="{cell}text-align:{"right" if c in numeric else "left"}">{html.escape(str(c))}</th>'
                   for c in frame.columns)
    body = []
    for row in frame.itertuples(index=False):
        tds = "".join(f'<td style="{cell}text-align:{"right" if c in numeric else "left"}">{_cell_html(_text(v))}</td>'
                      for c, v in zip(frame.columns, row))
        body.append(f"<tr>{tds}</tr>")
    return ('<table class="lab-table" style="border-collapse:collapse;margin-left:0;table-layout:auto">'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
            + (f'<div style="color:#57606a">{more}</div>' if more else ""))


def _wrap(text: str, width: int) -> list[str]:
    """Lines of at most ``width`` characters, broken at spaces or after ``:``/``/``, never inside a word."""
    if len(text) <= width:
        return [text]
    lines, line = [], ""
    for word in text.split(" "):
        for n, part in enumerate(_segments(word) or [word]):
            glue = " " if n == 0 and line else ""
            if line and len(line) + len(glue) + len(part) > width:
                lines.append(line)
                line, glue = "", ""
            line += glue + part
    return lines + [line]


def table_text(frame: pd.DataFrame, width: int = _TEXT_WIDTH) -> str:
    """The frame as plain text: no index, left-aligned text, long values wrapped onto extra lines."""
    frame, more = _more(_visible(frame))
    columns = [str(c) for c in frame.columns]
    if not columns:
        return "(empty table)"
    numeric = [pd.api.types.is_numeric_dtype(frame[c].dtype) and not pd.api.types.is_bool_dtype(frame[c].dtype)
               for c in frame.columns]
    cells = [[_wrap(_text(v), width) for v in row] for row in frame.itertuples(index=False)]
    widths = [max([len(name)] + [len(line) for row in cells for line in row[i]]) for i, name in enumerate(columns)]

    def line(parts: list[str]) -> str:
        return "  ".join(p.rjust(widths[i]) if numeric[i] else p.ljust(widths[i]) for i, p in enumerate(parts)).rstrip()

    out = [line(columns), line(["-" * w for w in widths])]
    for row in cells:
        for n in range(max(len(c) for c in row)):
            out.append(line([c[n] if n < len(c) else "" for c in row]))
    return "\n".join(out + ([f"({more})"] if more else []))


def as_table(frame: pd.DataFrame) -> LabTable:
    """A DataFrame shown in the lab's table style (ids and ARNs moved after the other columns, no index)."""
    order = [c for c in frame.columns if not is_id_column(str(c))] + [c for c in frame.columns if is_id_column(str(c))]
    return LabTable(frame[order].reset_index(drop=True))


def table(rows: Iterable[Mapping[str, Any]], columns: list[str] | None = None) -> LabTable:
    """Rows of dicts as a table in the lab's style (given column order, ids and ARNs last; missing values blank)."""
    frame = pd.DataFrame(list(rows))
    if columns:
        for column in columns:
            if column not in frame.columns:
                frame[column] = ""
        frame = frame[columns]
    return as_table(frame)


def inventory_table(items: Mapping[str, list[Mapping[str, Any]]]) -> LabTable:
    """The inventory (``lab_inventory``: account → items) as one table: account, type, name, status, id."""
    rows = [{"account": account, "type": item.get("type", ""), "name": item.get("name", ""),
             "status": item.get("status", ""), "id": item.get("id", "")}
            for account, found in items.items() for item in found]
    if not rows:
        rows = [{"account": account, "type": "", "name": "nothing of the lab", "status": "", "id": ""}
                for account in items]
    return table(rows, ["account", "type", "name", "status", "id"])


def note(message: str, kind: str = "info") -> None:
    """A short highlighted message (info, ok, warn, denied)."""
    colours = {"info": "#0969da", "ok": "#1a7f37", "warn": "#9a6700", "denied": "#cf222e"}
    markup = f'<div style="color:{colours.get(kind, "#0969da")}">{html.escape(message)}</div>'
    _display(_Rich(message, markup))
