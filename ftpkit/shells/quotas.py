"""
What a user's quota counts: L{QuotaUsage}, the bytes a home holds
(measured by L{diskUsage}, then kept up to date). The uploads held to it
(L{QuotaWriteFile}, L{QuotaRandomWriteFile}) are
L{ftpkit.shells.quotauploads}'s, and importable from here too.
L{ftpkit.shells.permissions.PermissionShell} decides with them, and is the
one place that does.
"""

import dataclasses
import errno
import os
import threading

from twisted.internet import defer
from twisted.python.failure import Failure

from ftpkit.errors import QuotaExceeded
from ftpkit.shells.diskthreads import inWalksLane
from ftpkit.shells.quotanames import NameChanges
from ftpkit.shells.quotareads import OpenReads
from ftpkit.shells.quotauploads import QuotaRandomWriteFile, QuotaWriteFile

__all__ = ["Footprint", "QuotaRandomWriteFile", "QuotaUsage", "QuotaWriteFile",
           "diskFootprint", "diskUsage"]


@dataclasses.dataclass(frozen=True)
class Footprint:
    """
    What a home holds, as a quota counts it.

    @ivar bytes: the bytes of its regular files.
    @ivar files: its entries, at every depth below it (not itself): files,
        directories, links, anything that takes an inode.
    """

    bytes: int
    files: int


def diskFootprint(directory):
    """
    Walk a directory, not following symbolic links (blocking: run it in
    a thread), adding up the sizes of its regular files and counting its
    entries.

    @param directory: a path.
    @return: a L{Footprint}; entries that cannot be read count 0 bytes (a
        directory that cannot be read, no entries below it).
    @raise QuotaExceeded: when a directory's path is too long to name (a
        user builds one by renaming directories into one another): what
        is below it cannot be counted, and counting it as nothing let the
        user store past any quota.
    """
    total = files = 0
    pending = [directory]
    while pending:
        try:
            entries = list(os.scandir(pending.pop()))
        except OSError as e:
            if e.errno == errno.ENAMETOOLONG:
                raise QuotaExceeded(
                    "Exceeded storage allocation: paths too long to be"
                    " measured; move deep directories up") from None
            continue
        files += len(entries)
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    pending.append(entry.path)
                elif entry.is_file(follow_symlinks=False):
                    total += entry.stat(follow_symlinks=False).st_size
            except OSError:
                continue
    return Footprint(total, files)


def diskUsage(directory):
    """
    Add up the sizes of the regular files under a directory, not
    following symbolic links (blocking: run it in a thread).

    @param directory: a path.
    @return: the total in bytes; entries that cannot be read count 0.
    """
    return diskFootprint(directory).bytes


class QuotaUsage:
    """
    The bytes and the files (and directories) a home holds, measured (in a
    thread) when first needed and then kept up to date as uploads,
    deletions and new directories go through
    L{ftpkit.shells.permissions.PermissionShell}s. Sessions of the same home
    share one.

    @ivar used: the bytes stored, or C{None} until measured.
    @ivar files: the files and directories stored (L{Footprint.files}), or
        C{None} until measured.
    @ivar inFlight: the bytes of uploads in progress, not yet in C{used}.
    @ivar reads: the L{OpenReads} of the home, whose C{held} bytes (files
        no longer in place that downloads still read) count too.
    @ivar filesInFlight: the new files being uploaded and directories
        being made, not yet in L{files} (L{reserveFile}).
    @ivar lock: held while these change or are checked together (a
        zero-copy upload's quota is checked in a disk thread).
    @ivar stale: whether L{current} should measure again.
    @ivar generation: counts the calls to L{invalidate}: a measurement
        begun before one of them leaves the usage L{stale}.
    @ivar changes: counts the changes told (L{adjust}, L{settleFile}):
        a count made while another session changed the home can be told
        from one made while nothing did.
    @ivar measurements: counts the measurements kept: an upload that
        one may have seen the bytes of while it ran (counted in flight
        too) has the usage measured again once it ends
        (L{ftpkit.shells.quotauploads}).
    @ivar names: the L{NameChanges} of the names that uploads and
        deletions count from.
    """

    def __init__(self, measure, run=inWalksLane):
        """
        @param measure: a blocking callable returning what the home holds:
            a L{Footprint}, e.g. C{lambda: diskFootprint(home)}, or the
            bytes alone, an C{int} (no files are counted then: fit for a
            byte quota only).
        @param run: runs a blocking callable off the reactor thread,
            returning a L{Deferred}; by default in the walks' own threads
            (L{ftpkit.shells.diskthreads.WALKS}), never those of
            Twisted's shared pool, where password checks run.
        """
        self._measure = measure
        self._run = run
        self._waiters = []
        self.used = None
        self.files = None
        self.inFlight = 0
        self.reads = OpenReads()
        self.names = NameChanges()
        self.filesInFlight = 0
        self.lock = threading.Lock()
        self.stale = True
        self.generation = 0
        self.changes = 0
        self.measurements = 0
        self._measuring = None

    def current(self):
        """
        @return: a L{Deferred} firing with L{used}, measuring it (and
            L{files}) first when L{stale} (concurrent callers share one
            measurement).
        """
        if not self.stale:
            return defer.succeed(self.used)
        waiter = defer.Deferred()
        self._waiters.append(waiter)
        if len(self._waiters) == 1:
            self._measuring = self.generation
            self._run(self._measure).addBoth(self._measured)
        return waiter

    def _measured(self, result):
        """
        Keep a measurement and hand it (or its failure) to the waiters.

        @param result: a L{Footprint}, the bytes stored, or a L{Failure}.
        """
        if not isinstance(result, Failure):
            if not isinstance(result, Footprint):
                result = Footprint(result, 0)
            with self.lock:
                self.used, self.files = result.bytes, result.files
                self.measurements += 1
            # A change told since the walk began may be missing from it.
            self.stale = self.generation != self._measuring
            result = result.bytes
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if isinstance(result, Failure):
                waiter.errback(result)
            else:
                waiter.callback(result)

    def adjust(self, delta, files=0):
        """
        Record that the stored bytes changed by C{delta} and the files and
        directories by C{files} (ignored until first measured: the
        measurement will see the change).

        @param delta: bytes added (negative when removed).
        @param files: files and directories added (negative when removed).
        """
        with self.lock:
            self.changes += 1
            if self.used is not None:
                self.used = max(0, self.used + delta)
                self.files = max(0, self.files + files)

    def occupied(self):
        """
        Call only once measured (after L{current}).

        @return: what the quota counts now: the bytes stored, those in
            flight, and those downloads hold (L{OpenReads.held}).
        """
        with self.lock:
            return self.used + self.inFlight + self.reads.held

    def reserveBytes(self, size, limit):
        """
        Count C{size} more bytes in flight, if they fit. Call only once
        measured (after L{current}); L{releaseBytes} must follow.

        @param size: the bytes.
        @param limit: the most that L{occupied} may be with them, or
            C{None} for no limit (they are counted all the same, for the
            other sessions of the home).
        @return: whether they fit (and were counted in L{inFlight}).
        """
        with self.lock:
            if (limit is not None
                    and self.used + self.inFlight + self.reads.held + size
                    > limit):
                return False
            self.inFlight += size
            return True

    def releaseBytes(self, size):
        """
        Take bytes counted by L{reserveBytes} off L{inFlight} (they are
        stored, counted by L{adjust}, or were not).

        @param size: the bytes.
        """
        with self.lock:
            self.inFlight -= size

    def reserveFile(self, limit):
        """
        Count a file or directory about to be made, if it fits: the files
        stored and those being made must leave room for it. Call only once
        measured (after L{current}); L{settleFile} must follow.

        @param limit: the most files and directories the home may hold,
            or C{None} for no limit (the file is counted all the same, for
            the other sessions of the home).
        @return: whether it fits (and was counted in L{filesInFlight}).
        """
        with self.lock:
            if limit is not None and self.files + self.filesInFlight >= limit:
                return False
            self.filesInFlight += 1
            return True

    def settleFile(self, made):
        """
        End a L{reserveFile}.

        @param made: whether the file or directory was made (it then joins
            L{files}).
        """
        with self.lock:
            self.changes += 1
            self.filesInFlight -= 1
            if made and self.files is not None:
                self.files += 1

    def invalidate(self):
        """
        Mark L{used} and L{files} as L{stale}: the next L{current}
        measures again, and until then the old values stand (a
        measurement under way is kept, but does not make them fresh).
        """
        self.stale = True
        self.generation += 1
