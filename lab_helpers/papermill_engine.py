"""The runner's papermill engine: papermill's own (nbclient), writing the output notebook a little less often.

papermill writes the whole output notebook when each cell starts and again when it ends,
markdown cells included, and validates it against the notebook schema each time: about
400 writes for the lab's 13 notebooks, over 40 % of them for markdown cells, each taking the
worker's CPU between two cells. This engine writes when a code cell starts and when it
ends (a markdown cell's timings go out with the next write), skips the schema check on
those writes, and validates the final one as papermill does. What is on disk while a cell
runs, after a failure or a Ctrl-C is what papermill would have left.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import nbformat
from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines
from papermill.iorw import papermill_io, write_ipynb

#: The name the runner passes to ``papermill.execute_notebook(engine_name=...)``.
ENGINE_NAME = "lab-kit"


class CodeCellSaves(NotebookExecutionManager):
    """papermill's execution bookkeeping, writing the notebook at code cells' starts and ends only."""

    _hold = False

    @contextmanager
    def _saved_if_code(self, cell: Any) -> Iterator[None]:
        self._hold = cell.get("cell_type") != "code"
        try:
            yield
        finally:
            self._hold = False

    def cell_start(self, cell: Any, cell_index: int | None = None, **kwargs: Any) -> None:
        with self._saved_if_code(cell):
            super().cell_start(cell, cell_index, **kwargs)

    def cell_complete(self, cell: Any, cell_index: int | None = None, **kwargs: Any) -> None:
        with self._saved_if_code(cell):
            super().cell_complete(cell, cell_index, **kwargs)

    def save(self, **kwargs: Any) -> None:
        if self._hold:
            return
        if self.output_path:
            if self.end_time is None:  # between cells: papermill built this notebook, the final write validates it
                papermill_io.write(nbformat.versions[self.nb.nbformat].writes_json(self.nb), self.output_path)
            else:
                write_ipynb(self.nb, self.output_path)
        self.last_save_time = self.now()


class LabEngine(NBClientEngine):
    """papermill's nbclient engine with :class:`CodeCellSaves` (``Engine.execute_notebook``, that class swapped in)."""

    @classmethod
    def execute_notebook(cls, nb: Any, kernel_name: str, output_path: str | None = None, progress_bar: bool = True,
                         log_output: bool = False, autosave_cell_every: int = 30, **kwargs: Any) -> Any:
        nb_man = CodeCellSaves(nb, output_path=output_path, progress_bar=progress_bar, log_output=log_output,
                               autosave_cell_every=autosave_cell_every)
        nb_man.notebook_start()
        try:
            cls.execute_managed_notebook(nb_man, kernel_name, log_output=log_output, **kwargs)
        finally:
            nb_man.cleanup_pbar()
            nb_man.notebook_complete()
        return nb_man.nb


papermill_engines.register(ENGINE_NAME, LabEngine)
