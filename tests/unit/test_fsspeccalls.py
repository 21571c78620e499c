"""
Tests for L{ftpkit.shells.fsspeccalls}: the lock of a filesystem that
takes one call at a time belongs to that filesystem object alone.

fsspec makes two filesystems built with the same arguments equal (and of
one hash), though each has its own connection: two SFTP realms on one
server, or one SFTP realm's filesystem and one made again after it,
shared a lock, so that a call stuck on one connection held up every call
on the other (in the tests, one process's SFTP realms all took one lock).
"""

import gc
import threading

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.blocking import BlockingPool
from ftpkit.errors import LocalError, NoSuchFile, StorageTimedOut
from ftpkit.shells.fsspeccalls import PooledCalls, lockFor, translateError
from ftpkit.shells.fsspecgeneric import Backend

try:
    from fsspec.spec import AbstractFileSystem
except ImportError:
    AbstractFileSystem = None


def twoEqualFilesystems():
    """
    @return: two fsspec filesystems made with the same arguments: equal,
        but not the same object (as two SFTP connections to one server).
    """
    class Store(AbstractFileSystem):
        protocol = "ftpkitequal"

    first = Store(host="h", skip_instance_cache=True)
    second = Store(host="h", skip_instance_cache=True)
    return first, second


class LockForTests(unittest.TestCase):
    """
    L{lockFor} gives each filesystem object its own lock.
    """

    if AbstractFileSystem is None:
        skip = "fsspec is not installed"

    def test_equalFilesystemsLockApart(self):
        """
        Two equal filesystems that are not the same object get two locks.
        """
        first, second = twoEqualFilesystems()
        self.assertEqual(first, second)
        self.assertIsNot(lockFor(first), lockFor(second))

    def test_sameFilesystemSameLock(self):
        """
        Every shell on one filesystem gets its one lock.
        """
        first, _ = twoEqualFilesystems()
        self.assertIs(lockFor(first), lockFor(first))

    def test_lockOutlivesAnEqualFilesystem(self):
        """
        A filesystem's lock stays its own when an equal one made before it
        is collected: keyed by equality in a weak dictionary, the entry
        went with the first, and the next shell on the second got a new
        lock while the earlier shells held the old one, so two calls ran
        at once on the second's one connection (SFTP calls waiting for
        each other's replies for ever, seen in a loaded test run).
        """
        first, second = twoEqualFilesystems()
        lockFor(first)
        before = lockFor(second)
        del first
        gc.collect()
        self.assertIs(lockFor(second), before)

    def test_stuckCallHoldsUpOnlyItsFilesystem(self):
        """
        While a call on one filesystem is stuck, holding its lock, a call
        on another equal filesystem runs.
        """
        first, second = twoEqualFilesystems()
        pool = BlockingPool("test-fsspeccalls", size=2)
        self.addCleanup(pool.stop)
        release, entered = threading.Event(), threading.Event()
        finished = threading.Event()
        self.addCleanup(release.set)

        def stuck():
            entered.set()
            # Bounded only so that, with the lock shared, the other call
            # runs afterwards and the test fails instead of hanging.
            release.wait(10)
            finished.set()

        def meanwhile():
            stillStuck = not finished.is_set()
            release.set()
            return stillStuck

        stuckCall = PooledCalls(pool, lockFor(first)).call(stuck)
        entered.wait(60)
        other = PooledCalls(pool, lockFor(second)).call(meanwhile)
        other.addCallback(self.assertTrue)
        return defer.gatherResults([other, stuckCall], consumeErrors=True)


class TranslateTimeoutTests(unittest.TestCase):
    """
    A store's library giving up on an answer becomes L{StorageTimedOut}
    (C{451 Storage did not answer in time}), not a local error.
    """

    def test_timeouts(self):
        """
        Python's and asyncio's timeouts, and botocore's connect and read
        timeouts (an S3 request bounded by C{deadline=}).
        """
        errors = [TimeoutError(), OSError(110, "Connection timed out")]
        try:
            from botocore.exceptions import ConnectTimeoutError, ReadTimeoutError
        except ImportError:
            pass
        else:
            errors += [ReadTimeoutError(endpoint_url="http://h"),
                       ConnectTimeoutError(endpoint_url="http://h")]
        for error in errors:
            self.assertIsInstance(translateError(error), StorageTimedOut,
                                  repr(error))

    def test_otherFailures(self):
        """
        Other failures stay what they were.
        """
        translated = translateError(ValueError("x"))
        self.assertIsInstance(translated, LocalError)
        self.assertNotIsInstance(translated, StorageTimedOut)

    def test_sendingGaveUp(self):
        """
        A botocore connection error over the system's C{ETIMEDOUT} (a
        request's body unacknowledged past the deadline, its connection
        ended) is a timeout; over another failure it is not.
        """
        try:
            from botocore.exceptions import EndpointConnectionError
        except ImportError:
            raise unittest.SkipTest("botocore is not installed")
        gaveUp = EndpointConnectionError(
            endpoint_url="http://h", error=OSError(110, "Connection timed out"))
        refused = EndpointConnectionError(
            endpoint_url="http://h", error=OSError(111, "Connection refused"))
        self.assertIsInstance(translateError(gaveUp), StorageTimedOut)
        self.assertNotIsInstance(translateError(refused), StorageTimedOut)
        try:
            try:
                raise OSError(110, "Connection timed out")
            except OSError:
                raise EndpointConnectionError(endpoint_url="http://h")
        except EndpointConnectionError as e:
            self.assertIsInstance(translateError(e), StorageTimedOut)


class _Calls(PooledCalls):
    """
    L{PooledCalls} of a store without a deadline of ftpkit's own (as
    S3's), on a generic backend.
    """

    fs = None
    backend = Backend("test")


class LibraryTimeoutTests(unittest.TestCase):
    """
    On a store without a deadline of ftpkit's own (S3: botocore bounds
    each request), a call its library gave up on finds the store silent:
    the calls made before it, waiting for a thread of the pool, fail at
    once when their turn comes (they tried the store for another
    deadline each before session 56: about two deadlines past the
    pool's threads); the next call made tries the store.
    """

    def setUp(self):
        self.pool = BlockingPool("test-fsspeccalls", size=1)
        self.addCleanup(self.pool.stop)
        self.calls = _Calls(self.pool, None)
        self.ran = []

    def record(self, name):
        """
        @return: a call that notes C{name} as run.
        """
        return lambda: self.ran.append(name) or name

    async def test_waitingFailAtOnce(self):
        """
        The call queued behind one that timed out fails at once without
        running; a call made after runs.
        """
        entered, release = threading.Event(), threading.Event()
        self.addCleanup(release.set)

        def timingOut():
            entered.set()
            release.wait(10)
            raise TimeoutError()
        first = self.calls.call(timingOut)
        entered.wait(10)
        second = self.calls.call(self.record("second"))
        release.set()
        outcomes = await defer.DeferredList([first, second],
                                            consumeErrors=True)
        for succeeded, failure in outcomes:
            self.assertFalse(succeeded)
            failure.trap(StorageTimedOut)
        self.assertEqual(self.ran, [])
        self.assertEqual(await self.calls.call(self.record("third")),
                         "third")
        self.assertEqual(await self.calls.call(self.record("fourth")),
                         "fourth")

    async def test_otherFailuresNot(self):
        """
        A call that failed otherwise (the store answered, with a
        refusal) leaves the calls waiting to run.
        """
        entered, release = threading.Event(), threading.Event()
        self.addCleanup(release.set)

        def refused():
            entered.set()
            release.wait(10)
            raise FileNotFoundError()
        first = self.calls.call(refused)
        entered.wait(10)
        second = self.calls.call(self.record("second"))
        release.set()
        await self.assertFailure(first, NoSuchFile)
        self.assertEqual(await second, "second")
