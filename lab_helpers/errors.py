"""Errors for foreseeable problems: one short message naming the fix, never a traceback.

A bad parameter, missing credentials or a missing id are not bugs: the person running
the lab needs the sentence saying what to change, not forty lines of stack. IPython (and
so JupyterLab, papermill and nbval) calls ``_render_traceback_`` on an exception when it
has one and shows the lines it returns instead of the traceback; the command line prints
``error: <message>`` and exits 2.
"""

from __future__ import annotations

_RED, _RESET = "\x1b[0;31m", "\x1b[0m"


class ShortTraceback:
    """Mixin for exceptions whose message says it all: IPython shows ``Name: message`` only."""

    def _render_traceback_(self) -> list[str]:
        return [f"{_RED}{type(self).__name__}{_RESET}: {self}"]


class ConfigError(ShortTraceback, ValueError):
    """A lab parameter (or command-line choice) is wrong; the message names it and the fix."""
