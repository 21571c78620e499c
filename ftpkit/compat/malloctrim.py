"""
glibc's C{malloc_trim}, through C{ctypes}: memory the server freed,
handed back to the system (L{releaseFreed}).

glibc gives back on its own only the free memory at the top of a heap;
what a burst of sessions freed below memory still in use stays in its
bins, counted in the process's resident size, until later allocations
reuse it. C{malloc_trim(0)} returns the free pages anywhere in every heap
(docs/deployment.rst, "Memory after a burst").

Fallback: a C library without C{malloc_trim} (musl, macOS, Windows):
nothing is released, and L{releaseFreed} says so.
"""

import ctypes


def _loadTrim():
    """
    @return: the C library's C{malloc_trim}, or C{None}.
    """
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError, TypeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


_trim = _loadTrim()


def releaseFreed():
    """
    Hand the memory the C library holds free back to the system.

    @return: whether the C library offers it (glibc).
    """
    if _trim is None:
        return False
    _trim(0)
    return True
