"""Where a projection keeps its per-path arrays while the chunks of paths are evaluated, and afterwards.

A projection's outcome is every path's ranks, grades, money and tracked values: paths × years × units cells per
variable, 4.9 GB for 200 paths × 10 years at 30,000 units.  The chunks bound the working memory; the outcome is
bounded here.  Arrays that fit the memory budget are kept in memory.  Larger ones are written, chunk by chunk,
into one temporary file (unlinked at once: nothing is left behind, even when the process is killed) and read
back memory-mapped: the same numbers, which the operating system pages in as a statistic reads them and can
page out again, so the process's resident memory is bounded by the budget and not by the number of paths.

>>> import numpy as np
>>> s = PathStore(paths=4, memory=0)                    # nothing fits in memory: the arrays go to a file
>>> s.write({"rank": np.array([[1.0], [2.0]])}, row=0)
>>> s.write({"rank": np.array([[3.0], [4.0]])}, row=2)
>>> out = s.finish()
>>> s.spilled, out["rank"].ravel().tolist()
(True, [1.0, 2.0, 3.0, 4.0])
"""

from __future__ import annotations

import mmap
import tempfile
from collections.abc import Hashable, Mapping

import numpy as np

#: Byte alignment of each array in the file (a cache line: every dtype's alignment divides it).
_ALIGN = 64


class PathStore:
    """Arrays ``(paths, ...)`` filled a chunk of rows at a time (``write``), handed out by ``finish``.

    The first chunk decides where they are kept: in memory if all of them, over every path, take at most
    ``memory`` bytes, else in a temporary file in ``folder`` (default: the system's temporary folder).
    """

    def __init__(self, paths: int, memory: int, folder: str | None = None) -> None:
        self.paths, self.memory, self.folder = paths, memory, folder
        self.spilled = False
        self._arrays: dict[Hashable, np.ndarray] = {}
        self._layout: dict[Hashable, tuple[int, tuple[int, ...], np.dtype]] = {}
        self._file = None
        self._size = 0

    def _start(self, chunk: Mapping[Hashable, np.ndarray]) -> None:
        b = max(len(next(iter(chunk.values()))), 1)
        total = sum(a.nbytes // b for a in chunk.values()) * self.paths
        self.spilled = total > self.memory
        for key, a in chunk.items():
            shape = (self.paths, *a.shape[1:])
            if not self.spilled:
                self._arrays[key] = np.empty(shape, dtype=a.dtype)
                continue
            self._layout[key] = (self._size, shape, a.dtype)
            self._size += -(-(a.dtype.itemsize * int(np.prod(shape))) // _ALIGN) * _ALIGN
        if self.spilled:
            self._file = tempfile.TemporaryFile(dir=self.folder)  # noqa: SIM115 - closed in finish()
            self._file.truncate(self._size)

    def write(self, chunk: Mapping[Hashable, np.ndarray], row: int) -> None:
        """Put a chunk's arrays (b, ...) at rows ``row`` to ``row + b``; every chunk names the same arrays."""
        if not chunk:
            return
        if not self._arrays and not self._layout:
            self._start(chunk)
        for key, a in chunk.items():
            if not self.spilled:
                self._arrays[key][row : row + len(a)] = a
                continue
            offset, shape, dtype = self._layout[key]
            a = np.ascontiguousarray(a, dtype=dtype)
            assert self._file is not None
            self._file.seek(offset + row * dtype.itemsize * int(np.prod(shape[1:])))
            self._file.write(a.view(np.uint8).reshape(-1).data)

    def finish(self) -> dict[Hashable, np.ndarray]:
        """The arrays over every path (memory-mapped copy-on-write when in a file: writable, the file unchanged)."""
        if not self.spilled:
            return self._arrays
        assert self._file is not None
        self._file.flush()
        if self._size == 0:
            self._file.close()
            return {key: np.empty(shape, dtype=dtype) for key, (_, shape, dtype) in self._layout.items()}
        view = mmap.mmap(self._file.fileno(), self._size, access=mmap.ACCESS_COPY)
        self._file.close()  # the map holds the file open; the file has no name, so it goes with the map
        out = {}
        for key, (offset, shape, dtype) in self._layout.items():
            n = int(np.prod(shape))
            out[key] = np.frombuffer(view, dtype=dtype, count=n, offset=offset).reshape(shape)
        return out
