"""
Resource exhaustion over real loopback sockets: floods of passive
requests, and transfers broken every way (reset, ABOR, QUIT) while data
moves, leave no descriptor, listener, session or temporary file behind.
A session's small downloads one after another share its rate limit,
rather than each starting with a fresh burst (L{SessionRateTests},
L{SessionLimitTests}).
"""

import os
import random
import re
import socket

from twisted.internet import defer, reactor
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.control.handlers import transferring
from ftpkit.data.movers import pacing
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.protocol.sessionstate import Session
from tests.ftpclient import ftplibLogin
from tests.polling import waitFor
from tests.rawclient import RawClient
from tests.resets import hardClose
from tests.scratch import scratchDirectory, writeLocal

BIG = 8 << 20


def openDescriptors():
    """
    @return: how many sockets and regular files this process (the
        server's, in the test) has open; pipes are left out (the splice
        mover keeps a bounded pool of them for the next uploads).
    """
    count = 0
    for name in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink("/proc/self/fd/" + name)
        except OSError:
            continue
        if not target.startswith(("pipe:", "anon_inode:")):
            count += 1
    return count


class ExhaustionTests(LoopbackServerMixin, unittest.TestCase):
    """
    A server on a directory with one large file.
    """

    timeout = 120

    def setUp(self):
        if not os.path.isdir("/proc/self/fd"):
            raise unittest.SkipTest("needs /proc/self/fd to count descriptors")
        self.root = scratchDirectory(self)
        with open(os.path.join(self.root, "big.bin"), "wb") as f:
            f.write(os.urandom(BIG))
        self.server = self.startServer(FilesystemRealm(self.root),
                                       ServerConfig(loginFailureDelay=0))

    def leftovers(self):
        """
        @return: names of upload files in the root that are not in place
            (temporary files; partial uploads kept for a resume are the
            design and are not counted).
        """
        return [name for name in os.listdir(self.root)
                if name.startswith(".ftpkit-upload")]

    @defer.inlineCallbacks
    def test_passiveFlood(self):
        """
        Thousands of PASV and EPSV without connecting hold one listener:
        the session's descriptors do not grow with them, and are all
        released when it ends.
        """
        before = openDescriptors()

        def flood():
            client = RawClient(self.server.port)
            try:
                client.login()
                ports = set()
                for number in range(1500):
                    reply = client.command("PASV" if number % 2 else "EPSV")
                    ports.add(re.sub(rb"[^0-9,|]", b"", reply)[-12:])
                # A later turn: the last listener closed is freed.
                client.command("NOOP")
                during = openDescriptors()
                client.command("QUIT")
                return during, ports
            finally:
                client.close()

        during, ports = yield self.inThread(flood)
        # The client's socket and the server's end of it, one listener
        # (each PASV closes the last, unused, which is not pooled), and
        # the descriptor of /dev/null a process opens once to hold the
        # numbers of closed sockets (ftpkit.data.descriptors).
        self.assertLessEqual(during - before, 4)
        yield waitFor(lambda: self.server.factory.sessions == 0)
        # (That /dev/null descriptor stays.)
        ended = yield waitFor(lambda: openDescriptors() <= before + 1)
        self.assertTrue(ended, (before, openDescriptors()))

    @defer.inlineCallbacks
    def test_brokenTransfers(self):
        """
        Downloads and uploads broken by a reset, by C{ABOR} then a reset,
        and by C{QUIT} mid-transfer, over and over: every session ends,
        no temporary upload file stays, and the descriptors come back.
        """
        rng = random.Random(7)

        def attack(rounds):
            for number in range(rounds):
                client = RawClient(self.server.port)
                client.login()
                client.command("TYPE I")
                reply = client.command("EPSV")
                port = int(re.search(rb"\|\|\|(\d+)\|", reply).group(1))
                data = socket.create_connection(("127.0.0.1", port),
                                                timeout=20)
                upload = number % 2
                client.sock.sendall(b"STOR up%d.bin\r\n" % number if upload
                                    else b"RETR big.bin\r\n")
                client.reply()
                try:
                    if upload:
                        data.sendall(os.urandom(rng.randint(1, 1 << 20)))
                    else:
                        data.recv(rng.randint(1, 1 << 16))
                except OSError:
                    pass
                how = number % 3
                if how == 1:
                    client.sock.sendall(b"ABOR\r\n")
                elif how == 2:
                    client.sock.sendall(b"QUIT\r\n")
                hardClose(data)
                hardClose(client.sock)

        # A first round makes what the server keeps for good (a listener
        # in the pool, a descriptor in reserve for running out).
        yield self.inThread(attack, 6)
        yield waitFor(lambda: self.server.factory.sessions == 0)
        before = openDescriptors()
        yield self.inThread(attack, 30)
        ended = yield waitFor(lambda: self.server.factory.sessions == 0)
        self.assertTrue(ended, self.server.factory.sessions)
        yield waitFor(lambda: not self.leftovers())
        self.assertEqual(self.leftovers(), [])
        released = yield waitFor(lambda: openDescriptors() <= before + 1)
        self.assertTrue(released, (before, openDescriptors()))
        self.assertEqual(dict(self.server.factory.sessionsByHost), {})

    def liveSessionObjects(self, before=()):
        """
        @param before: objects that existed before the sessions looked at
            (another test's, in the same process, that something else
            holds): not counted.
        @return: how many sessions, session values, data channels and
            data connections exist now, by class name (those the cyclic
            collector would not free too).
        """
        import gc

        from ftpkit.data.channel import DataChannel
        from ftpkit.data.connection import DataConnection
        from ftpkit.data.leanconnection import LeanConnection
        from ftpkit.server import FTPProtocol

        kinds = (FTPProtocol, Session, DataChannel, DataConnection,
                 LeanConnection)
        gc.collect()
        live = {}
        existing = {id(each) for each in before}
        for each in gc.get_objects():
            if isinstance(each, kinds) and id(each) not in existing:
                name = type(each).__name__
                live[name] = live.get(name, 0) + 1
        return live

    @defer.inlineCallbacks
    def test_sessionsFreed(self):
        """
        Sessions of every ending, from many client addresses (a download
        read to its end, one cut by C{ABOR}, one reset mid-transfer, an
        upload reset mid-transfer, a passive listener never connected, a
        failed login), leave none of
        their objects alive once they ended: nothing kept per session or
        per address holds one.
        """
        def session(number):
            client = RawClient(self.server.port,
                               source="127.0.%d.%d" % (number // 200 + 1,
                                                       number % 200 + 1))
            how = (number + 3) % 6  # the last: a download reset
            if how == 5:
                client.login()
                data = socket.create_connection(
                    ("127.0.0.1", client.epsvPort()), timeout=20,
                    source_address=client.source)
                client.command("STOR up%d.bin" % number)
                data.sendall(b"x" * 65536)
                hardClose(data)
                hardClose(client.sock)
                return
            if how == 4:
                client.login(password="wrong")
                client.close()
                return
            client.login()
            client.command("TYPE I")
            if how == 0:
                client.transfer("RETR big.bin")
            elif how == 3:
                client.epsvPort()
            else:
                data = socket.create_connection(
                    ("127.0.0.1", client.epsvPort()), timeout=20,
                    source_address=client.source)
                client.command("RETR big.bin")
                data.recv(65536)
                if how == 1:
                    client.sock.sendall(b"ABOR\r\n")
                    hardClose(data)
                    client.reply()
                    client.command("QUIT")
                else:
                    hardClose(data)
            hardClose(client.sock)

        def sessions():
            for number in range(48):
                session(number)

        import gc

        from ftpkit.server import FTPProtocol
        gc.collect()
        before = [each for each in gc.get_objects()
                  if isinstance(each, (FTPProtocol, Session))]
        yield self.inThread(sessions)
        ended = yield waitFor(lambda: self.server.factory.sessions == 0)
        self.assertTrue(ended, self.server.factory.sessions)
        freed = yield waitFor(lambda: not self.liveSessionObjects(before))
        self.assertTrue(freed, self.liveSessionObjects(before))


def _fileInfos():
    """
    @return: the L{FileInfo} objects alive now (once the cyclic collector
        freed those it could).
    """
    import gc

    from ftpkit.fileinfo import FileInfo

    gc.collect()
    return [each for each in gc.get_objects() if isinstance(each, FileInfo)]


class StalledListingTests(LoopbackServerMixin, unittest.TestCase):
    """
    A listing whose client does not read it holds a batch of its
    entries, not the whole directory (a client stalling listings of a
    large directory on many sessions made the server hold them all, and
    an idle disk thread kept the last one it read).
    """

    timeout = 120

    ENTRIES = 10000

    def setUp(self):
        self.root = os.path.abspath(self.mktemp())
        directory = os.path.join(self.root, "many")
        os.makedirs(directory)
        for number in range(self.ENTRIES):
            with open(os.path.join(directory, "file-%05d" % number), "wb"):
                pass
        self.server = self.startServer(FilesystemRealm(self.root),
                                       ServerConfig(loginFailureDelay=0))
        self.countEntriesFromNow()

    def countEntriesFromNow(self):
        """
        Leave the L{FileInfo} objects alive now out of L{liveEntries}
        (kept until the test ends, so that none's id is another's).
        """
        self.entriesBefore = _fileInfos()
        self.addCleanup(delattr, self, "entriesBefore")

    def liveEntries(self):
        """
        @return: how many L{FileInfo} objects exist now that did not when
            the test started (L{entriesBefore}): those of another test, in
            the same process, that something else holds are not counted.
        """
        existing = {id(each) for each in self.entriesBefore}
        return sum(1 for each in _fileInfos() if id(each) not in existing)

    def stalled(self, command):
        """
        Send C{command} on a session whose data connection reads nothing.

        @return: a Deferred firing with the first reply.
        """
        client = RawClient(self.server.port)
        self.addCleanup(client.close)
        client.login()
        reply = client.command("EPSV")
        port = int(re.search(rb"\|\|\|(\d+)\|", reply).group(1))
        data = socket.socket()
        data.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.addCleanup(data.close)
        data.connect(("127.0.0.1", port))
        return client.command(command)

    @defer.inlineCallbacks
    def test_patternEntriesFreedWhileSending(self):
        """
        While C{LIST} of a pattern matching a large directory's entries
        waits for a client that reads nothing, the entries are freed: they
        were all described before the first was sent, and held until the
        transfer ended (a hundred bytes an entry, on each session a client
        stalls so).
        """
        first = yield self.inThread(self.stalled, b"LIST many/file-*")
        self.assertTrue(first.startswith(b"150"), first)
        self.assertLess(self.liveEntries(), self.ENTRIES // 4)

    @defer.inlineCallbacks
    def test_namesFreedWhileSending(self):
        """
        While C{NLST} of a large directory, or of a pattern matching its
        entries, waits for a client that reads nothing, the server holds a
        batch or two of names, not all of them: the names were read and
        formatted in one piece, held until the transfer ended.
        """
        import tracemalloc

        directory = os.path.join(self.root, "long")
        os.mkdir(directory)
        stem = "n" * 100
        for number in range(self.ENTRIES):
            with open(os.path.join(directory, "%s%05d" % (stem, number)),
                      "wb"):
                pass
        everything = self.ENTRIES * len("long/%s00000\r\n" % stem)
        for command in (b"NLST long", b"NLST long/n*"):
            tracemalloc.start()
            try:
                first = yield self.inThread(self.stalled, command)
                self.assertTrue(first.startswith(b"150"), first)
                held = tracemalloc.get_traced_memory()[0]
            finally:
                tracemalloc.stop()
            self.assertLess(held, everything // 2, command)

    @defer.inlineCallbacks
    def test_entriesFreedWhileSending(self):
        """
        While C{LIST}, C{MLSD} and C{NLST} of a large directory wait for
        a client that reads nothing, the entries are freed.
        """
        for command in (b"LIST many", b"MLSD many", b"NLST many"):
            client = yield self.inThread(RawClient, self.server.port)
            self.addCleanup(client.close)

            def stall(client, command):
                client.login()
                reply = client.command("EPSV")
                port = int(re.search(rb"\|\|\|(\d+)\|", reply).group(1))
                data = socket.socket()
                data.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                data.connect(("127.0.0.1", port))
                return data, client.command(command)

            data, first = yield self.inThread(stall, client, command)
            self.addCleanup(data.close)
            self.assertTrue(first.startswith(b"150"), first)
            self.assertLess(self.liveEntries(), self.ENTRIES // 4)


class MemoryStalledListingTests(StalledListingTests):
    """
    L{StalledListingTests} on the memory realm: its listings were the
    whole directory described (a C{FileInfo} an entry, and a sorted copy
    of its names for C{NLST}), held while the client read nothing, on
    every session that stalled one: memory outside the realm's bound.
    """

    def setUp(self):
        from ftpkit.auth.realms import MemoryRealm

        realm = MemoryRealm()
        realm.shell.makeDirectory(("many",))
        for number in range(self.ENTRIES):
            realm.shell.makeDirectory(("many", "file-%05d" % number))
        self.server = self.startServer(realm, ServerConfig(loginFailureDelay=0))
        self.countEntriesFromNow()

    def test_namesFreedWhileSending(self):
        """
        Not here (it writes a directory on disk; the memory realm's names
        are the tree's own): skipped, so that a report says it did not run.
        """

    test_namesFreedWhileSending.skip = "a disk tree's test"


class _FrozenClock:
    """
    The time the session's rate limits see: it stands still until the
    test lets it go.

    @ivar now: the time given while it stands still, seconds; C{None}
        once it goes as the reactor's does.
    """

    def __init__(self):
        self.now = reactor.seconds()

    def seconds(self):
        """
        @return: L{now}, or the reactor's time once let go.
        """
        return reactor.seconds() if self.now is None else self.now


class SessionRateTests(LoopbackServerMixin, unittest.TestCase):
    """
    A session's small downloads one after another share its rate: the
    server's rate limits see a clock that stands still, so a download
    after one that took the session's whole burst may send nothing until
    the test moves that clock on.
    """

    RATE = 40960
    """The session's rate: its burst is 4 KiB, the smallest."""

    def setUp(self):
        self.root = self.mktemp()
        os.makedirs(self.root)
        burst = pacing.RateLimit(self.RATE, _FrozenClock()).burst
        self.files = {}
        for name in ("a", "b"):
            self.files[name] = os.urandom(burst)
            writeLocal(os.path.join(self.root, name), self.files[name])
        self.clock = _FrozenClock()

        def frozen(incoming, config, serverWide, clock, *args):
            return pacing.pacerFor(incoming, config, serverWide,
                                   self.clock, *args)
        self.patch(transferring, "pacerFor", frozen)
        self.server = self.startServer(
            FilesystemRealm(self.root),
            ServerConfig(maxDownloadRate=self.RATE))

    def downloads(self):
        """
        Download C{a}, which takes the burst; then start C{b} and ask
        C{STAT} once its C{150} came; then let the clock go and read C{b}
        (blocking).

        @return: C{(C{a}, the two replies after C{b}'s 150, C{b})}.
        """
        ftp = ftplibLogin(self, self.server.port, binary=True)
        first = []
        ftp.retrbinary("RETR a", first.append)
        connection = ftp.transfercmd("RETR b")
        ftp.putcmd("STAT")
        during = ftp.getmultiline()

        def letGo():
            self.clock.now = None
        reactor.callFromThread(letGo)
        second = []
        while True:
            data = connection.recv(65536)
            if not data:
                break
            second.append(data)
        connection.close()
        replies = [during, ftp.getmultiline()]
        ftp.quit()
        return b"".join(first), replies, b"".join(second)

    async def test_secondWaits(self):
        """
        C{b} sends nothing while the clock stands still (its C{STAT} says
        0 bytes, before its C{226}), then comes whole.
        """
        first, replies, second = await self.inThread(self.downloads)
        self.assertEqual(first, self.files["a"])
        self.assertEqual(second, self.files["b"])
        self.assertTrue(replies[0].startswith("213"), replies)
        self.assertIn(": 0 bytes transferred", replies[0])
        self.assertTrue(replies[1].startswith("226"), replies)


class SessionLimitTests(unittest.SynchronousTestCase):
    """
    L{pacing.pacerFor} given a session's limits.
    """

    def setUp(self):
        self.clock = _FrozenClock()
        self.config = ServerConfig(maxDownloadRate=SessionRateTests.RATE)
        self.wide = pacing.serverLimits(None, self.clock)

    def pacer(self, session):
        """
        @param session: a L{Session} whose C{rateLimits} its first
            transfer made (a C{dict}).
        @return: the pacer of a download of C{session}.
        """
        return pacing.pacerFor(False, self.config, self.wide, self.clock,
                               (None, None), session.rateLimits)

    def test_sharedBySession(self):
        """
        A session's second download gets nothing of a burst its first
        took, at the same moment; a new session (as after C{REIN}) has a
        limit of its own.
        """
        session = Session(rateLimits={})
        first = self.pacer(session)
        self.assertEqual(first.allowance(1 << 20), 4096)
        first.spent(4096)
        self.assertEqual(self.pacer(session).allowance(1 << 20), 0)
        self.assertEqual(self.pacer(Session(rateLimits={})).allowance(1 << 20), 4096)

    def test_userRate(self):
        """
        A rate other than the one the session's limit has (a user's own)
        gets a limit of its own.
        """
        session = Session(rateLimits={})
        self.pacer(session).spent(4096)
        pacer = pacing.pacerFor(False, self.config, self.wide, self.clock,
                                (8192, None), session.rateLimits)
        self.assertEqual(pacer.allowance(1 << 20), 4096)
        self.assertEqual(session.rateLimits[False].rate, 8192)
