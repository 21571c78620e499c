"""
Attacks on passive ports: one client address cannot take the whole
passive port range (each of its sessions held a listener, so with as many
sessions as C{--max-connections-per-ip} allows, it left other clients no
port), and strangers filling a port's queue cannot keep the client out. Each
C{PASV}/C{EPSV} takes one data connection: a second connection of the
client's address to the port is reset (L{PassiveExtraConnectionTests}).
"""

import os
import socket

from twisted.internet import defer
from twisted.internet.task import Clock
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.data.passiveshares import (
    PassiveShares,
    passiveCapNote,
    passiveLimit,
)
from ftpkit.data.theftalarm import TheftAlarm
from ftpkit.loopback import LoopbackServerMixin
from tests.attackhelpers import CLIENT_WAIT
from tests.polling import waitFor
from tests.rawclient import RawClient
from tests.scratch import scratchDirectory
from tests.serverprocess import freeRange
from tests.sockreads import readToEnd

RANGE = 10




class PassiveLimitTests(unittest.TestCase):
    """
    L{passiveLimit} and L{PassiveShares}.
    """

    def test_limit(self):
        """
        The configured share, never more than half a configured range, and
        at least one; without a range and a configured share, no limit.
        """
        self.assertIsNone(passiveLimit(None, None))
        self.assertEqual(passiveLimit(None, (1000, 1099)), 50)
        self.assertEqual(passiveLimit(8, None), 8)
        self.assertEqual(passiveLimit(8, (1000, 1099)), 8)
        self.assertEqual(passiveLimit(8, (1000, 1009)), 5)
        self.assertEqual(passiveLimit(8, (1000, 1000)), 1)

    def test_limitPerWorker(self):
        """
        Under C{--workers}, each worker allows its part of the share (at
        least one), so that all of them together stay within it.
        """
        self.assertEqual(passiveLimit(None, (1000, 1009), 2), 2)
        self.assertEqual(passiveLimit(None, (1000, 1099), 4), 12)
        self.assertEqual(passiveLimit(8, None, 2), 4)
        self.assertEqual(passiveLimit(1, (1000, 1099), 2), 1)
        self.assertIsNone(passiveLimit(None, None, 2))

    def test_capNote(self):
        """
        L{passiveCapNote} says what the share is held to: half of the
        range, and each worker's part under C{--workers}, even where that
        part is not less (one each, of a share of one between two
        workers, is two in all); nothing where the share is as given in
        one process.
        """
        self.assertIsNone(passiveCapNote(5, (1000, 1009)))
        self.assertIsNone(passiveCapNote(None, (1000, 1009), 2))
        self.assertEqual(
            passiveCapNote(4, None, 2),
            "--max-passive-per-ip 4 is shared among the 2 workers, each "
            "counting its own sessions' listeners: one client address "
            "holds at most 2 in each worker")
        self.assertEqual(
            passiveCapNote(1, (1000, 1099), 2),
            "--max-passive-per-ip 1 is shared among the 2 workers, each "
            "counting its own sessions' listeners: one client address "
            "holds at most 1 in each worker")

    def test_shares(self):
        """
        An address gets its share, then C{False}, until one is released;
        other addresses are counted apart.
        """
        shares = PassiveShares(2)
        self.assertEqual([shares.take("a") for _ in range(3)],
                         [True, True, False])
        self.assertTrue(shares.take("b"))
        shares.release("a")
        self.assertTrue(shares.take("a"))
        shares.release("a")
        shares.release("a")
        shares.release("b")
        self.assertEqual(shares.held, {})


class TheftAlarmTests(unittest.TestCase):
    """
    L{TheftAlarm} sounds for its duration after a stranger was refused.
    """

    def test_sounding(self):
        clock = Clock()
        alarm = TheftAlarm(clock, duration=10)
        self.assertFalse(alarm.sounding)
        alarm.sound()
        clock.advance(9)
        self.assertTrue(alarm.sounding)
        clock.advance(1)
        self.assertFalse(alarm.sounding)

    def test_lateWatch(self):
        """
        A listener still waiting after C{lateWatch} seconds is watched;
        one taken before is not; the timer runs only while one waits.
        """
        clock = Clock()
        alarm = TheftAlarm(clock, lateWatch=1)
        first, second, taken = _Listener(), _Listener(), _Listener()
        alarm.watchLater(first)
        clock.advance(0.5)
        alarm.watchLater(second)
        alarm.watchLater(taken)
        alarm.taken(taken)
        clock.advance(0.5)
        self.assertEqual((first.reading, second.reading), (True, False))
        clock.advance(0.5)
        self.assertEqual((second.reading, taken.reading), (True, False))
        self.assertEqual(clock.getDelayedCalls(), [])

    def test_lateWatchTimerLeftToRunOut(self):
        """
        Once every listener is taken, the timer is left to run out rather
        than cancelled (a session transferring file after file makes no
        timed call per file), and finds nothing to watch.
        """
        clock = Clock()
        alarm = TheftAlarm(clock, lateWatch=1)
        listeners = [_Listener() for _ in range(3)]
        for listener in listeners:
            alarm.watchLater(listener)
            alarm.taken(listener)
            clock.advance(0.1)
        self.assertEqual(len(clock.getDelayedCalls()), 1)
        clock.advance(1)
        self.assertEqual(clock.getDelayedCalls(), [])
        self.assertEqual([each.reading for each in listeners],
                         [False] * 3)

    def test_stopCancelsTimer(self):
        """
        Once the server stops listening (L{TheftAlarm.stop}), no timer is
        left once every listener is taken; after L{TheftAlarm.start}, the
        timer is left to run out again.
        """
        clock = Clock()
        alarm = TheftAlarm(clock, lateWatch=1)
        first, second = _Listener(), _Listener()
        alarm.watchLater(first)
        alarm.taken(first)
        alarm.stop()
        self.assertEqual(clock.getDelayedCalls(), [])
        alarm.watchLater(second)
        alarm.stop()
        self.assertEqual(len(clock.getDelayedCalls()), 1)
        alarm.taken(second)
        self.assertEqual(clock.getDelayedCalls(), [])
        alarm.start()
        alarm.watchLater(first)
        alarm.taken(first)
        self.assertEqual(len(clock.getDelayedCalls()), 1)

    def test_reusedListener(self):
        """
        A listener handed to L{TheftAlarm.watchLater} again (a pooled one,
        for its next session) waits from then on.
        """
        clock = Clock()
        alarm = TheftAlarm(clock, lateWatch=1)
        listener = _Listener()
        alarm.watchLater(listener)
        clock.advance(0.9)
        alarm.taken(listener)
        alarm.watchLater(listener)
        clock.advance(0.9)
        self.assertFalse(listener.reading)
        clock.advance(0.1)
        self.assertTrue(listener.reading)


class _Listener:
    """
    A passive listener, as far as L{TheftAlarm} uses it.
    """

    reading = False

    def startReading(self):
        self.reading = True


class PassiveShareTests(LoopbackServerMixin, unittest.TestCase):
    """
    A server with a ten-port passive range.
    """

    timeout = 60

    def setUp(self):
        root = scratchDirectory(self)
        self.range = freeRange(RANGE)
        self.server = self.startServer(
            FilesystemRealm(root),
            ServerConfig(loginFailureDelay=0, passivePorts=self.range))

    def sessions(self, count, source=None):
        """
        Log C{count} sessions in and send C{EPSV} on each (blocking).

        @return: C{(clients, replies)}.
        """
        clients, replies = [], []
        for _ in range(count):
            client = RawClient(self.server.port, source=source)
            clients.append(client)
            client.login()
            replies.append(client.command("EPSV")[:3])
        return clients, replies

    @defer.inlineCallbacks
    def test_oneAddressCannotTakeTheRange(self):
        """
        Ten sessions from one address, each with a waiting listener: five
        get one, the others C{425}; a PASV again on a session that holds
        one still works; another address still gets ports, and a session
        that ends gives its port back.
        """
        def attack():
            clients, replies = self.sessions(RANGE)
            try:
                again = [clients[0].command(verb)[:3]
                         for verb in ("PASV", "EPSV")]
                others, otherReplies = self.sessions(2, "127.0.0.2")
                clients.extend(others)
                clients.pop(0).command("QUIT")
                return replies, again, otherReplies
            finally:
                for client in clients:
                    client.close()

        replies, again, other = yield self.inThread(attack)
        self.assertEqual(replies, [b"229"] * 5 + [b"425"] * 5)
        self.assertEqual(again, [b"227", b"229"])
        self.assertEqual(other, [b"229", b"229"])
        yield waitFor(lambda: self.server.factory.sessions == 0)
        self.assertEqual(self.server.factory.passiveShares.held, {})

    @defer.inlineCallbacks
    def test_transferGivesShareBack(self):
        """
        A listener whose connection arrived no longer counts: one address
        runs transfers one after another on as many sessions as it likes.
        """
        def transfers():
            clients = []
            try:
                results = []
                for _ in range(RANGE):
                    client = RawClient(self.server.port)
                    clients.append(client)
                    client.login()
                    results.append(client.transfer("LIST")[2][:3])
                return results
            finally:
                for client in clients:
                    client.close()

        results = yield self.inThread(transfers)
        self.assertEqual(results, [b"226"] * RANGE)

    @defer.inlineCallbacks
    def test_refusalLogged(self):
        """
        The refusal names the address in the log.
        """
        from twisted.logger import globalLogPublisher
        logged = []
        globalLogPublisher.addObserver(logged.append)
        self.addCleanup(globalLogPublisher.removeObserver, logged.append)

        def attack():
            clients, replies = self.sessions(6)
            for client in clients:
                client.close()
            return replies

        replies = yield self.inThread(attack)
        self.assertEqual(replies[-1], b"425")
        self.assertTrue([event for event in logged
                         if "refused passive listener" in
                         event.get("log_format", "")])
        yield waitFor(lambda: self.server.factory.sessions == 0)


class NoRangeTests(LoopbackServerMixin, unittest.TestCase):
    """
    Without C{--passive-ports} and C{--max-passive-per-ip}, many sessions
    from one address (a benchmark, an office behind NAT, lftp's parallel
    mirror) each get a listener: the kernel's range is wide, and
    C{--max-connections-per-ip} already bounds one address.
    """

    timeout = 60

    @defer.inlineCallbacks
    def test_manySessionsOneAddress(self):
        """
        Twenty sessions from one address each hold a waiting listener.
        """
        root = scratchDirectory(self)
        server = self.startServer(FilesystemRealm(root),
                                  ServerConfig(loginFailureDelay=0))

        def sessions():
            clients = []
            try:
                replies = []
                for _ in range(20):
                    client = RawClient(server.port)
                    clients.append(client)
                    client.login()
                    replies.append(client.command("EPSV")[:3])
                return replies
            finally:
                for client in clients:
                    client.close()

        replies = yield self.inThread(sessions)
        self.assertEqual(replies, [b"229"] * 20)
        self.assertIsNone(server.factory.passiveShares)


DATA_TIMEOUT = 25
"""TheftFloodTests' server's data timeout (seconds)."""

CLIENT_TIMEOUT = 60
"""How long TheftFloodTests' client waits for a reply (seconds): past a
lost connection's C{425}."""

TRANSFER_ATTEMPTS = 3
"""How many times TheftFloodTests' client tries a transfer whose data
connection was lost."""


class TheftFloodTests(LoopbackServerMixin, unittest.TestCase):
    """
    A stranger filling a passive port's queue before the client connects.
    """

    timeout = 240

    def setUp(self):
        root = scratchDirectory(self)
        with open(os.path.join(root, "hello.txt"), "wb") as f:
            f.write(b"hello\n")
        # A listener waits DATA_TIMEOUT for its connection: long enough
        # for the kernel's connect retries (see retrieve), short enough
        # for the 425 of a lost connection to come within RawClient's.
        self.server = self.startServer(
            FilesystemRealm(root),
            ServerConfig(loginFailureDelay=0, dataTimeout=DATA_TIMEOUT))

    def flood(self, port, count):
        """
        Open C{count} connections from C{127.0.0.2} to C{port}, without
        waiting for them.

        @return: the sockets (closed with the test).
        """
        thieves = []
        for _ in range(count):
            thief = socket.socket()
            self.addCleanup(thief.close)
            thief.setblocking(False)
            thief.bind(("127.0.0.2", 0))
            try:
                thief.connect(("127.0.0.1", port))
            except BlockingIOError:
                pass
            thieves.append(thief)
        return thieves

    def retrieve(self, client, thieves):
        """
        C{EPSV}, let C{thieves} strangers connect to the port first, then
        connect and C{RETR hello.txt} (blocking).

        A connect that succeeds may still be lost: strangers' connections
        completing in the same burst as the client's (their retried SYNs
        come with its own) can fill the queue before its last ACK, which
        the kernel then drops; answered with a SYN cookie, the client's
        socket is connected, but the server never sees it. The server's
        C{425} says so once its data timeout runs out, and the client
        then tries again with a new C{EPSV}, as a real one would. A
        connect that fails (the queue stayed full) is not retried.

        @return: what arrived and the final reply, or the error.
        """
        port = client.epsvPort()
        self.flood(port, thieves)
        for _ in range(TRANSFER_ATTEMPTS):
            try:
                # Linux retries a dropped SYN after 1, 3, 7 and 15
                # seconds: 20 leaves a loaded machine the last of those.
                data = socket.create_connection(("127.0.0.1", port),
                                                timeout=20)
            except OSError as e:
                return repr(e)
            with data:
                first = client.command("RETR hello.txt")
                if not first.startswith(b"425"):
                    received = data.recv(100)
                    return first[:3], received, client.reply()[:3]
            port = client.epsvPort()
        return first

    @defer.inlineCallbacks
    def test_queueFilledByStrangers(self):
        """
        Once a stranger was refused on one session's port, a stranger
        filling the next session's passive queue (more connections than
        it holds, kept open) no longer keeps the client out: the
        listener, watched from the EPSV on, refuses them as they come.
        Left unwatched until the transfer command, the queue stayed full,
        the client's connect timed out, and the command never came.
        """
        def attack():
            client = RawClient(self.server.port, timeout=CLIENT_TIMEOUT)
            try:
                client.login()
                client.command("TYPE I")
                return (self.retrieve(client, 1),
                        self.retrieve(client, 64))
            finally:
                client.close()

        first, flooded = yield self.inThread(attack)
        self.assertEqual(first, (b"150", b"hello\n", b"226"))
        self.assertEqual(flooded, (b"150", b"hello\n", b"226"))

    @defer.inlineCallbacks
    def test_firstQueueFilledByStrangers(self):
        """
        Strangers filling a passive queue before any stranger was ever
        refused do not keep the client out either: a listener not taken
        within L{ftpkit.data.theftalarm.LATE_WATCH_SECONDS} is watched,
        its strangers are refused, and the client's retried connect gets
        in. Before, the listener stayed unwatched until a transfer command
        that the client, still connecting, never sent.
        """
        def attack():
            client = RawClient(self.server.port, timeout=CLIENT_TIMEOUT)
            try:
                client.login()
                client.command("TYPE I")
                return self.retrieve(client, 64)
            finally:
                client.close()

        flooded = yield self.inThread(attack)
        self.assertEqual(flooded, (b"150", b"hello\n", b"226"))
        self.assertTrue(self.server.factory.theftAlarm.sounding)


def connectionEnded(sock):
    """
    Tell whether the server ended a connection it never served.

    @param sock: a connected socket, with a timeout.
    @return: C{"reset"}, C{"closed"} (an end of file), C{"data"} (the
        server sent something) or C{"hanging"} (nothing before the
        timeout).
    """
    try:
        data = sock.recv(1)
    except ConnectionResetError:
        return "reset"
    except socket.timeout:
        return "hanging"
    return "data" if data else "closed"


def connectOrRefused(port):
    """
    Connect to C{port} on loopback.

    @return: the connected socket (with a timeout of L{CLIENT_WAIT}), or
        C{None} when the connection was refused.
    """
    sock = socket.socket()
    sock.settimeout(CLIENT_WAIT)
    try:
        sock.connect(("127.0.0.1", port))
    except ConnectionRefusedError:
        sock.close()
        return None
    return sock


class PassiveExtraConnectionTests(LoopbackServerMixin, unittest.TestCase):
    """
    One data connection for each C{PASV}/C{EPSV}: a second connection of
    the client's address to the port is reset (at once, or by the pool's
    next sweep), whether it came before the transfer command or after its
    connection was accepted. Not closed: in stream mode a close is the
    end of a file, so a client whose connection lost the port to another
    one from its address (a local user's, one behind the same NAT) read
    an empty download, then the C{226} of the transfer the other took,
    and kept the empty file as its own.
    """

    def setUp(self):
        self.root = scratchDirectory(self)
        with open(f"{self.root}/f.bin", "wb") as f:
            f.write(b"0123456789")
        # A data timeout no test waits for: a pooled listener that kept an
        # extra connection queued would keep it that long.
        self.server = self.startServer(
            FilesystemRealm(self.root),
            ServerConfig(loginFailureDelay=0, dataTimeout=3600))

    def client(self):
        """
        @return: a logged-in L{RawClient} in C{TYPE I}, closed on cleanup.
        """
        client = RawClient(self.server.port, timeout=CLIENT_WAIT)
        self.addCleanup(client.close)
        client.login()
        client.command("TYPE I")
        return client

    def download(self, client, data):
        """
        C{RETR f.bin} over C{data}, ended by the client once read.

        @return: C{(first reply code, bytes received, final reply code)}.
        """
        first = client.command("RETR f.bin")
        received = readToEnd(data)
        # The server waits for the client's end of the data before 226.
        data.shutdown(socket.SHUT_WR)
        return first[:3], received, client.reply()[:3]

    async def test_secondBeforeCommand(self):
        """
        Two connections to the port before C{RETR}: the first carries the
        file, the second is ended once the first is taken, and the
        session's next transfer works.
        """
        def run():
            client = self.client()
            port = client.epsvPort()
            first = socket.create_connection(("127.0.0.1", port))
            second = socket.create_connection(("127.0.0.1", port))
            second.settimeout(CLIENT_WAIT)
            with first, second:
                transfer = self.download(client, first)
                ended = connectionEnded(second)
            return transfer, ended, client.transfer("RETR f.bin")

        transfer, ended, again = await self.inThread(run)
        self.assertEqual(transfer, (b"150", b"0123456789", b"226"))
        self.assertEqual(ended, "reset")
        self.assertEqual((again[1], again[2][:3]), (b"0123456789", b"226"))

    async def test_secondAfterTransfer(self):
        """
        A connection to the port after the transfer it served: refused or
        ended by the pool's next sweep, never kept for a later C{PASV}.
        """
        def run():
            client = self.client()
            port = client.epsvPort()
            with socket.create_connection(("127.0.0.1", port)) as first:
                transfer = self.download(client, first)
            late = connectOrRefused(port)
            if late is None:
                return transfer, "refused"
            with late:
                return transfer, connectionEnded(late)

        transfer, ended = await self.inThread(run)
        self.assertEqual(transfer, (b"150", b"0123456789", b"226"))
        self.assertIn(ended, ("refused", "reset"))

    async def test_pooledListenerServesNextSession(self):
        """
        The port of a transfer, refusing connections meanwhile, serves
        the next C{EPSV} the pool gives it to.
        """
        def run():
            first = self.client()
            port = first.epsvPort()
            with socket.create_connection(("127.0.0.1", port)) as data:
                self.download(first, data)
            late = connectOrRefused(port)
            if late is not None:
                late.close()
            second = self.client()
            again = second.epsvPort()
            with socket.create_connection(("127.0.0.1", again)) as data:
                return port, again, self.download(second, data)

        port, again, transfer = await self.inThread(run)
        self.assertEqual(again, port)
        self.assertEqual(transfer, (b"150", b"0123456789", b"226"))
