"""
Checksums of files on disk for C{HASH}: a file is read and hashed a step
of L{HASH_STEP_SIZE} bytes at a time, each step a call of its own to a
lane of disk threads, so that the checksums of other clients, queued
meanwhile, take their steps between this one's (L{checksum}).
"""

import os

from twisted.internet.defer import CancelledError, Deferred
from twisted.python.failure import Failure

from ftpkit.errors import LocalError

HASH_CHUNK_SIZE = 1024 * 1024
"""Bytes read per C{os.pread} when checksumming."""

HASH_STEP_SIZE = 16 * HASH_CHUNK_SIZE
"""Bytes checksummed per call in the checksums' lane: between two, the
lane takes other calls waiting."""


def hashStep(digest, fd, position, stop):
    """
    Checksum the next L{HASH_STEP_SIZE} bytes of a file (blocking).

    @param digest: the C{hashlib} object.
    @param fd: the open file.
    @param position: where to go on from.
    @param stop: where to stop.
    @return: where the next step goes on from: C{stop} at the end.
    @raise LocalError: when the file ends before C{stop} (C{451}): it
        shrank since it was opened (truncated by a local user, as
        C{logrotate}'s C{copytruncate} does), or its size lied (a
        C{sysfs} file's 4096 bytes for a few). The digest of what was
        read went out as that of the whole range (C{HASH} named it),
        where a download of the same file ends with C{451}.
    """
    end = min(stop, position + HASH_STEP_SIZE)
    while position < end:
        chunk = os.pread(fd, min(HASH_CHUNK_SIZE, end - position), position)
        if not chunk:
            raise LocalError("File shrank during the checksum: read to"
                             " byte %d of %d" % (position, stop))
        digest.update(chunk)
        position += len(chunk)
    return position


def checksum(run, opening, start):
    """
    Checksum a file in steps (L{hashStep}).

    Cancelling the Deferred stops the checksum before its next step (the
    step running, if any, ends first, then the file is closed).

    @param run: runs a blocking call in the checksums' lane:
        C{run(function, *args)} gives a Deferred with its result, failing
        with an L{ftpkit.errors.FTPError} where the call raised
        C{OSError}.
    @param opening: the blocking call that opens the file: it returns the
        C{hashlib} object, the open descriptor (closed here once done)
        and the offset to stop at.
    @param start: the offset to start at.
    @return: a Deferred firing with the hex digest.
    """
    stopped = []
    result = Deferred(lambda _: stopped.append(True))

    def ended(outcome):
        if result.called:
            # Cancelled: the caller already has its CancelledError.
            return None
        if isinstance(outcome, Failure):
            result.errback(outcome)
        else:
            result.callback(outcome)

    Deferred.fromCoroutine(
        _inSteps(run, opening, start, stopped)).addBoth(ended)
    return result


async def _inSteps(run, opening, start, stopped):
    """
    The steps of L{checksum}, until the end or until C{stopped} is not
    empty.
    """
    digest, fd, stop = await run(opening)
    try:
        position = start
        while position < stop:
            if stopped:
                raise CancelledError()
            position = await run(hashStep, digest, fd, position, stop)
    finally:
        os.close(fd)
    return digest.hexdigest()
