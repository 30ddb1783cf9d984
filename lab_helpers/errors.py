"""Errors for foreseeable problems: one short message naming the fix, the traceback folded away.

A bad parameter, missing credentials or a missing id are not bugs: the person running
the lab needs the sentence saying what to change, not forty lines of stack. IPython (and
so JupyterLab, papermill and nbval) calls ``_render_traceback_`` on an exception when it
has one and shows the lines it returns instead of the traceback; the command line prints
``error: <message>`` and exits 2. The full traceback stays available: in a notebook it
comes with the message as a folded "details" block (HTML; plain text where HTML is not
shown, as in a papermill run's saved notebook); a terminal IPython shows it on ``%tb``.
"""

from __future__ import annotations

import html
import traceback

_RED, _RESET = "\x1b[0;31m", "\x1b[0m"


class ShortTraceback:
    """Mixin for exceptions whose message says it all: IPython shows ``Name: message`` only."""

    def _render_traceback_(self) -> list[str]:
        if not getattr(self, "_traceback_shown", False):  # ipykernel asks twice: show it once
            show_folded_traceback(self)
            self._traceback_shown = True
        return [f"{_RED}{type(self).__name__}{_RESET}: {self}"]


def folded_traceback(exc: BaseException) -> dict[str, str]:
    """A display bundle: the traceback inside a closed ``<details>`` (HTML) and as plain text."""
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    markup = ('<details class="lab-traceback"><summary style="color:#57606a;cursor:pointer">'
              "full traceback (for a bug report)</summary>"
              f'<pre style="font-size:85%">{html.escape(text)}</pre></details>')
    return {"text/html": markup, "text/plain": f"full traceback (for a bug report):\n{text}"}


def show_folded_traceback(exc: BaseException) -> None:
    """Display :func:`folded_traceback` in a Jupyter kernel (a terminal shows the message alone; ``%tb`` has the rest)."""
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:
        return
    shell = get_ipython()
    if shell is None or getattr(shell, "kernel", None) is None or exc.__traceback__ is None:
        return
    bundle = folded_traceback(exc)

    def after_the_message(_result: object = None) -> None:  # shown below the error, once
        shell.events.unregister("post_run_cell", after_the_message)
        display(bundle, raw=True)

    shell.events.register("post_run_cell", after_the_message)


class ConfigError(ShortTraceback, ValueError):
    """A lab parameter (or command-line choice) is wrong; the message names it and the fix."""
