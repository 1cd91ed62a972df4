"""The base of every schema model: frozen, no unknown fields, no NaN or infinity."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Frozen(BaseModel):
    """A frozen, validated piece of a scenario; unknown fields are errors; NaN and ±inf are refused."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, allow_inf_nan=False)
