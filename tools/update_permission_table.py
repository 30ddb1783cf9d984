"""Rewrite the README's permission table from the persona policy documents (lab_helpers/policies)."""

from pathlib import Path

from lab_helpers.policies import permission_table

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- permission-table:start -->\n", "\n<!-- permission-table:end -->"

text = README.read_text()
head, rest = text.split(START, 1)
README.write_text(head + START + permission_table() + END + rest.split(END, 1)[1])
print(f"updated {README}")
