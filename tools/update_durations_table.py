"""Rewrite the timing tables of README.md and docs/aws-behaviour/durations.md from lab_helpers/durations.py."""

from pathlib import Path

from lab_helpers.durations import markdown_table

ROOT = Path(__file__).resolve().parent.parent
FILES = (ROOT / "README.md", ROOT / "docs" / "aws-behaviour" / "durations.md")
START, END = "<!-- durations-table:start -->\n", "\n<!-- durations-table:end -->"

for path in FILES:
    text = path.read_text()
    head, rest = text.split(START, 1)
    path.write_text(head + START + markdown_table() + END + rest.split(END, 1)[1])
    print(f"updated {path}")
