"""pyproject.toml and environment.yml list the same packages, with the same versions."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
#: conda-forge names that differ from PyPI's
CONDA_TO_PYPI = {"python-duckdb": "duckdb"}
#: what conda needs on top (the moto[server] extra's own packages, pip itself)
CONDA_ONLY = {"python", "pip", "flask", "flask-cors"}


def _split(requirement: str) -> tuple[str, str]:
    match = re.match(r"^\s*([A-Za-z0-9_.-]+)(\[[^\]]*\])?\s*(.*)$", requirement)
    assert match, requirement
    return match.group(1).lower(), match.group(3).replace(" ", "")


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pypi = dict(_split(r) for r in project["dependencies"] + project["optional-dependencies"]["test"])
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = {}
    pip_section = []
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip_section = dep["pip"]
            continue
        name, spec = _split(dep.replace("==", "==") if "==" in dep else dep)
        conda[CONDA_TO_PYPI.get(name, name)] = spec
    for name in CONDA_ONLY:
        conda.pop(name, None)
    assert conda == pypi
    assert "-e ." in pip_section  # the kit itself is installed from the checkout
    assert pypi["moto"] == "==5.2.5"  # pinned exactly: the stand-in hooks moto's internals
