"""Consequences of a grade or rank: bonuses, award slots, progress awards, accountability (placeholder model)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Consequences(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
