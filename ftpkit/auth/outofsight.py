"""
Tables built from a large file (a users file's users, and what is worked
out from every user) kept out of the garbage collector's way: while they
are built, no collection runs (L{collectionsPaused}), and once built they
are frozen (C{gc.freeze}), as the objects made at start are
(L{ftpkit.deploy.startupwork.freezeStartupObjects}). The parse of 60,000
users made the collector walk every object of the process about nine
times, holding the interpreter lock each time (0.05-0.48 s) and every
session's reply with it; and every full collection after it walked the
table again. See C{docs/benchmark-investigations.rst},
C{bench-reloadgc-55}.

Freezing takes out of sight whatever the collector had not collected yet,
so a young collection goes first; the cycles already old are kept with
the table (a reload's worth, once). A table given up later is freed all
the same, by reference counting: nothing in it refers back to itself.
"""

import gc
import threading
from contextlib import contextmanager

_lock = threading.Lock()
"""Guards L{_paused}: the parse runs in a thread, next to the reactor."""

_paused = {"holders": 0, "enabled": False}
"""How many callers hold the collector paused, and whether it ran before
the first of them paused it (the collector's switch is the process')."""


@contextmanager
def collectionsPaused():
    """
    Run no garbage collection, in any thread, while the block runs: the
    collector's switch is the whole process', so the holders are counted
    (two files parsed at once, each in its thread), and the collector is
    switched on again when the last leaves, if it was on when the first
    came.

    @return: a context manager.
    """
    with _lock:
        if _paused["holders"] == 0:
            _paused["enabled"] = gc.isenabled()
            gc.disable()
        _paused["holders"] += 1
    try:
        yield
    finally:
        with _lock:
            _paused["holders"] -= 1
            if _paused["holders"] == 0 and _paused["enabled"]:
                gc.enable()


def builtOutOfSight(build, *args):
    """
    Build a large table with no collection meanwhile, then freeze it (and
    every other object there is: C{gc.freeze} takes them all).

    @param build: builds the table; safe to call in another thread.
    @param args: its arguments.
    @return: what C{build} returned.
    """
    # The young generations' garbage collected first, not frozen.
    gc.collect(1)
    with collectionsPaused():
        built = build(*args)
        gc.freeze()
    return built
