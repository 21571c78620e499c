"""
Attacks on listings and wildcard patterns.

Floods of slow shell work over real loopback sockets: many sessions of
one client address listing a huge directory, or checksumming a big file,
while a client at another address (C{127.0.0.2}) wants the same kind of
work done. The other client is served in turn (L{ftpkit.control.turns}),
not after the whole flood. Assertions are on the order things end in.

Patterns are matched off the reactor thread (L{PatternThreadTests}),
C{STAT} of names holding characters other line splitters break at cannot
forge listing lines (L{StatNamesTests}), and C{MLST} of a symbolic link
the server does not follow costs no listing of its whole directory
(L{LinkEntryTests}).
"""

import ftplib
import os
import threading

from twisted.internet import defer, reactor
from twisted.python import threadable
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.protocol import globbing
from ftpkit.shells.diskdirectories import DirectoryCalls
from ftpkit.shells.diskthreads import LISTINGS, diskThreadsFor, laneRunners
from tests.ftpclient import ftplibLogin
from tests.polling import waitFor
from tests.scratch import scratchDirectory

ENTRIES = 10000
"""Entries of the huge directory: ten batches of a streamed listing."""

BIG = 256 << 20
"""Size of the (sparse) file whose checksum the flood asks for."""

VICTIM = "127.0.0.2"
"""The other client's address (the server listens on 127.0.0.1)."""


def inOwnThread(function, *args):
    """
    Run a blocking client in a thread of its own (Twisted's pool has too
    few for a flood and its victim at once).

    @return: a Deferred firing, in the reactor thread, with its result.
    """
    result = defer.Deferred()

    def run():
        try:
            value = function(*args)
        except BaseException as e:
            reactor.callFromThread(result.errback, e)
        else:
            reactor.callFromThread(result.callback, value)

    threading.Thread(target=run, daemon=True).start()
    return result


class CountingLane:
    """
    Counts the jobs at the listings lane (queued or running): installed
    on the lane before the sessions log in, since a shell takes the
    lane's C{run} when it is made.

    @ivar atLane: jobs submitted and not yet finished.
    @ivar most: the most there ever were at once.
    """

    def __init__(self, testCase):
        self.atLane = 0
        self.most = 0
        self._pool = diskThreadsFor(reactor, LISTINGS)
        self._run = self._pool.run
        # Shells take the lanes' run once per reactor: the shells made
        # from now on must take this one, and those after the test the
        # lane's own again.
        testCase.addCleanup(laneRunners.cache_clear)
        self._pool.run = self.run
        testCase.addCleanup(delattr, self._pool, "run")
        laneRunners.cache_clear()

    def run(self, function, *args):
        self.atLane += 1
        self.most = max(self.most, self.atLane)
        return self._run(function, *args).addBoth(self._finished)

    def _finished(self, result):
        self.atLane -= 1
        return result


class FloodTests(LoopbackServerMixin, unittest.TestCase):
    """
    A server on 127.0.0.1 with a huge directory and a big file.
    """

    timeout = 120
    attackers = 10

    def setUp(self):
        self.root = os.path.abspath(self.mktemp())
        huge = os.path.join(self.root, "huge")
        os.makedirs(huge)
        for number in range(ENTRIES):
            os.close(os.open(os.path.join(huge, "f%05d" % number),
                             os.O_CREAT | os.O_WRONLY, 0o644))
        with open(os.path.join(self.root, "big.bin"), "wb") as f:
            f.truncate(BIG)
        with open(os.path.join(self.root, "small.txt"), "wb") as f:
            f.write(b"small\n")
        os.makedirs(os.path.join(self.root, "few", "one"))
        self.lane = CountingLane(self)
        self.server = self.startServer(FilesystemRealm(self.root),
                                       ServerConfig(loginFailureDelay=0))
        self.ended = []

    def client(self, source="127.0.0.1"):
        """
        @return: a logged-in C{ftplib.FTP} connected from C{source}
            (its data connections too).
        """
        ftp = ftplib.FTP(source_address=(source, 0), timeout=60)
        ftp.connect("127.0.0.1", self.server.port)
        ftp.login("alice", "secret")
        self.addCleanup(ftp.close)
        return ftp

    def busyAttackers(self):
        """
        @return: how many sessions from 127.0.0.1 have a command running.
        """
        return sum(1 for session in self.server.factory.openSessions
                   if session.peer == "127.0.0.1" and not session.isIdle())

    def note(self, who):
        """
        @return: a callback noting, in the reactor thread, that C{who}
            was answered.
        """
        def noted(result):
            self.ended.append(who)
            return result
        return noted

    @defer.inlineCallbacks
    def flood(self, run, count):
        """
        Start C{count} attacker sessions each doing C{run(ftp)} (blocking),
        and wait until every one has a command running.

        @return: a Deferred firing with the Deferreds of their ends.
        """
        clients = []
        for _ in range(count):
            clients.append((yield inOwnThread(self.client)))
        ends = [inOwnThread(run, ftp).addCallback(self.note("attacker"))
                for ftp in clients]
        self.assertTrue((yield waitFor(
            lambda: self.busyAttackers() == count)))
        return ends

    @defer.inlineCallbacks
    def test_victimListsDuringListingFlood(self):
        """
        Ten sessions of one address list a huge directory; a client at
        another address listing the same directory afterwards gets its
        whole listing while most of the flood's are still being read
        (first come, first served, it came after them all).
        """
        ends = yield self.flood(
            lambda ftp: ftp.retrlines("LIST huge", lambda _: None),
            self.attackers)
        victim = yield inOwnThread(self.client, VICTIM)
        lines = []
        yield inOwnThread(victim.retrlines, "LIST huge", lines.append)
        attackersDone = self.ended.count("attacker")
        yield defer.gatherResults(ends)
        self.assertEqual(len(lines), ENTRIES)
        self.assertLessEqual(attackersDone, self.attackers // 2,
                             "the victim's listing ended after %d of the"
                             " flood's %d" % (attackersDone, self.attackers))

    @defer.inlineCallbacks
    def test_laneHoldsOneJobPerAddress(self):
        """
        However many sessions an address floods with, and whatever they
        pipeline (here three C{STAT}s each of the huge directory, refused
        with C{550}), the listings lane holds at most one job of each
        address: with two addresses, never more than two jobs; and the
        other address's C{STAT} is answered before most of the flood's.
        """
        def pipelined(ftp):
            ftp.sock.sendall(b"STAT huge\r\n" * 3)
            return [ftp.getmultiline()[:3] for _ in range(3)]

        ends = yield self.flood(pipelined, self.attackers)
        victim = yield inOwnThread(self.client, VICTIM)
        reply = yield inOwnThread(victim.sendcmd, "STAT few")
        attackersDone = self.ended.count("attacker")
        replies = yield defer.gatherResults(ends)
        self.assertIn("one", reply)
        self.assertEqual(replies, [["550"] * 3] * self.attackers)
        self.assertLessEqual(self.lane.most, 2)
        self.assertLessEqual(attackersDone, self.attackers // 2)

    @defer.inlineCallbacks
    def test_victimHashesDuringHashFlood(self):
        """
        Four sessions of one address ask for the checksum of a big file
        (the checksums' lane has two threads); the checksum a client at
        another address then asks for, of a small file, comes back before
        all but at most one of the flood's.
        """
        ends = yield self.flood(lambda ftp: ftp.sendcmd("HASH big.bin"), 4)
        victim = yield inOwnThread(self.client, VICTIM)
        reply = yield inOwnThread(victim.sendcmd, "HASH small.txt")
        attackersDone = self.ended.count("attacker")
        yield defer.gatherResults(ends)
        self.assertTrue(reply.startswith("213"), reply)
        self.assertLessEqual(attackersDone, 1)

    @defer.inlineCallbacks
    def test_abortedListingsDoNotPileUp(self):
        """
        A session starting listings of the huge directory and aborting
        each (C{ABOR}) at once leaves at most one job of its address at
        the listings lane: a batch still being read when its listing was
        aborted holds the address's turn, and the next listing waits for
        it instead of queueing beside it.
        """
        def abortLoop(ftp):
            for _ in range(20):
                data = ftp.transfercmd("LIST huge")
                data.recv(1000)
                ftp.abort()
                ftp.getresp()
                data.close()
            return ftp.sendcmd("NOOP")

        attacker = yield inOwnThread(self.client)
        reply = yield inOwnThread(abortLoop, attacker)
        self.assertTrue(reply.startswith("200"), reply)
        self.assertEqual(self.lane.most, 1)


class PatternThreadTests(LoopbackServerMixin, unittest.TestCase):
    """
    A server on a directory with a few files; every L{globbing.matchNames}
    call is recorded with whether it ran in the reactor thread.
    """

    timeout = 60

    def setUp(self):
        self.root = scratchDirectory(self)
        for name in ("a.txt", "b.txt", "c.bin"):
            with open(os.path.join(self.root, name), "wb") as f:
                f.write(b"x")
        self.server = self.startServer(
            FilesystemRealm(self.root), ServerConfig(loginFailureDelay=0),
            users={"alice": "secret"}, anonymous=False)
        self.inReactor = []
        matchNames = globbing.matchNames

        def recording(pattern, names):
            self.inReactor.append(threadable.isInIOThread())
            return matchNames(pattern, names)

        self.patch(globbing, "matchNames", recording)

    @defer.inlineCallbacks
    def test_matchedInThread(self):
        """
        C{STAT}, C{NLST} and C{LIST} with a pattern each match it in a
        thread, and list what it matches.
        """
        def client():
            ftp = ftplibLogin(self, self.server.port)
            stat = ftp.sendcmd("STAT *.txt")
            names = ftp.nlst("*.txt")
            lines = []
            ftp.retrlines("LIST ?.bin", lines.append)
            ftp.close()
            return stat, names, lines

        stat, names, lines = yield self.inThread(client)
        self.assertIn(" a.txt\n", stat)
        self.assertIn(" b.txt\n", stat)
        self.assertNotIn("c.bin", stat)
        self.assertEqual(names, ["a.txt", "b.txt"])
        self.assertEqual([line.split()[-1] for line in lines], ["c.bin"])
        self.assertEqual(self.inReactor, [False] * 3)


FORGED = "-rw-r--r--   1 u        g               9 Jan  1 00:00 forged"
"""A listing line, as a name's tail would forge it."""


BREAKS = ["\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028",
          "\u2029"]
"""What C{str.splitlines} breaks a line at, beside CR and LF."""


class StatNamesTests(LoopbackServerMixin, unittest.TestCase):
    """
    C{STAT} of a directory whose names hold characters other line
    splitters break at.
    """

    timeout = 60

    def setUp(self):
        self.root = scratchDirectory(self)
        for index, mark in enumerate(BREAKS):
            name = "%d%s%s" % (index, mark, FORGED)
            with open(os.path.join(self.root, name), "wb"):
                pass
        self.server = self.startServer(FilesystemRealm(self.root),
                                       ServerConfig())

    async def test_oneLineAName(self):
        """
        Each name is on one line of C{STAT}'s reply, whole: no line
        of the reply is a forged entry. Its control characters (all but
        U+2028 and U+2029) are sent as C{"?"}.
        """
        def run():
            ftp = ftplibLogin(self, self.server.port)
            try:
                return ftp.sendcmd("STAT .")
            finally:
                ftp.close()
        reply = await self.inThread(run)
        entries = reply.split("\n")[1:-1]
        self.assertEqual(
            sorted(line.split(None, 8)[-1] for line in entries),
            sorted("%d%s%s" % (index, mark if mark > "\x85" else "?",
                               FORGED)
                   for index, mark in enumerate(BREAKS)))


class LinkEntryTests(LoopbackServerMixin, unittest.TestCase):
    """
    C{MLST} of a symbolic link the server does not follow (leading
    nowhere, or out of the root), in a directory of many entries.

    Found by the thirty-fourth sweep: such an C{MLST} listed the link's
    whole directory to find its entry (L{IFTPShell.list}: a C{stat} and a
    description of each entry), outside the client's turns at listings.
    In a directory of 100,000 entries each took 4.1 s of the server's
    work for a 20-byte command line; four sessions pipelining it held
    another client's C{NOOP} up to 0.43 s. The link alone is described
    now (L{ftpkit.interfaces.IFTPShellListSome}).
    """

    timeout = 60

    def setUp(self):
        self.root = scratchDirectory(self)
        big = os.path.join(self.root, "big")
        os.mkdir(big)
        for index in range(200):
            with open(os.path.join(big, "f%03d" % index), "wb"):
                pass
        os.symlink("nowhere", os.path.join(big, "gone"))
        os.symlink(os.path.dirname(self.root), os.path.join(big, "far"))
        self.server = self.startServer(FilesystemRealm(self.root),
                                       ServerConfig())
        self.listed = []
        wholeList = DirectoryCalls.list

        def recording(shell, path):
            self.listed.append(tuple(path))
            return wholeList(shell, path)

        self.patch(DirectoryCalls, "list", recording)

    async def test_linkAlone(self):
        """
        C{MLST} of each link describes it as a link, and lists no
        directory whole.
        """
        def run():
            ftp = ftplibLogin(self, self.server.port)
            try:
                return [ftp.sendcmd("MLST big/" + name)
                        for name in ("gone", "far")]
            finally:
                ftp.close()
        replies = await self.inThread(run)
        for reply, name in zip(replies, ("gone", "far")):
            self.assertTrue(reply.startswith("250-"), reply)
            self.assertIn("type=OS.unix=symlink;", reply)
            self.assertIn(" /big/%s\n" % name, reply)
        self.assertEqual(self.listed, [])
