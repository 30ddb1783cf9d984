"""How the notebooks show things: banners, tables, summaries (plain text under papermill too)."""

from __future__ import annotations

import html
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


def table(rows: Iterable[Mapping[str, Any]], columns: list[str] | None = None) -> pd.DataFrame:
    """Rows of dicts as a DataFrame (keeps the given column order; missing values blank)."""
    frame = pd.DataFrame(list(rows))
    if columns:
        for column in columns:
            if column not in frame.columns:
                frame[column] = ""
        frame = frame[columns]
    return frame


def note(message: str, kind: str = "info") -> None:
    """A short highlighted message (info, ok, warn, denied)."""
    colours = {"info": "#0969da", "ok": "#1a7f37", "warn": "#9a6700", "denied": "#cf222e"}
    markup = f'<div style="color:{colours.get(kind, "#0969da")}">{html.escape(message)}</div>'
    _display(_Rich(message, markup))
