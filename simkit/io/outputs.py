"""Output sets: a command's files are replaced as a whole or not at all, never over the user's inputs.

- ``check_out(out, inputs)`` runs before any work: ``--out`` may not be, or be inside, an input folder, may not
  hold an input file, may not be a file, and may hold only a previous simkit output set (its files all listed
  in its ``manifest.json``) — anything else in it would be lost, so it is refused with a message.
- ``OutputSet(out)`` is a context manager: files are written into a temporary folder beside ``out``; on success
  the manifest gains every file with its SHA-256, and the new folder takes the old one's place by renames
  (the old set is moved aside, the new one moved in, the old one removed), so a folder never holds a mix of
  an old and a new set; on failure the temporary folder is removed and ``out`` is left as it was.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

from ..errors import Problem, SimkitError

MANIFEST = "manifest.json"


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def input_hashes(paths: Iterable[Path | str | None]) -> dict[str, str]:
    """SHA-256 of every input file (a folder: each file in it), by path, for the manifest."""
    out: dict[str, str] = {}
    for p in paths:
        if p is None:
            continue
        p = Path(p)
        if p.is_dir():
            for f in sorted(p.iterdir()):
                if f.is_file():
                    out[str(f)] = sha256(f)
        elif p.is_file():
            out[str(p)] = sha256(p)
    return out


def _inside(a: Path, b: Path) -> bool:
    """Is ``a`` the same as, or inside, ``b``?"""
    try:
        a.relative_to(b)
        return True
    except ValueError:
        return False


def _previous_set(out: Path) -> set[str] | None:
    """The files a previous simkit output set in ``out`` lists, or None if ``out`` is not one."""
    try:
        doc = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    files = doc.get("files") if isinstance(doc, dict) else None
    if not isinstance(files, dict) or "simkit_version" not in doc:
        return None
    return {*files, MANIFEST}


def check_out(out: Path, inputs: Iterable[Path | str | None] = ()) -> None:
    """Refuse an output folder that would overwrite or mix with anything that is not a simkit output set."""
    where = str(out)
    target = Path(os.path.abspath(out))
    for p in inputs:
        if p is None:
            continue
        src = Path(os.path.abspath(p))
        if src.is_dir() and _inside(target, src):
            raise SimkitError(Problem(where, f"--out is the input folder {p} or inside it, so the results would be "
                                      "written among your own files", "give another folder with --out, e.g. "
                                      "--out out/"))
        if src.exists() and _inside(src, target):
            raise SimkitError(Problem(where, f"--out holds the input {p}; replacing the output folder would lose it",
                                      "give a folder for the outputs that holds none of your inputs, e.g. --out out/"))
    if target.exists() and not target.is_dir():
        raise SimkitError(Problem(where, "--out names a file, not a folder",
                                  "give a folder for the outputs, e.g. --out out/"))
    if target.is_dir():
        present = {f.name for f in target.iterdir()}
        if present:
            listed = _previous_set(target)
            extra = sorted(present - listed) if listed is not None else sorted(present)
            if extra:
                shown = ", ".join(extra[:8]) + (" ..." if len(extra) > 8 else "")
                raise SimkitError(Problem(where, f"--out already holds files simkit did not write there ({shown}); "
                                          "the new results would replace the whole folder and lose them",
                                          "give an empty or new folder with --out"))
    parent = target.parent
    if not parent.exists():
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SimkitError(Problem(where, f"the output folder cannot be created ({exc.strerror})",
                                      "choose a folder you can write to with --out")) from None
    if not os.access(parent, os.W_OK):
        raise SimkitError(Problem(where, "the folder that would hold --out is not writable",
                                  "choose a folder you can write to with --out"))


class OutputSet:
    """Write a set of files into ``out`` as a whole (see the module text); ``manifest`` is completed with the
    files and their hashes and written last."""

    def __init__(self, out: Path, manifest: dict[str, Any] | None = None) -> None:
        self.out = Path(os.path.abspath(out))
        self.manifest = dict(manifest or {})
        self.tmp: Path | None = None

    def __enter__(self) -> Path:
        self.tmp = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.simkit-", dir=self.out.parent))
        return self.tmp

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        assert self.tmp is not None
        try:
            if kind is not None:
                return
            files = {f.name: sha256(f) for f in sorted(self.tmp.iterdir()) if f.name != MANIFEST}
            self.manifest["files"] = files
            (self.tmp / MANIFEST).write_text(json.dumps(self.manifest, ensure_ascii=False, indent=2, default=str),
                                             encoding="utf-8")
            old = None
            if self.out.exists():
                old = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.old-", dir=self.out.parent))
                os.rmdir(old)
                os.rename(self.out, old)
            os.rename(self.tmp, self.out)
            self.tmp = None
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        finally:
            if self.tmp is not None:
                shutil.rmtree(self.tmp, ignore_errors=True)
