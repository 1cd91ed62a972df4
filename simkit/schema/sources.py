"""The sources of events (督查、巡视巡察、审计、其他): names, codes, English names and other spellings.  Plain data,
read by the events table's reader and by the scenario's ``events`` rules (``simkit.schema.events``).

>>> canonical_source("Audit"), canonical_source("巡察"), canonical_source("x")
('审计', '巡视巡察', None)
"""

from __future__ import annotations

#: The sources of events, in order, with their codes (the codes name result columns) and English names.
SOURCES: tuple[str, ...] = ("督查", "巡视巡察", "审计", "其他")
SOURCE_CODES: dict[str, str] = {"督查": "supervision", "巡视巡察": "inspection", "审计": "audit", "其他": "other"}
SOURCE_EN: dict[str, str] = {"督查": "supervision", "巡视巡察": "inspection tour", "审计": "audit", "其他": "other"}
#: Other spellings of a source that the events table and the scenario accept (read in lower case).
SOURCE_ALIASES: dict[str, str] = {
    "supervision": "督查", "督察": "督查", "督办": "督查", "inspection": "巡视巡察", "巡视": "巡视巡察",
    "巡察": "巡视巡察", "patrol": "巡视巡察", "audit": "审计", "审计监督": "审计", "other": "其他", "其它": "其他",
}


def canonical_source(text: str) -> str | None:
    """The source a written value names (``审计``, ``audit``, ``巡察`` …), or None."""
    t = str(text).strip()
    if t in SOURCES:
        return t
    return SOURCE_ALIASES.get(t.lower())
