"""
L{ftpkit.shells.quotaledger}, L{ftpkit.shells.sharedquota} and
L{ftpkit.deploy.quotaledgers}: a home's quota usage shared by the
processes of one server.
"""

import errno
import os
import struct
import subprocess
import sys

from twisted.trial import unittest

from ftpkit.deploy.quotaledgers import LedgerDirectory
from ftpkit.errors import InsufficientStorage
from ftpkit.shells import sharedquota
from ftpkit.shells.quotaledger import Ledger
from ftpkit.shells.quotas import Footprint, QuotaUsage
from ftpkit.shells.sharedquota import (
    GRANT,
    LEDGERS_VARIABLE,
    HomeUsages,
    SharedQuotaUsage,
    quotaUsage,
)
from tests.scratch import scratchDirectory
from tests.syncrun import syncRun

_HOLDER = """
import sys
from ftpkit.shells.quotaledger import Ledger
ledger = Ledger(sys.argv[1])
ledger.reserveBytes(int(sys.argv[2]), None)
ledger.reserveFile(None)
print(ledger.slot, flush=True)
sys.stdin.read()
"""
"""A process taking a slot, with bytes and a file in flight until it ends."""


class OtherProcess:
    """
    Another process holding a ledger's slot with bytes in flight.
    """

    def __init__(self, testCase, path, size):
        """
        @param testCase: the running test (which ends the process).
        @param path: the ledger.
        @param size: the bytes it has in flight.
        """
        here = os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))))
        self.process = subprocess.Popen(
            [sys.executable, "-c", _HOLDER, path, str(size)], cwd=here,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": here})
        self.slot = int(self.process.stdout.readline())
        testCase.addCleanup(self.die)

    def die(self):
        """
        End it, its bytes still in flight (as a worker killed mid-upload).
        """
        if self.process.poll() is None:
            self.process.stdin.close()
            self.process.wait()
            self.process.stdout.close()


class LedgerTests(unittest.TestCase):
    """
    L{Ledger}.
    """

    def setUp(self):
        self.path = os.path.join(scratchDirectory(self), "ledger")

    def ledger(self):
        """
        @return: a L{Ledger} of C{self.path}, closed when the test ends.
        """
        ledger = Ledger(self.path)
        self.addCleanup(ledger.close)
        return ledger

    def test_measured(self):
        """
        A new ledger is to be measured; once measured, it is fresh and
        holds the measurement.
        """
        ledger = self.ledger()
        state = ledger.state()
        self.assertEqual((state.fresh, state.measured), (False, False))
        ledger.measured(state.generation, 10, 2)
        state = ledger.state()
        self.assertEqual((state.fresh, state.measured, state.used,
                          state.files), (True, True, 10, 2))

    def test_invalidate(self):
        """
        After L{Ledger.invalidate}, the ledger is to be measured again; a
        measurement begun before is kept but not fresh.
        """
        ledger = self.ledger()
        ledger.measured(ledger.state().generation, 10, 2)
        before = ledger.state().generation
        ledger.invalidate()
        ledger.measured(before, 20, 3)
        state = ledger.state()
        self.assertEqual((state.fresh, state.measured, state.used),
                         (False, True, 20))
        ledger.measured(state.generation, 30, 3)
        self.assertTrue(ledger.state().fresh)

    def test_adjust(self):
        """
        L{Ledger.adjust} is ignored until measured, counted afterwards,
        and never goes below zero.
        """
        ledger = self.ledger()
        ledger.adjust(5, 1)
        ledger.measured(ledger.state().generation, 10, 2)
        ledger.adjust(5, 1)
        state = ledger.state()
        self.assertEqual((state.used, state.files), (15, 3))
        ledger.adjust(-100, -100)
        state = ledger.state()
        self.assertEqual((state.used, state.files), (0, 0))

    def test_reserveBytes(self):
        """
        Bytes fit while the bytes stored and in flight stay within the
        limit; released, they leave room again. Without a limit, they
        are counted all the same.
        """
        ledger = self.ledger()
        ledger.measured(ledger.state().generation, 10, 0)
        self.assertTrue(ledger.reserveBytes(60, 100))
        self.assertFalse(ledger.reserveBytes(31, 100))
        self.assertTrue(ledger.reserveBytes(30, 100))
        self.assertEqual(ledger.state().inFlight, 90)
        ledger.releaseBytes(90)
        self.assertTrue(ledger.reserveBytes(90, None))
        self.assertEqual(ledger.state().inFlight, 90)

    def test_reserveFile(self):
        """
        A file fits while the files stored and in flight leave room; a
        settled one joins the files stored if it was made.
        """
        ledger = self.ledger()
        ledger.measured(ledger.state().generation, 0, 1)
        self.assertTrue(ledger.reserveFile(3))
        self.assertFalse(ledger.reserveFile(2))
        ledger.settleFile(made=True)
        self.assertTrue(ledger.reserveFile(3))
        ledger.settleFile(made=False)
        state = ledger.state()
        self.assertEqual((state.files, state.filesInFlight), (2, 0))

    def test_manySlots(self):
        """
        The slots of every process count, however many took one before.
        """
        ledger = self.ledger()
        with open(self.path, "r+b") as f:
            f.seek(32 + 16 * 200)
            f.write(struct.pack("<2q", 7, 1))
        state = ledger.state()
        self.assertEqual((state.inFlight, state.filesInFlight), (7, 1))

    def test_otherProcessCounts(self):
        """
        The bytes and files another process has in flight count; its
        slot is not taken.
        """
        other = OtherProcess(self, self.path, 60)
        ledger = self.ledger()
        self.assertNotEqual(ledger.slot, other.slot)
        ledger.measured(ledger.state().generation, 10, 1)
        state = ledger.state()
        self.assertEqual((state.inFlight, state.filesInFlight), (60, 1))
        self.assertFalse(ledger.reserveBytes(31, 100))
        self.assertFalse(ledger.reserveFile(2))
        self.assertEqual(ledger.state().inFlight, 60)

    def test_deadProcessCleared(self):
        """
        What a process that died had in flight is cleared when it would
        refuse bytes or a file, and the home is to be measured again (its
        cut uploads may have left bytes).
        """
        other = OtherProcess(self, self.path, 60)
        ledger = self.ledger()
        ledger.measured(ledger.state().generation, 10, 1)
        other.die()
        self.assertEqual(ledger.state().inFlight, 60)
        self.assertTrue(ledger.reserveBytes(31, 100))
        state = ledger.state()
        self.assertEqual((state.inFlight, state.filesInFlight, state.fresh),
                         (31, 0, False))

    def test_deadProcessSlotTaken(self):
        """
        A process opening the ledger takes the slot of one that died,
        clearing it, and the home is to be measured again.
        """
        other = OtherProcess(self, self.path, 60)
        first = Ledger(self.path)
        first.measured(first.state().generation, 10, 1)
        first.close()
        other.die()
        ledger = self.ledger()
        self.assertEqual(ledger.slot, min(first.slot, other.slot))
        state = ledger.state()
        self.assertEqual((state.inFlight, state.fresh), (0, False))


class SharedQuotaUsageTests(unittest.TestCase):
    """
    L{SharedQuotaUsage} and L{quotaUsage}.
    """

    def setUp(self):
        self.directory = scratchDirectory(self)
        self.ledger = Ledger(os.path.join(self.directory, "ledger"))
        self.addCleanup(self.ledger.close)
        self.measures = []

    def usage(self):
        """
        @return: a L{SharedQuotaUsage} of C{self.ledger}, measuring 10
            bytes and 2 files (counted in C{self.measures}).
        """
        def measure():
            self.measures.append(1)
            return Footprint(10, 2)
        return SharedQuotaUsage(measure, self.ledger, run=syncRun)

    def test_measuredOnce(self):
        """
        The first usage to need the counts measures; another finds them
        in the ledger.
        """
        first, second = self.usage(), self.usage()
        self.assertEqual(self.successResultOf(first.current()), 10)
        self.assertEqual(self.successResultOf(second.current()), 10)
        self.assertEqual((second.used, second.files), (10, 2))
        self.assertEqual(len(self.measures), 1)

    def test_measurementNotKept(self):
        """
        A measurement the ledger cannot keep (its file system failing)
        fails its waiters, and the next call measures again: they waited
        forever, and so did every later one.
        """
        def failing(generation, used, files):
            raise OSError(errno.ENOSPC, "No space left on device")
        self.ledger.measured = failing
        usage = self.usage()
        self.failureResultOf(usage.current(), InsufficientStorage)
        self.failureResultOf(usage.current(), InsufficientStorage)
        self.assertEqual(len(self.measures), 2)

    def test_invalidateShared(self):
        """
        L{SharedQuotaUsage.invalidate} has every usage measure again.
        """
        first, second = self.usage(), self.usage()
        self.successResultOf(first.current())
        first.invalidate()
        self.successResultOf(second.current())
        self.assertEqual(len(self.measures), 2)

    def test_bytesShared(self):
        """
        The bytes one usage has in flight count in another's
        L{SharedQuotaUsage.reserveBytes}; committed (adjusted) they stay
        counted; the bytes downloads hold count too.
        """
        first, second = self.usage(), self.usage()
        self.successResultOf(first.current())
        self.successResultOf(second.current())
        self.assertTrue(first.reserveBytes(80, 100))
        self.assertEqual(second.occupied(), 90)
        self.assertFalse(second.reserveBytes(11, 100))
        first.adjust(80)
        first.releaseBytes(80)
        self.assertEqual((first.inFlight, second.occupied()), (0, 90))
        self.assertTrue(second.reserveBytes(10, 100))
        second.releaseBytes(10)
        second.reads.opened(("f",), 5)
        second.reads.left(("f",))
        self.assertFalse(second.reserveBytes(6, 100))

    def test_grant(self):
        """
        Where they fit, L{GRANT} bytes more than needed are taken from the
        ledger, and the next bytes come out of them without asking (this
        usage's L{SharedQuotaUsage.occupied} leaves them out); what is
        held past L{GRANT} is given back, and all once nothing is in
        flight.
        """
        usage = self.usage()
        self.successResultOf(usage.current())
        self.assertTrue(usage.reserveBytes(10, None))
        self.assertEqual(self.ledger.state().inFlight, 10 + GRANT)
        self.assertEqual(usage.occupied(), 20)
        self.assertTrue(usage.reserveBytes(GRANT, None))
        self.assertEqual(self.ledger.state().inFlight, 10 + GRANT)
        self.assertTrue(usage.reserveBytes(GRANT, None))
        self.assertEqual(self.ledger.state().inFlight, 10 + 3 * GRANT)
        usage.releaseBytes(2 * GRANT)
        self.assertEqual(self.ledger.state().inFlight, 10 + GRANT)
        usage.releaseBytes(10)
        self.assertEqual((usage.inFlight, self.ledger.state().inFlight),
                         (0, 0))

    def test_grantUnderLargerLimit(self):
        """
        Bytes granted under a limit do not serve a call with a smaller
        one: the ledger decides it.
        """
        first, second = self.usage(), self.usage()
        self.successResultOf(first.current())
        self.assertTrue(first.reserveBytes(10, 10 * GRANT))
        self.assertTrue(second.reserveBytes(GRANT - 20, None))
        self.assertFalse(first.reserveBytes(10, GRANT))

    def test_filesShared(self):
        """
        The files one usage is making count in another's
        L{SharedQuotaUsage.reserveFile}; made, they join the files stored.
        """
        first, second = self.usage(), self.usage()
        self.successResultOf(first.current())
        self.assertTrue(first.reserveFile(3))
        self.assertFalse(second.reserveFile(3))
        first.settleFile(made=True)
        self.assertEqual(self.ledger.state().files, 3)
        self.assertEqual(first.filesInFlight, 0)

    def test_quotaUsage(self):
        """
        L{quotaUsage} gives a L{SharedQuotaUsage} when the environment
        names a directory of ledgers, one ledger per home, and a
        L{QuotaUsage} otherwise.
        """
        environ = {LEDGERS_VARIABLE: self.directory}
        usage = quotaUsage("/home/a", lambda: 0, environ=environ)
        self.assertIsInstance(usage, SharedQuotaUsage)
        again = quotaUsage("/home/a", lambda: 0, environ=environ)
        other = quotaUsage("/home/b", lambda: 0, environ=environ)
        for each in (usage, other):
            self.addCleanup(each._ledger.close)
            self.addCleanup(sharedquota._ledgers.pop, each._ledger.path)
        self.assertIs(again._ledger, usage._ledger)
        self.assertNotEqual(other._ledger.path, usage._ledger.path)
        self.assertIs(type(quotaUsage("/home/a", lambda: 0, environ={})), QuotaUsage)

    def test_oneUsageAHome(self):
        """
        Without ledgers, L{quotaUsage} gives every caller (every realm of
        the process) the one L{QuotaUsage} of a home while it is in use,
        and another home its own.
        """
        usage = quotaUsage("/home/one", lambda: 0, environ={})
        self.assertIs(quotaUsage("/home/one", lambda: 1, environ={}), usage)
        self.assertIsNot(quotaUsage("/home/two", lambda: 0, environ={}),
                         usage)


class LedgerDirectoryTests(unittest.TestCase):
    """
    L{LedgerDirectory}.
    """

    def test_namedAndRemoved(self):
        """
        Started, the directory is made private and named in the
        environment; stopped, it is removed, and its name too.
        """
        environ = {}
        directory = LedgerDirectory(environ)
        self.assertEqual(environ, {})
        directory.startService()
        self.assertEqual(environ[LEDGERS_VARIABLE], directory.path)
        self.assertEqual(os.stat(directory.path).st_mode & 0o777, 0o700)
        directory.stopService()
        self.assertEqual(environ, {})
        self.assertFalse(os.path.exists(directory.path))


class HomeUsagesTests(unittest.SynchronousTestCase):
    """
    L{HomeUsages}: one usage a home, measured again after a reload.
    """

    def test_keptUntilReload(self):
        """
        A usage kept for a home is found again, alone, until the users'
        generation changes; then every usage kept is invalidated.
        """
        generation = [1]
        usages = HomeUsages(lambda: generation[0])
        self.assertIsNone(usages.find("/a"))
        a = usages.keep("/a", QuotaUsage(lambda: Footprint(5, 1)))
        self.assertIs(usages.find("/a"), a)
        self.assertIsNone(usages.find("/b"))
        self.assertTrue(a.stale)
        a.stale = False
        self.assertIs(usages.find("/a"), a)
        self.assertFalse(a.stale)
        generation[0] = 2
        self.assertIs(usages.find("/a"), a)
        self.assertTrue(a.stale)
