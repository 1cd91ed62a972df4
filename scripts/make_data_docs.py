"""Write docs/data-format.md from the table declaration (simkit/schema/tables.py)."""

from __future__ import annotations

from pathlib import Path

from simkit.schema.reference import data_format_markdown

ROOT = Path(__file__).resolve().parents[1]

if __name__ == "__main__":
    (ROOT / "docs" / "data-format.md").write_text(data_format_markdown(), encoding="utf-8")
    print("written docs/data-format.md")
