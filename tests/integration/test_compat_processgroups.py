"""
Tests for L{ftpkit.compat.processgroups}: the private names of Twisted's
process transport it reads are still there (a failure here names what
changed and means ftpkit.compat must be updated), and each fallback
holds.
"""

import os
import sys

from twisted.internet import defer, process, reactor
from twisted.internet.protocol import ProcessProtocol
from twisted.trial import unittest

from ftpkit.compat import processgroups
from tests.compatchanges import changed


class _Output(ProcessProtocol):
    """
    Fires C{ended} with what the process wrote once it ended.
    """

    def __init__(self):
        self.output = b""
        self.ended = defer.Deferred()

    def outReceived(self, data):
        self.output += data

    def processEnded(self, reason):
        self.ended.callback(self.output)


_IDS = "import os; print(os.getsid(0), os.getpgid(0), os.getpid())"
"""A program printing its session, its process group and itself."""


class PrivateNamesTests(unittest.SynchronousTestCase):
    """
    The installed Twisted still has what L{processgroups} reads.
    """

    def test_names(self):
        """
        Twisted starts a process with C{posix_spawnp} through the names
        L{processgroups.SessionProcess} uses again, and forks one through
        C{_setupChild}.
        """
        self.assertTrue(processgroups.sessionsAvailable(),
                        changed("process.Process._setupChild or _fork"))
        self.assertTrue(processgroups._spawnAvailable(),
                        changed("process.Process._trySpawnInsteadOfFork, "
                                "_listOpenFDs, _getFileActions, _PS_CLOSE "
                                "or _PS_DUP2"))
        self.assertIn("_trySpawnInsteadOfFork",
                      vars(process.Process),
                      changed("process.Process._trySpawnInsteadOfFork"))


class SpawnTests(unittest.TestCase):
    """
    L{processgroups.spawnInSession} starts a process leading a session of
    its own, however it starts it.
    """

    def spawn(self):
        """
        @return: a Deferred firing with C{(session, group, pid)} of a
            process started, its transport's pid and the group returned.
        """
        output = _Output()
        transport, group = processgroups.spawnInSession(
            reactor, output, sys.executable, [sys.executable, "-c", _IDS],
            dict(os.environ))
        pid = transport.pid
        return output.ended.addCallback(
            lambda out: ([int(n) for n in out.split()], pid, group))

    @defer.inlineCallbacks
    def test_spawned(self):
        """
        Started with C{posix_spawnp}, the process leads its session and
        group, whose id is returned.
        """
        ids, pid, group = yield self.spawn()
        self.assertEqual(ids, [pid] * 3)
        self.assertEqual(group, pid)

    @defer.inlineCallbacks
    def test_forked(self):
        """
        Without the C{posix_spawnp} names, the process is forked, in a
        session of its own all the same.
        """
        self.patch(processgroups, "_spawnAvailable", lambda: False)
        ids, pid, group = yield self.spawn()
        self.assertEqual(ids, [pid] * 3)
        self.assertEqual(group, pid)

    @defer.inlineCallbacks
    def test_noSessions(self):
        """
        Without C{_setupChild}, the process starts as Twisted starts it,
        in this process's session, and no group is returned.
        """
        self.patch(processgroups, "sessionsAvailable", lambda: False)
        ids, pid, group = yield self.spawn()
        self.assertEqual(ids, [os.getsid(0), os.getpgid(0), pid])
        self.assertIsNone(group)
