"""How the C library and numpy treat simkit's large arrays: freed memory kept for the next array, and large
arrays from the heap, without huge pages, while simkit evaluates.

An evaluation at tens of thousands of units makes and frees dozens of (units × leaves × years) arrays of
30–60 MB each, and a Monte Carlo block a few arrays of a few MiB.  Three defaults of the platform then cost
more than the arithmetic:

- glibc's thresholds adapt: until the first freed array of 32 MiB, an array of a few MiB is mmapped and
  returned to the system when freed, so each block's arrays are faulted in page by page again;
- above 32 MiB (glibc's ceiling for the heap) every allocation is a fresh ``mmap``, returned with ``munmap``;
- numpy asks for transparent huge pages on every array of 4 MiB and more (``madvise(MADV_HUGEPAGE)``).  Where
  the kernel's THP ``defrag`` setting is ``madvise`` (Debian's default), a fault in such memory may stall on a
  synchronous compaction instead of falling back to small pages (numpy issue 31590).

``keep_freed_memory`` (once per process) sets glibc's thresholds at those ceilings.  ``heap_arrays`` sets,
while at least one simkit evaluation runs in the process, ``M_MMAP_MAX`` to 0 (every allocation from the heap,
whose freed memory the next array reuses) and numpy's huge-page advice off; on leaving, ``M_MMAP_MAX`` returns
to glibc's default (65,536) and the advice to what it was.  Memory freed inside stays in the heap for the
process's next arrays; glibc returns the top of the heap to the system as usual.  Measured: when a result
of 30,000 units is dropped, the process's resident memory falls from 1,147 MiB to 616 MiB (the data and their
arrays), and ``malloc_trim`` would take it only to 519 MiB, so nothing calls it.

Measured at 30,000 units on the 2-core VM of ``benchmarks/bench_scale.py`` (``compare`` of two scenarios,
one process each): 4.75 s CPU, 1.86 s of it in the kernel, with the defaults; 3.42 s, 0.78 s in the kernel,
inside ``heap_arrays``.  At 3,000 units the arrays are below both thresholds and nothing changes.  Entering
and leaving a block costs about 6 µs.

``SIMKIT_MALLOC=system`` leaves the C library and numpy as they are.  No number depends on any of this.
"""

from __future__ import annotations

import ctypes
import functools
import os
import platform
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD, M_MMAP_MAX = -1, -3, -4  # <malloc.h>
GLIBC_MMAP_MAX = 65536  # glibc's default number of mmapped chunks (DEFAULT_MMAP_MAX)

_lock = threading.Lock()
_depth = 0
_saved: bool | None = None
_MALLOC_TUNED = False
F = TypeVar("F", bound=Callable[..., Any])


@functools.cache
def _mallopt() -> Callable[[int, int], int] | None:
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    try:
        return ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return None


@functools.cache
def _hugepage_switch() -> Callable[[bool], bool] | None:
    """numpy's setter of its huge-page advice (returns the previous setting); None where numpy has none."""
    for where in ("numpy._core.multiarray", "numpy.core.multiarray"):
        try:
            module = __import__(where, fromlist=["_set_madvise_hugepage"])
        except ImportError:
            continue
        switch = getattr(module, "_set_madvise_hugepage", None)
        if switch is not None:
            return switch
    return None


def _system() -> bool:
    return os.environ.get("SIMKIT_MALLOC", "").lower() == "system"


def keep_freed_memory() -> None:
    """With glibc, once per process: arrays up to 32 MiB from the heap, and up to 64 MiB of freed heap kept
    rather than returned to the system (``mallopt``).  Those are glibc's own ceilings, which its adaptive
    thresholds reach after the first freed array of 32 MiB; blocks of a few MiB stop them short, and every
    block's arrays were then returned and faulted in again (Monte Carlo blocks of 5,000 draws on 100 units:
    0.42–0.52 s for 100,000 draws instead of 0.29 s, with 130,000 page faults a run).
    ``SIMKIT_MALLOC=system`` leaves the C library as it is."""
    global _MALLOC_TUNED
    if _MALLOC_TUNED:
        return
    _MALLOC_TUNED = True
    mallopt = None if _system() else _mallopt()
    if mallopt is not None:
        mallopt(M_MMAP_THRESHOLD, 32 * 2**20)
        mallopt(M_TRIM_THRESHOLD, 64 * 2**20)


def active() -> bool:
    """Whether a ``heap_arrays`` block is running in this process.

    >>> with heap_arrays():
    ...     inside = active()
    >>> inside, active()
    (True, False)
    """
    return _depth > 0


@contextmanager
def heap_arrays() -> Iterator[None]:
    """Large arrays from the heap and without huge-page advice inside the block (nested and concurrent blocks
    share one setting, undone when the last one ends).

    >>> import numpy as np
    >>> with heap_arrays():
    ...     float(np.ones((1000, 1000)).sum())
    1000000.0
    """
    global _depth, _saved
    if _system():
        yield
        return
    with _lock:
        _depth += 1
        if _depth == 1:
            keep_freed_memory()  # explicit thresholds: M_MMAP_MAX ends glibc's adaptive ones
            mallopt, switch = _mallopt(), _hugepage_switch()
            if mallopt is not None:
                mallopt(M_MMAP_MAX, 0)
            _saved = switch(False) if switch is not None else None
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                mallopt, switch = _mallopt(), _hugepage_switch()
                if mallopt is not None:
                    mallopt(M_MMAP_MAX, GLIBC_MMAP_MAX)
                if switch is not None and _saved is not None:
                    switch(_saved)
                _saved = None


def on_heap(fn: F) -> F:
    """``fn`` run inside ``heap_arrays`` (a decorator for the entry points that make large arrays)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with heap_arrays():
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
