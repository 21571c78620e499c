"""
The sweep of the hidden files of L{ftpkit.shells.keptuploads.KeptUploadsShell}
past their lifetime (L{ftpkit.shells.keptnames.staleAction}): in a
directory when a cut upload is kept there (L{sweepDirectory}, at most
once a L{SWEEP_INTERVAL}: L{SweepSchedule}), and in
a whole tree when a realm starts (L{sweepTree}).

A server that died mid-upload left its new upload's file
(C{.ftpkit-placing.*}) and a resume's (C{.ftpkit-resuming.*}), which no
command names: the first stayed, holding its bytes, until a cut upload
was next kept in its directory and 25 hours had passed; the second was
taken over only by its user's next resume of that name. Now a new
upload's file not written for an hour goes, and a resume's becomes its
partial upload again, when a realm's tree is first used or a cut upload
is next kept beside them.
"""

from twisted.internet.defer import ensureDeferred
from twisted.logger import Logger

from ftpkit.errors import FTPError
from ftpkit.shells.keptnames import (
    PARTIAL_PREFIX,
    REMOVE,
    isKept,
    restoredName,
    staleAction,
)
from ftpkit.shells.keptregistry import EXPIRED, REPLACED

_log = Logger()

SWEEP_INTERVAL = 60
"""Seconds between the sweeps of one directory that cut uploads kept in
it start (L{SweepSchedule}): its hidden files turn stale an hour at the
soonest (L{ftpkit.shells.keptnames.staleAction})."""

MOST_DIRECTORIES = 1024
"""How many directories' last sweeps a L{SweepSchedule} remembers."""

DEPTH = 32
"""The most levels below its start L{sweepTree} walks: a link leading
back up would otherwise be walked for ever."""


class SweepSchedule:
    """
    When a cut upload kept in a directory sweeps it: at most once every
    L{SWEEP_INTERVAL} seconds. Each sweep lists the directory whole, and
    a client cutting uploads into a directory of many files at will had
    the server list it at each cut (the thirty-fourth attack sweep).
    """

    def __init__(self):
        self._last = {}

    def due(self, directory, now):
        """
        @param directory: a directory's path.
        @param now: the time now, seconds since the epoch.
        @return: whether it is to be swept now; if so, the sweep is
            counted as made now. The oldest of L{MOST_DIRECTORIES} are
            forgotten first (so swept again).
        """
        last = self._last.pop(directory, None)
        if last is not None and 0 <= now - last < SWEEP_INTERVAL:
            self._last[directory] = last
            return False
        if len(self._last) >= MOST_DIRECTORIES:
            del self._last[next(iter(self._last))]
        self._last[directory] = now
        return True


async def sweepDirectory(keeper, directory):
    """
    Deal with the hidden files of a directory past their lifetime.

    @param keeper: the L{ftpkit.shells.keptuploads.KeptUploadsShell}.
    @param directory: the directory's path in C{keeper}'s wrapped shell.
    @return: how many it removed or gave back (failures are logged; a
        partial upload removed is a C{partial-dropped} event: L{EXPIRED},
        or L{REPLACED} for a dead resume's).
    """
    try:
        entries = await keeper.wrapped.list(directory)
    except FTPError:
        return 0
    return await _sweepEntries(keeper, directory, entries)


async def _sweepEntries(keeper, directory, entries):
    """
    The part of L{sweepDirectory} once the directory is listed.

    @param entries: its C{(name, FileInfo)} pairs.
    """
    now = keeper.now()
    names = {name for name, _ in entries}
    swept = 0
    for name, info in entries:
        action = staleAction(name, info.mtime, now) if info.isFile else None
        if action is None:
            continue
        swept += 1
        path = directory + (name,)
        if action == REMOVE and name.startswith(PARTIAL_PREFIX):
            await keeper.dropStale(path, info.size, EXPIRED)
            continue
        if action == REMOVE:
            await keeper.removeKept(path)
            continue
        if restoredName(name) in names:
            # A newer cut upload of the same target and user is kept.
            await keeper.dropStale(path, info.size, REPLACED)
            continue
        try:
            await keeper.wrapped.rename(path,
                                        directory + (restoredName(name),))
        except FTPError as e:
            _log.warn("cannot give back the cut upload {path}: {why}",
                      path="/".join(path), why=e.message)
    return swept


def sweepTree(keeper, path=()):
    """
    Sweep every directory from C{path} down (L{sweepDirectory}), at most
    L{DEPTH} levels, hidden directories left out.

    @param keeper: the L{ftpkit.shells.keptuploads.KeptUploadsShell}.
    @param path: where to start, in C{keeper}'s wrapped shell.
    @return: a Deferred firing with how many it removed or gave back.
    """
    return ensureDeferred(_sweepTree(keeper, path, DEPTH))


async def _sweepTree(keeper, path, depth):
    try:
        entries = await keeper.wrapped.list(path)
    except FTPError:
        return 0
    swept = await _sweepEntries(keeper, path, entries)
    if depth > 0:
        for name, info in entries:
            if info.isDirectory and not isKept(name):
                swept += await _sweepTree(keeper, path + (name,), depth - 1)
    return swept
