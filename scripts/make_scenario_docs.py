"""Write docs/scenario-reference.md and scenarios/schema.json from the scenario models."""

from __future__ import annotations

import json
from pathlib import Path

from simkit.schema.reference import reference_markdown
from simkit.schema.scenario import json_schema

ROOT = Path(__file__).resolve().parents[1]

if __name__ == "__main__":
    (ROOT / "docs" / "scenario-reference.md").write_text(reference_markdown(), encoding="utf-8")
    (ROOT / "scenarios" / "schema.json").write_text(
        json.dumps(json_schema(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print("written docs/scenario-reference.md and scenarios/schema.json")
