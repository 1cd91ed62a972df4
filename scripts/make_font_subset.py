#!/usr/bin/env python3
"""Build the bundled Chinese font subset ``simkit/fonts/NotoSansSC-simkit.otf``.

The subset is cut from the Simplified Chinese face ("Noto Sans CJK SC") of
Debian's ``fonts-noto-cjk`` package (``NotoSansCJK-Regular.ttc``) and covers:

* printable ASCII, Latin-1, general punctuation and a few plotting symbols
  (U+2212 MINUS SIGN, degree, per-mille, ×, ÷, ±, ≤, ≥ ...);
* CJK symbols and punctuation (U+3000–U+303F) and full-width forms
  (U+FF00–U+FFEF);
* the whole GB2312 character set (every valid two-byte code 0xA1A1–0xF7FE
  decoded with Python's ``gb2312`` codec: 6763 hanzi plus GB2312 symbols);
* every character found in the project's own text: ``simkit/datasets/**``
  (``*.csv``, ``*.md``, ``*.txt``, ``*.json``, ``*.yaml``, ``*.yml``),
  ``simkit/**/*.py``, ``scenarios/*.yaml`` and ``notebooks/*.ipynb``.
  Re-run the script after adding data to pick up new characters.

The output is reproducible: the same source font, the same fontTools version
and the same project text give a byte-identical file (the ``head`` timestamps
are pinned and the character list is sorted).

Usage::

    python scripts/make_font_subset.py                 # Debian source font
    python scripts/make_font_subset.py --source X.ttc  # another copy
    python scripts/make_font_subset.py --check         # only report coverage

Needs ``fonttools`` (``pip install fonttools``); the source font comes from
``apt-get install fonts-noto-cjk``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection, TTFont

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
SOURCE_FAMILY = "Noto Sans CJK SC"
DEFAULT_OUTPUT = ROOT / "simkit" / "fonts" / "NotoSansSC-simkit.otf"

# Names written into the subset.  "Noto" is not a Reserved Font Name of this
# font (see simkit/fonts/README.md); the new family name keeps the subset from
# being confused with a full "Noto Sans CJK SC" installed on the system.
FAMILY = "Noto Sans SC simkit"
STYLE = "Regular"
PS_NAME = "NotoSansSC-simkit-Regular"

# 2001-01-01T00:00:00Z in OpenType time (seconds since 1904-01-01); pinned so
# that the output does not depend on the day the script is run.
PINNED_TIMESTAMP = 3061152000

# OpenType features kept.  matplotlib (>= 3.11) shapes text with libraqm, so
# kerning and the proportional/half-width punctuation features are useful;
# 'vert'/'vrt2' are cheap.  'locl' (JP/KR/TC glyph variants), 'aalt', 'fwid',
# 'hwid', 'pwid', 'ruby' and 'hist' are left out: they would pull in ~6000
# alternate glyphs (about +1.3 MB) that Simplified Chinese text never uses.
LAYOUT_FEATURES = ["calt", "ccmp", "kern", "liga", "mark", "mkmk",
                   "halt", "palt", "vert", "vrt2", "vhal", "vpal", "vkrn"]

DATASET_SUFFIXES = {".csv", ".md", ".txt", ".json", ".yaml", ".yml", ".tsv"}

# Unicode ranges always kept (inclusive).
BASE_RANGES: list[tuple[int, int]] = [
    (0x0020, 0x007E),  # ASCII
    (0x00A0, 0x00FF),  # Latin-1 supplement (°, ±, ×, ÷, ·, ...)
    (0x2000, 0x206F),  # general punctuation (— … ‰ ‘’ “” ...)
    (0x3000, 0x303F),  # CJK symbols and punctuation
    (0xFF00, 0xFFEF),  # half-width and full-width forms
]
EXTRA_CHARS = (
    "\u2212"  # − MINUS SIGN (matplotlib's axes.unicode_minus)
    "\u2103"  # ℃
    "\u2116"  # №
    "\u2030"  # ‰
    "\u2190\u2191\u2192\u2193"  # arrows
    "\u2264\u2265\u2260\u2248\u221e"  # ≤ ≥ ≠ ≈ ∞
    "\u2460\u2461\u2462\u2463\u2464\u2465\u2466\u2467\u2468\u2469"  # ①–⑩
    "\u25a0\u25a1\u25b2\u25b3\u25cf\u25cb\u2605\u2606"  # ■□▲△●○★☆
    "\u00b7\u30fb"  # middle dots
    "\ufffd"  # replacement character
)


def gb2312_chars() -> set[str]:
    """Every character of GB2312 (rows 0xA1–0xF7, cells 0xA1–0xFE)."""
    chars: set[str] = set()
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            with contextlib.suppress(UnicodeDecodeError):  # unassigned code points
                chars.add(bytes((hi, lo)).decode("gb2312"))
    return chars


def base_chars() -> set[str]:
    """ASCII, punctuation, full-width forms and plotting symbols."""
    chars = {chr(cp) for lo, hi in BASE_RANGES for cp in range(lo, hi + 1)}
    chars.update(EXTRA_CHARS)
    return chars


def _json_strings(node: object) -> Iterator[str]:
    """Yield every string (keys included) inside a parsed JSON document."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield str(key)
            yield from _json_strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _json_strings(item)


def _read_text(path: Path) -> str:
    """File text; notebooks are parsed so that \\uXXXX escapes count."""
    raw = path.read_bytes().decode("utf-8-sig", errors="replace")
    if path.suffix in {".ipynb", ".json"}:
        try:
            return "\n".join(_json_strings(json.loads(raw)))
        except json.JSONDecodeError:
            pass
    return raw


def project_files(root: Path) -> list[Path]:
    """The project text files whose characters must be in the font."""
    files: set[Path] = set()
    datasets = root / "simkit" / "datasets"
    if datasets.is_dir():
        files.update(p for p in datasets.rglob("*")
                     if p.is_file() and p.suffix.lower() in DATASET_SUFFIXES)
    simkit_dir = root / "simkit"
    if simkit_dir.is_dir():
        files.update(simkit_dir.rglob("*.py"))
    for pattern in ("scenarios/*.yaml", "scenarios/*.yml", "notebooks/*.ipynb"):
        files.update(root.glob(pattern))
    return sorted(p for p in files if p.is_file() and ".ipynb_checkpoints" not in p.parts)


def project_chars(files: Iterable[Path]) -> set[str]:
    """Printable characters used in *files* (controls and whitespace dropped)."""
    chars: set[str] = set()
    for path in files:
        chars.update(_read_text(path))
    return {c for c in chars
            if (unicodedata.category(c)[0] not in {"C", "Z"} or c == " ")
            and not _is_variation_selector(c)}


def _is_variation_selector(c: str) -> bool:
    """VS1-VS256 select a glyph variant; they have no glyph of their own."""
    cp = ord(c)
    return 0xFE00 <= cp <= 0xFE0F or 0xE0100 <= cp <= 0xE01EF


def load_source(path: Path, family: str = SOURCE_FAMILY) -> tuple[TTFont, int]:
    """Open the face named *family* from a .ttc (or a plain .otf/.ttf)."""
    if path.suffix.lower() in {".ttc", ".otc"}:
        collection = TTCollection(str(path), lazy=True)
        for index, font in enumerate(collection.fonts):
            if font["name"].getDebugName(1) == family:
                return TTFont(str(path), fontNumber=index), index
        names = [f["name"].getDebugName(1) for f in collection.fonts]
        raise SystemExit(f"{path}: no face named {family!r}; faces: {names}")
    return TTFont(str(path)), 0


def rename(font: TTFont) -> None:
    """Give the subset its own family name; keep copyright/licence records."""
    name = font["name"]
    version = name.getDebugName(5) or ""
    new = {
        1: FAMILY,
        2: STYLE,
        3: f"{PS_NAME};subset of {name.getDebugName(3) or SOURCE_FAMILY}",
        4: f"{FAMILY} {STYLE}",
        6: PS_NAME,
        16: FAMILY,
        17: STYLE,
    }
    # Drop every localized/legacy family record (e.g. the Chinese name
    # "思源黑体" style entries) so no program sees the old name.
    name.names = [r for r in name.names if r.nameID not in new]
    for name_id, text in new.items():
        if name_id in (16, 17):
            continue  # identical to 1/2 for a single Regular face
        name.setName(text, name_id, 3, 1, 0x409)  # Windows, Unicode BMP, en-US
        name.setName(text, name_id, 1, 0, 0)  # Mac, Roman, English
    name.setName(
        f"{version}; subset for simkit by scripts/make_font_subset.py",
        5, 3, 1, 0x409)
    name.setName(
        f"{version}; subset for simkit by scripts/make_font_subset.py",
        5, 1, 0, 0)
    if "CFF " in font:
        cff = font["CFF "].cff
        cff.fontNames = [PS_NAME]
        top = cff.topDictIndex[0]
        top.FamilyName = FAMILY
        top.FullName = f"{FAMILY} {STYLE}"
        if hasattr(top, "CIDFontName"):
            top.CIDFontName = PS_NAME


def build(source: Path, output: Path, root: Path, verbose: bool = True) -> dict:
    """Subset *source* to *output*; return a summary dict."""
    font, index = load_source(source)
    cmap = font.getBestCmap()
    files = project_files(root)
    wanted_project = project_chars(files)
    wanted = base_chars() | gb2312_chars() | wanted_project
    present = sorted({c for c in wanted if ord(c) in cmap}, key=ord)
    missing_project = sorted((c for c in wanted_project if ord(c) not in cmap), key=ord)

    options = subset.Options()
    options.layout_features = LAYOUT_FEATURES
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.glyph_names = False
    options.hinting = False  # matplotlib renders unhinted by default; saves ~10 %
    options.desubroutinize = False
    options.recalc_timestamp = False
    options.prune_unicode_ranges = True

    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[ord(c) for c in present])
    subsetter.subset(font)
    rename(font)
    font["head"].created = PINNED_TIMESTAMP
    font["head"].modified = PINNED_TIMESTAMP

    output.parent.mkdir(parents=True, exist_ok=True)
    font.recalcTimestamp = False
    font.save(str(output))

    summary = {
        "source": str(source),
        "face_index": index,
        "output": str(output),
        "bytes": output.stat().st_size,
        "characters": len(present),
        "glyphs": len(font.getGlyphOrder()),
        "project_files": [str(p.relative_to(root)) for p in files],
        "project_characters": len(wanted_project),
        "missing_project_characters": "".join(missing_project),
    }
    if verbose:
        print(f"source  {source} (face {index}, {SOURCE_FAMILY})")
        print(f"scanned {len(files)} project files, {len(wanted_project)} distinct characters")
        print(f"output  {output}: {summary['bytes']:,} bytes, "
              f"{summary['characters']} characters, {summary['glyphs']} glyphs")
        if missing_project:
            print("WARNING: not in the source font, left out: "
                  + " ".join(f"U+{ord(c):04X}" for c in missing_project), file=sys.stderr)
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE,
                        help=f"source font (.ttc/.otf); default {DEFAULT_SOURCE}")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT,
                        help="where to write the subset (default: %(default)s)")
    parser.add_argument("--root", type=Path, default=ROOT,
                        help="project root to scan for characters (default: %(default)s)")
    parser.add_argument("--check", action="store_true",
                        help="only report project characters missing from the current "
                             "bundled font; exit 1 if any")
    args = parser.parse_args(argv)

    if args.check:
        cmap = TTFont(str(args.output), lazy=True).getBestCmap()
        chars = project_chars(project_files(args.root))
        missing = sorted((c for c in chars if ord(c) not in cmap), key=ord)
        print(f"{len(chars)} project characters, {len(missing)} missing from {args.output}")
        if missing:
            print(" ".join(f"{c} U+{ord(c):04X}" for c in missing))
        return 1 if missing else 0

    if not args.source.exists():
        parser.error(f"{args.source} not found; run `apt-get install fonts-noto-cjk` "
                     "or pass --source")
    build(args.source, args.output, args.root)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
