"""tools/mutation_check.py: mutants are read from every tools/mutants/*.toml and must stay in step with the code."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("mutation_check", ROOT / "tools" / "mutation_check.py")
mc = importlib.util.module_from_spec(_spec)
sys.modules["mutation_check"] = mc  # dataclasses look their module up
_spec.loader.exec_module(mc)  # type: ignore[union-attr]

ENTRY = '''[[mutant]]
name = "{name}"
file = "lab_helpers/validate.py"
find = "{find}"
replace = "broken"
why = "a test of the checker"
tests = ["tests/test_config.py"]
'''


def test_every_committed_mutant_applies_exactly_once():
    mutants = mc.load_mutants()
    assert len({m.source for m in mutants}) >= 3 and len(mutants) >= 30
    for mutant in mutants:
        mc.check_applies(mutant, ROOT)  # raises, naming the mutant, when the code moved on


def test_find_text_must_occur_exactly_once(tmp_path):
    (tmp_path / "a.toml").write_text(ENTRY.format(name="twice", find="    if ") + ENTRY.format(name="never", find="no such text"))
    twice, never = mc.load_mutants(tmp_path)
    with pytest.raises(mc.MutantError, match=r"mutant 'twice' \(a.toml\): its find text occurs \d+ times"):
        mc.check_applies(twice, ROOT)
    with pytest.raises(mc.MutantError, match="mutant 'never' .* occurs 0 times"):
        mc.check_applies(never, ROOT)


def test_several_files_are_read_and_names_are_unique(tmp_path):
    (tmp_path / "a.toml").write_text(ENTRY.format(name="one", find="x"))
    (tmp_path / "b.toml").write_text(ENTRY.format(name="two", find="y"))
    assert [(m.name, m.source) for m in mc.load_mutants(tmp_path)] == [("one", "a.toml"), ("two", "b.toml")]
    (tmp_path / "c.toml").write_text(ENTRY.format(name="one", find="z"))
    with pytest.raises(mc.MutantError, match="name also used in a.toml"):
        mc.load_mutants(tmp_path)


def test_a_mutant_needs_every_field(tmp_path):
    (tmp_path / "a.toml").write_text(ENTRY.format(name="x", find="y").replace('why = "a test of the checker"\n', ""))
    with pytest.raises(mc.MutantError, match=r"missing \['why'\]"):
        mc.load_mutants(tmp_path)
