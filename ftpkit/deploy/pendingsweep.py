"""
Under C{--workers}, the acceptor sweeps cut uploads at start while its
workers serve (L{ftpkit.deploy.sweepservice.SweepUploads}); a resume in a
worker before the sweep reached its target's file must find that file
all the same (L{ftpkit.shells.uploads.beginSweep}), so the acceptor tells
each worker that gets ready meanwhile (before any connection, on the same
channel: L{sweepingLine}), and every worker once it is done
(L{SWEPT_LINE}); L{takeLine} is the worker's end.

A worker does not know the other workers' tags, so it takes a temporary
file only if nothing made or renamed it since the sweep started (its
C{st_ctime}): a running upload's file, in the moment between its creation
and its lock, is newer than that, as every worker got ready after it.
"""

from ftpkit.shells import uploads

_SWEEPING = b"sweeping "

SWEPT_LINE = b"swept"
"""The acceptor's line: its sweep at start ended."""


def sweepingLine(started):
    """
    @param started: when the acceptor's sweep started (C{time.time()}).
    @return: the line that tells a worker a sweep runs, C{bytes}.
    """
    return _SWEEPING + repr(float(started)).encode("ascii")


def takeLine(line):
    """
    Act on the acceptor's line if it is about its sweep (in a worker).

    @param line: the line, C{bytes}.
    @return: whether it was.
    """
    if line == SWEPT_LINE:
        uploads.endSweep()
        return True
    if not line.startswith(_SWEEPING):
        return False
    try:
        started = float(line[len(_SWEEPING):])
    except ValueError:
        return False
    uploads.beginSweep(frozenset({uploads.temporaryTag()}), before=started)
    return True
