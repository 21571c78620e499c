"""
How the fsspec shells make their blocking calls (L{PooledCalls}): the
pool of threads they run in (L{defaultPool}), the lock of a filesystem
that takes one call at a time (L{lockFor}), what tells the calls waiting
on it that its store is silent (L{outageFor}), and the reply a failed
call becomes (L{translateError}).
"""

import errno
import sys
import threading
import weakref

from twisted.logger import Logger

from ftpkit.blocking import BlockingPool, CallCount
from ftpkit.errors import (
    AlreadyExists,
    FTPError,
    InvalidPath,
    IsDirectory,
    LocalError,
    NoSuchFile,
    NotDirectory,
    PermissionDenied,
    StorageTimedOut,
    StorageUnavailable,
    fromOSError,
)
from ftpkit.protocol.numbertext import decimalValue
from ftpkit.shells.calldeadline import CallWatch, DeadlineTimer, closeAside
from ftpkit.shells.storeoutage import Outage

_log = Logger(namespace="ftpkit.shells.fsspecshell")
"""The failed calls' lines keep the namespace they had when the shell's
module made its calls itself."""

POOL_SIZE = 16
"""Blocking calls running at once, for all the shells of one pool: a
store across the network spends most of a call waiting."""


def translateError(error):
    """
    Turn what an fsspec call raised into the L{FTPError} to reply with.

    @param error: the exception.
    @return: an L{FTPError}; an unexpected exception becomes
        L{LocalError}, its text never shown to the client.
    """
    if isinstance(error, FTPError):
        return error
    if timedOut(error):
        return StorageTimedOut()
    if isinstance(error, FileNotFoundError):
        return NoSuchFile()
    if isinstance(error, FileExistsError):
        return AlreadyExists()
    if isinstance(error, IsADirectoryError):
        return IsDirectory()
    if isinstance(error, NotADirectoryError):
        return NotDirectory()
    if isinstance(error, PermissionError):
        return PermissionDenied()
    if isinstance(error, UnicodeError):
        return InvalidPath()
    if isinstance(error, OSError) and error.errno is not None:
        return fromOSError(error)
    return LocalError()


def timedOut(error):
    """
    @param error: what a store's call raised.
    @return: whether it is the store's library giving up on an answer
        that did not come (a socket's or asyncio's timeout, botocore's
        connect and read timeouts: an S3 request bounded by C{deadline=},
        L{ftpkit.shells.storageconfig.boundS3Requests}), which the client
        is told as L{StorageTimedOut}; so is a request whose connection
        the system ended for want of acknowledgements (C{ETIMEDOUT}).
    """
    if isinstance(error, TimeoutError):
        return True
    botocore = sys.modules.get("botocore.exceptions")
    if botocore is None:
        return False
    if isinstance(error, (botocore.ReadTimeoutError,
                          botocore.ConnectTimeoutError)):
        return True
    return isinstance(error, botocore.ConnectionError) and _systemGaveUp(error)


def _systemGaveUp(error):
    """
    @param error: a botocore C{ConnectionError}.
    @return: whether the error under it is the system's C{ETIMEDOUT}: a
        request's body unacknowledged past the deadline
        (L{ftpkit.shells.storageconfig.sendingWithin}), its connection
        ended.
    """
    kwargs = getattr(error, "kwargs", None)
    cause = kwargs.get("error") if isinstance(kwargs, dict) else None
    if cause is None:
        cause = error.__context__
    return isinstance(cause, OSError) and cause.errno == errno.ETIMEDOUT


_DEFAULT_POOL = None

_LOCKS = {}
_OUTAGES = {}
_LOCKS_LOCK = threading.Lock()


def lockFor(fs):
    """
    @param fs: a filesystem whose calls must be made one at a time.
    @return: the lock every shell on C{fs} holds while calling it: this
        filesystem object's own, kept by its identity (fsspec makes two
        filesystems built with the same arguments equal, each with a
        connection of its own: sharing a lock, a call stuck on one
        connection held up every call on the other), until it is
        collected.
    """
    return _ownOf(fs, _LOCKS, threading.Lock)


def outageFor(fs):
    """
    @param fs: a filesystem whose calls have a deadline.
    @return: the L{ftpkit.shells.storeoutage.Outage} every shell on C{fs}
        shares, kept by its identity as L{lockFor}'s lock.
    """
    return _ownOf(fs, _OUTAGES, Outage)


def _ownOf(fs, table, make):
    """
    @param fs: a filesystem.
    @param table: the C{dict} from a filesystem's id to its thing.
    @param make: makes a thing, without arguments.
    @return: the thing of this filesystem object in C{table}, made at the
        first call, dropped once C{fs} is collected.
    """
    key = id(fs)
    with _LOCKS_LOCK:
        own = table.get(key)
        if own is None:
            own = table[key] = make()
            weakref.finalize(fs, _forget, table, key)
        return own


def _forget(table, key):
    """
    Drop the lock (or outage) of a filesystem collected (its id may come
    again): without L{_LOCKS_LOCK}, as the collection may run in
    L{_ownOf} holding it; the pop is atomic, and done before the id can
    be reused.

    @param table: the C{dict} it is in.
    @param key: the id it had.
    """
    table.pop(key, None)


def defaultPool():
    """
    @return: the L{BlockingPool} shells use unless given one.
    """
    global _DEFAULT_POOL
    if _DEFAULT_POOL is None:
        _DEFAULT_POOL = BlockingPool("ftpkit-fsspec", size=POOL_SIZE)
    return _DEFAULT_POOL


class PooledCalls:
    """
    A shell's blocking calls, each made in a thread of a pool (holding
    the lock of a backend that takes one call at a time), their errors
    translated (L{translateError}), their time bounded where the backend
    has a deadline (L{ftpkit.shells.calldeadline}), and counted so that
    L{whenIdle} can tell when none is running. A subclass has C{backend} (its
    L{ftpkit.shells.fsspecgeneric.Backend}) and C{fs} (its filesystem),
    which an unexpected failure's repair and an expired call's
    abandonment use.
    """

    def __init__(self, pool, lock, callDeadline=None, clock=None,
                 outage=None):
        """
        @param pool: the L{ftpkit.blocking.BlockingPool} to make the calls
            in.
        @param lock: the lock to hold during each call, or C{None}.
        @param callDeadline: the seconds a call may run
            (L{ftpkit.shells.fsspecgeneric.Backend.callDeadline}), or C{None}.
        @param clock: the L{twisted.internet.interfaces.IReactorTime} that
            times the calls' deadlines; the global reactor when omitted.
        @param outage: the L{ftpkit.shells.storeoutage.Outage} of the
            filesystem, shared by every shell on it (L{outageFor}); one of
            these calls' own when omitted.
        """
        self._pool = pool
        self._lock = lock
        self._callDeadline = callDeadline
        self._clock = clock
        self._calls = CallCount()
        self._outage = outage if outage is not None else Outage()

    def call(self, function, *args):
        """
        Run a blocking call in the pool (holding the lock of a backend that
        takes one call at a time), errors translated by
        L{translateError}; where the backend has a deadline, a call that
        got no answer from the store that long fails with
        L{StorageTimedOut}, its connection abandoned
        (L{ftpkit.shells.calldeadline}), and the calls made before the
        store was found silent fail at once with it
        (L{ftpkit.shells.storeoutage}). Where it has none (S3, whose
        library bounds each request itself), a call its library gave up
        on (L{timedOut}) finds the store silent all the same
        (L{_libraryGaveUp}).

        @param function: a blocking callable.
        @param args: its arguments.
        @return: a Deferred with the call's result.
        """
        self._calls.started()
        seconds = self._callDeadline
        if seconds is None:
            running = self._pool.run(self._guarded, function, args, None,
                                     self._outage.ticket())
        else:
            if self._clock is None:
                from twisted.internet import reactor

                self._clock = reactor
            watch = CallWatch(self._clock, self._outage.ticket())
            running = self._pool.run(self._guarded, function, args, watch)
            timer = DeadlineTimer(
                self._clock, watch, seconds,
                lambda: self._abandon(function, seconds, watch),
                self._progress)
            running.addBoth(timer.cancel)
        return running.addBoth(self._calls.ended)

    def whenIdle(self):
        """
        @return: a Deferred firing once none of this shell's calls is
            running (at once if none is).
        """
        return self._calls.whenIdle()

    def _guarded(self, function, args, watch, ticket=None):
        """
        Make one call (in a pool thread), holding the lock if there is
        one: its failure is dealt with (L{_made}) before the next call
        on the filesystem starts.
        """
        if self._lock is None:
            return self._made(function, args, watch, ticket)
        with self._lock:
            return self._made(function, args, watch, ticket)

    def _made(self, function, args, watch, ticket=None):
        """
        Make one call, timed by C{watch} (or C{None}: its
        L{ftpkit.shells.storeoutage.Outage} ticket is then C{ticket}),
        its error translated; a connection that an expired call before
        abandoned is opened again first
        (L{ftpkit.shells.fsspecgeneric.Backend.recover}); a call made
        before the store was found silent fails at once.
        """
        try:
            if watch is None:
                if self._outage.refuses(ticket):
                    raise StorageTimedOut()
                result = function(*args)
                self._outage.answered()
                return result
            if self._outage.refuses(watch.ticket):
                raise StorageTimedOut()
            watch.start(self._progress())
            try:
                self._reconnected()
                result = function(*args)
                self._outage.answered()
                return result
            finally:
                if watch.end():
                    # Whatever it gave, it failed for the abandonment,
                    # which the next call waits for (the lock held).
                    watch.waitDropped(self._callDeadline)
                    raise StorageTimedOut()
        except StorageTimedOut:
            raise
        except Exception as error:  # noqa: BLE001 (every failure becomes a reply)
            translated = translateError(error)
            if not isinstance(translated, LocalError):
                # The store answered, if with a refusal.
                self._outage.answered()
            if isinstance(translated, LocalError) and translated is not error:
                translated = self._repaired(function, error, translated)
            if watch is None and isinstance(translated, StorageTimedOut):
                self._libraryGaveUp(function)
            raise translated from None

    def _libraryGaveUp(self, function):
        """
        A call of a store without a deadline of ftpkit's own timed out in
        its library (botocore's read or connect timeout, bounded by the
        realm's C{deadline=}): the calls made before it that wait for a
        thread of the pool fail at once when their turn comes
        (L{ftpkit.shells.storeoutage.Outage.silent}), rather than each
        try the store for another deadline; the first call answered
        ends that. One line per outage. Before session 56, past the
        pool's L{POOL_SIZE} threads an S3 call waited about two
        deadlines on a stalled store.

        @param function: the call.
        """
        if self._outage.silent():
            _log.warn(
                "{backend} storage call {call} timed out: the calls"
                " waiting fail (451), the next call tries again",
                backend=self.backend.label,
                call=getattr(function, "__name__", "?"))

    def _progress(self):
        """
        @return: the backend's progress mark of the filesystem
            (L{ftpkit.shells.fsspecgeneric.Backend.progress}); C{None} when
            it cannot be read (the connection being opened again).
        """
        try:
            return self.backend.progress(self.fs)
        except Exception:  # noqa: BLE001 (then no progress is seen)
            return None

    def _abandon(self, function, seconds, watch):
        """
        A call got no answer within its deadline (seen in the reactor
        thread): let the backend drop its connection, which frees the
        call's thread (L{ftpkit.shells.fsspecgeneric.Backend.abandon}), in
        a thread of its own (L{ftpkit.shells.calldeadline.closeAside}),
        since dropping it may block; the call, once ended, waits for the
        drop before the next call starts
        (L{ftpkit.shells.calldeadline.CallWatch.waitDropped}).

        @param function: the call.
        @param seconds: its deadline.
        @param watch: its L{CallWatch}.
        """
        if self._outage.silent():
            _log.warn(
                "{backend} storage call {call} got no answer in {seconds}"
                " s: its connection is dropped, the calls waiting fail"
                " (451), the next call opens another",
                backend=self.backend.label,
                call=getattr(function, "__name__", "?"),
                seconds=decimalValue(seconds))

        def drop():
            try:
                self.backend.abandon(self.fs)
            finally:
                watch.dropped.set()

        closeAside(drop, self.backend.label)

    def _reconnected(self):
        """
        Before a call where the backend has a deadline: open the
        connection again where it is gone
        (L{ftpkit.shells.fsspecgeneric.Backend.recover}).

        @raise StorageUnavailable: when it cannot be (one log line); it
            was a failed call's C{451} and two lines, the second from a
            second attempt to connect.
        @raise StorageTimedOut: when opening it took past the deadline.
        """
        try:
            self.backend.recover(self.fs)
        except StorageTimedOut:
            self._openingSilent()
            raise
        except FTPError:
            raise
        except Exception as error:  # noqa: BLE001 (it becomes a reply)
            if timedOut(error):
                self._openingSilent()
                raise StorageTimedOut() from None
            _log.error("{backend} storage cannot be reached: {kind}: {why}",
                       backend=self.backend.label, kind=type(error).__name__,
                       why=str(error)[:200])
            raise StorageUnavailable() from None

    def _openingSilent(self):
        """
        Opening a connection again took past the deadline: the calls
        waiting fail at once (L{ftpkit.shells.storeoutage.Outage.silent});
        one line per outage.
        """
        if self._outage.silent():
            _log.warn(
                "{backend} storage did not answer a new connection in"
                " {seconds} s: the calls waiting fail (451), the next call"
                " tries again",
                backend=self.backend.label,
                seconds=decimalValue(self._callDeadline))

    def _repaired(self, function, error, translated):
        """
        A call failed unexpectedly: let the backend repair the filesystem
        (in the pool thread, holding the lock if there is one), and log
        one line of both.

        @param function: the call.
        @param error: what it raised.
        @param translated: the L{LocalError} it is (L{translateError}): a
            L{StorageTimedOut} for a library's timeout.
        @return: the error to reply with: L{StorageUnavailable} where the
            repair found the store cannot be reached (its connection gone
            and not opened again: the next call tries again),
            L{StorageTimedOut} where opening it took past the deadline,
            else C{translated}.
        """
        call = getattr(function, "__name__", "?")
        try:
            self.backend.recover(self.fs)
        except Exception as failure:  # noqa: BLE001 (it becomes a reply)
            _log.error(
                "{backend} storage call {call} failed: {kind}: {why};"
                " the storage cannot be reached: {reason}: {because}",
                backend=self.backend.label, call=call,
                kind=type(error).__name__, why=str(error)[:200],
                reason=type(failure).__name__, because=str(failure)[:200])
            if isinstance(failure, StorageTimedOut) or timedOut(failure):
                self._outage.silent()
                return StorageTimedOut()
            return StorageUnavailable()
        _log.error("{backend} storage call {call} failed: {kind}: {why}",
                   backend=self.backend.label, call=call,
                   kind=type(error).__name__, why=str(error)[:200])
        return translated
