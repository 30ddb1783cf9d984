import sys

from . import lean_imports  # noqa: F401  (before anything imports nbformat)
from .cli import main

if __name__ == "__main__":  # not when a worker process (lab_helpers.kernels) imports the main module
    sys.exit(main())
