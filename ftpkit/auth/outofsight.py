"""
Tables built from a large file (a users file's users, and what is worked
out from every user) kept out of the reactor's way. While they are
built, no garbage collection runs (L{collectionsPaused}), and once built
they are frozen (C{gc.freeze}), as the objects made at start are
(L{ftpkit.deploy.startupwork.freezeStartupObjects}). The parse of 60,000
users made the collector walk every object of the process about nine
times, holding the interpreter lock each time (0.05-0.48 s) and every
session's reply with it; and every full collection after it walked the
table again. See C{docs/benchmark-investigations.rst},
C{bench-reloadgc-55}.

Freezing takes out of sight whatever the collector had not collected yet,
garbage cycles too, which would then never be freed: a reload a minute
would leak a minute's garbage each. So a full collection goes first (it
walks what is not frozen yet, the sessions' objects, not the tables
frozen before), and a young one once the table is built (what the
process made meanwhile, the collector paused: the new table, which it
keeps, and the garbage of other threads, which it frees). A table given
up later is freed all the same, by reference counting: nothing in it
refers back to itself;
and, where nothing else holds it, a slice at a time
(L{releaseInSlices}): freed at once, the old users held the reactor for
0.1 s at 60,000.
"""

import gc
import sys
import threading
from contextlib import contextmanager

from twisted.internet import task

SLICE = 1000
"""The entries L{releaseInSlices} frees in one step of the reactor."""

_HELD_HERE = 3
"""What L{releaseInSlices} counts of a table its caller alone holds: the
caller's name for it, its own argument, and C{sys.getrefcount}'s."""

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
    gc.collect()
    with collectionsPaused():
        built = build(*args)
        gc.collect(0)
        gc.freeze()
    return built


def releaseInSlices(table, size=SLICE, cooperate=task.cooperate):
    """
    Let go of a large C{dict} (the users a reload replaced): where its
    caller is the only holder, take it apart C{size} entries at a time,
    one step of the reactor each (L{task.cooperate}), so that no session
    waits for the whole of it; otherwise (a login looking a user up in it
    meanwhile), or when it is no larger than a step, leave it to be freed
    by its last holder.

    @param table: a C{dict}, held by one name of the caller's.
    @param size: the entries freed in one step.
    @param cooperate: L{task.cooperate}.
    @return: the L{task.CooperativeTask} taking it apart, or C{None}.
    """
    if len(table) <= size or sys.getrefcount(table) > _HELD_HERE:
        return None
    return cooperate(_slices(table, size))


def releaseOnceAlone(holder, size=SLICE, cooperate=task.cooperate):
    """
    Let go of C{holder} (the L{ftpkit.shells.nestedquotas.KnownHomes} a
    realm gave up: replaced by a reload, or of a realm that is gone),
    which others may hold a moment longer (the users file's values of a
    realm that is gone, freed after it): from the first step of the
    reactor on (L{task.cooperate} runs none at once), where nothing else
    holds it, take its parts apart C{size} entries at a time, one step
    each, one table after another; otherwise leave it to its last
    holder.

    @param holder: has C{parts()}, giving the C{list} of its C{dict}s
        and C{list}s in the order to take them apart; held by its
        caller's name alone, besides those others.
    @param size: the entries freed in one step.
    @param cooperate: L{task.cooperate}.
    @return: the L{task.CooperativeTask} letting go of it.
    """
    return cooperate(_onceAlone(holder, size))


def _onceAlone(holder, size):
    """
    @param holder: see L{releaseOnceAlone}.
    @param size: entries a step.
    @return: an iterator: where, at its first step, only it holds
        C{holder} (its name here and C{sys.getrefcount}'s argument), the
        steps taking C{holder}'s parts apart; otherwise none.
    """
    if sys.getrefcount(holder) > 2:
        return
    tables = holder.parts()
    del holder
    yield from _tablesSlices(tables, size)


def _tablesSlices(tables, size):
    """
    @param tables: a C{list} of C{dict}s and C{list}s.
    @param size: entries a step.
    @return: an iterator taking each of C{tables} apart in turn (see
        L{_slices}).
    """
    while tables:
        yield from _slices(tables.pop(0), size)


def _slices(table, size):
    """
    @param table: a C{dict} or a C{list}.
    @param size: entries a step.
    @return: an iterator removing C{size} entries of C{table} at each
        step, until it is empty.
    """
    take = table.popitem if isinstance(table, dict) else table.pop
    while table:
        for _ in range(min(size, len(table))):
            take()
        yield None
