"""
Tests for L{ftpkit.deploy.fdlimit} and the descriptor limit of a real
server: raised to the hard limit at start, new clients told C{421}
when descriptors run low (the splice pipes kept idle closed first), and
the commands of a server out of them told C{451}.
"""

import itertools
import os
import resource
import socket

from twisted.internet.testing import StringTransport
from twisted.trial import unittest

from ftpkit.data.movers import _splicebatch as batches
from ftpkit.deploy.fdlimit import (
    REFUSAL,
    RESERVE,
    SoftLimit,
    headroomRefusal,
    transportRefusal,
)
from tests.rawclient import RawClient
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess


class HeadroomTests(unittest.SynchronousTestCase):
    """
    L{headroomRefusal} keeps L{RESERVE} descriptors for running sessions.
    """

    def test_belowReserve(self):
        self.assertIsNone(headroomRefusal(10, 1024))
        self.assertIsNone(headroomRefusal(1024 - RESERVE - 1, 1024))

    def test_inReserve(self):
        self.assertEqual(headroomRefusal(1024 - RESERVE, 1024), REFUSAL)
        self.assertEqual(headroomRefusal(5000, 1024), REFUSAL)

    def test_unlimited(self):
        self.assertIsNone(headroomRefusal(10 ** 9, resource.RLIM_INFINITY))

    def test_smallLimit(self):
        """
        Under a small limit the reserve is a quarter of it: with 64
        descriptors, sessions start on the first 48. The whole reserve
        refused every client (found by the thirty-sixth attack sweep:
        C{ulimit -n 64}, and every client got C{421}).
        """
        self.assertIsNone(headroomRefusal(15, 64))
        self.assertIsNone(headroomRefusal(47, 64))
        self.assertEqual(headroomRefusal(48, 64), REFUSAL)

    def test_noDescriptor(self):
        """
        A transport without a descriptor (a test's) is never refused.
        """
        self.assertIsNone(transportRefusal(StringTransport()))


class SoftLimitTests(unittest.SynchronousTestCase):
    """
    L{SoftLimit} reads the limit at most once per C{maxAge} seconds.
    """

    def test_readAgainWhenOld(self):
        """
        A value read is used for C{maxAge} seconds, then read again (a
        limit changed by hand is seen).
        """
        now, reads, limits = [100.0], [], [(256, 4096)]

        def getrlimit(which):
            self.assertEqual(which, resource.RLIMIT_NOFILE)
            reads.append(now[0])
            return limits[0]
        softLimit = SoftLimit(getrlimit, lambda: now[0], maxAge=1.0)
        self.assertEqual(softLimit(), 256)
        limits[0] = (1024, 4096)
        now[0] = 100.9
        self.assertEqual(softLimit(), 256)
        now[0] = 101.0
        self.assertEqual(softLimit(), 1024)
        self.assertEqual(reads, [100.0, 101.0])

    def test_transport(self):
        """
        L{transportRefusal} judges a connection's descriptor against the
        limit it is given.
        """
        with socket.socket() as sock:
            transport = StringTransport()
            transport.getHandle = lambda: sock
            self.assertIsNone(transportRefusal(transport, lambda: 10 ** 6))
            self.assertEqual(
                transportRefusal(transport, lambda: sock.fileno()), REFUSAL)


class _Handle:
    """
    A connection's socket of a given descriptor number.
    """

    def __init__(self, number):
        self.number = number

    def fileno(self):
        return self.number


class IdleReleaseTests(unittest.SynchronousTestCase):
    """
    L{transportRefusal} closes what is kept idle before it refuses.
    """

    def test_releasedBeforeRefusal(self):
        """
        A connection in the reserve is accepted once the descriptors kept
        idle are closed, when they bring it out of the reserve: they are
        not in use; it is refused when they are too few. Nothing is
        closed for a connection outside the reserve.
        """
        transport = StringTransport()
        # A number high enough that the limits below keep the whole
        # reserve.
        transport.getHandle = lambda: _Handle(4 * RESERVE)
        limit = 4 * RESERVE + RESERVE
        released = []

        def release(count):
            def releaseIdle():
                released.append(count)
                return count
            return releaseIdle
        self.assertIsNone(transportRefusal(
            transport, lambda: limit + 1, release(2)))
        self.assertEqual(released, [])
        self.assertEqual(transportRefusal(transport, lambda: limit),
                         REFUSAL)
        self.assertIsNone(transportRefusal(transport, lambda: limit,
                                           release(1)))
        self.assertEqual(transportRefusal(transport, lambda: limit - 1,
                                          release(1)), REFUSAL)
        self.assertEqual(released, [1, 1])


def limitDescriptors(soft, hard):
    """
    @return: a callable setting C{RLIMIT_NOFILE} in a child process.
    """
    return lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


class ServerLimitTests(unittest.TestCase):
    """
    A server's descriptor limit.
    """

    def setUp(self):
        self.root = scratchDirectory(self)

    def assertRaisedLimit(self, **launcher):
        """
        The soft limit of a server started with C{launcher} (more
        arguments of L{ServerProcess}) is raised to the hard limit at
        start.
        """
        server = ServerProcess(self, ["--root", self.root,
                                      "--auth", "anonymous"],
                               preexec=limitDescriptors(256, 4096),
                               **launcher)
        server.waitForGreeting()
        with open(f"/proc/{server.process.pid}/limits") as f:
            [line] = [each for each in f if each.startswith("Max open files")]
        self.assertEqual(line.split()[3:5], ["4096", "4096"])

    def test_raised(self):
        self.assertRaisedLimit()

    def test_raisedUnderTwist(self):
        """
        Under C{python -m twisted ftpkit} too: C{twist} starts its service
        without C{privilegedStartService}, where the limit is raised, and
        the soft limit stayed 256.
        """
        self.assertRaisedLimit(twistd=True, python=["-m", "twisted"],
                               twistdOptions=["--log-format", "text"])

    def runOut(self, *extra):
        """
        With 100 descriptors at most, clients beyond what the reserve
        allows get C{421} at once, not silence; once they leave, new
        clients are served again.
        """
        server = ServerProcess(self, ["--root", self.root,
                                      "--auth", "anonymous",
                                      "--max-connections-per-ip", "1000",
                                      *extra],
                               preexec=limitDescriptors(100, 100))
        if extra:
            server.waitForLog(" ready\n", 2)
        else:
            server.waitForGreeting()
        clients, refused = [], None
        try:
            for _ in range(300):
                client = socket.create_connection(("127.0.0.1", server.port))
                clients.append(client)
                client.settimeout(20)
                greeting = client.recv(200)
                if greeting.startswith(b"421"):
                    refused = greeting
                    break
                self.assertTrue(greeting.startswith(b"220"), greeting)
        finally:
            for client in clients:
                client.close()
        self.assertIn(REFUSAL.encode("ascii"), refused)
        server.waitFor(lambda: server.greeting().startswith(b"220"),
                       "a 220 greeting again")

    def test_runOut(self):
        self.runOut()

    def test_runOutWorkers(self):
        self.runOut("--workers", "2")


def lowestFreeDescriptor(pid):
    """
    @param pid: a process.
    @return: the lowest descriptor number it has no descriptor on: the
        number its next open would get.
    """
    taken = {int(name) for name in os.listdir(f"/proc/{pid}/fd")}
    return next(number for number in itertools.count() if number not in taken)


class ExhaustedCommandTests(unittest.TestCase):
    """
    Commands of a session whose server has no descriptor left (its soft
    limit lowered, by C{prlimit}, to what it holds).
    """

    def test_localErrors(self):
        """
        C{SIZE}, C{MDTM}, C{MLST}, and C{RETR} and C{LIST} after C{EPSV}
        (its listener made before the limit was lowered) get C{451} and
        the reason, a local error: they got C{425}, which says a data
        connection failed. Once descriptors are free again, they work.
        """
        root = scratchDirectory(self)
        with open(os.path.join(root, "f.txt"), "wb") as f:
            f.write(b"data")
        server = ServerProcess(self, ["--root", root, "--auth", "anonymous",
                                      "--no-listing-cache"])
        server.waitForGreeting()
        ftp = server.login()
        ftp.voidcmd("TYPE I")
        self.assertTrue(ftp.sendcmd("EPSV").startswith("229"))
        pid = server.process.pid
        _, hard = resource.prlimit(pid, resource.RLIMIT_NOFILE)
        resource.prlimit(pid, resource.RLIMIT_NOFILE,
                         (lowestFreeDescriptor(pid), hard))
        replies = []
        for line in ("SIZE f.txt", "MDTM f.txt", "MLST f.txt", "RETR f.txt",
                     "LIST"):
            ftp.putcmd(line)
            replies.append(ftp.getline())
        self.assertEqual(
            replies,
            ["451 Too many open files on the server; try again later"] * 5)
        resource.prlimit(pid, resource.RLIMIT_NOFILE, (hard, hard))
        self.assertEqual(ftp.sendcmd("SIZE f.txt"), "213 4")


class ExhaustedAcceptTests(unittest.TestCase):
    """
    Clients connecting to a one-process server that has no descriptor
    left to accept them (its soft limit lowered, by C{prlimit}, to what
    it holds).
    """

    CLIENTS = 30

    def refusedWhileExhausted(self, server, pid):
        """
        Lower the soft limit of C{pid}'s descriptors to what it holds,
        connect L{CLIENTS} clients, each of which must get C{421} with
        L{REFUSAL}, then raise it again and see a client greeted.

        @param server: the L{ServerProcess}.
        @param pid: the process that accepts (the acceptor of
            C{--workers}).
        """
        _, hard = resource.prlimit(pid, resource.RLIMIT_NOFILE)
        # Every number below the limit taken, the spare among them: none
        # free below it (a number the sweep at start's thread held a
        # moment, when the spare was taken after the thread began, was:
        # the spare lay above the limit, and every client was closed
        # without a word, by Twisted).
        resource.prlimit(pid, resource.RLIMIT_NOFILE,
                         (lowestFreeDescriptor(pid), hard))
        greetings = {server.greeting() for _ in range(self.CLIENTS)}
        resource.prlimit(pid, resource.RLIMIT_NOFILE, (hard, hard))
        server.waitFor(lambda: server.greeting().startswith(b"220"),
                       "a 220 greeting again")
        self.assertEqual(greetings,
                         {b"421 " + REFUSAL.encode("ascii") + b"\r\n"})

    def test_told(self):
        """
        Each gets C{421} with L{REFUSAL}, its refusals logged as refusals
        at the door (a few lines an address); once descriptors are free
        again, the next client is greeted. Twisted's port closed each
        without a word, and logged three lines for each.
        """
        root = scratchDirectory(self)
        server = ServerProcess(self, ["--root", root, "--auth", "anonymous",
                                      "--max-connections-per-ip", "1000"])
        server.waitForGreeting()
        pid = server.process.pid
        # The greeted probe's descriptor is closed once the server reads
        # its end: then the listening socket is its only socket.
        server.waitFor(lambda: descriptorsOf(pid, "socket") == 1,
                       "the probe's connection closed")
        before = len(server.log())
        self.refusedWhileExhausted(server, pid)
        lines = server.log()[before:].splitlines()
        self.assertLessEqual(len(lines), 12, "\n".join(lines))

    def test_toldByAcceptor(self):
        """
        The acceptor of C{--workers} out of descriptors: each client gets
        C{421} with L{REFUSAL} too (the acceptor's spare, taken before
        its workers started, lies below every number it freed since).
        """
        server = ServerProcess(self, ["--root", scratchDirectory(self),
                                      "--auth", "anonymous", "--workers",
                                      "2", "--max-connections-per-ip",
                                      "1000"])
        server.waitForLog(" ready\n", 2)
        server.waitForGreeting()
        pid = server.process.pid
        # The probe's connection is closed here once a worker took it.
        server.waitFor(lambda: descriptorsOf(pid, "socket") == 3,
                       "the listener and the workers' channels alone")
        self.refusedWhileExhausted(server, pid)


class RunningUploadTests(unittest.TestCase):
    """
    An upload running when the process runs out of descriptors.
    """

    def test_goesOn(self):
        """
        A spliced upload that needs a pipe past its first bytes, and gets
        none, moves its bytes through Python: C{226}, the file whole. It
        failed (C{426}, or C{451 Too many open files}; found by the
        thirty-sixth attack sweep: 65,536 bytes of 3.3 MB taken), though
        it needs no descriptor to go on.
        """
        root = scratchDirectory(self)
        server = ServerProcess(self, ["--root", root, "--auth", "anonymous",
                                      "--anonymous-write",
                                      "--no-listing-cache"])
        server.waitForGreeting()
        client = RawClient(server.port)
        self.addCleanup(client.close)
        client.login("anonymous", "x")
        data = client.binaryData()
        self.addCleanup(data.close)
        opening = client.command("STOR up.bin")
        self.assertTrue(opening.startswith(b"150"), opening)
        pid = server.process.pid
        _, hard = resource.prlimit(pid, resource.RLIMIT_NOFILE)
        resource.prlimit(pid, resource.RLIMIT_NOFILE,
                         (lowestFreeDescriptor(pid), hard))
        size = 50 * batches.SHORT_BATCH_SIZE
        try:
            data.sendall(b"x" * size)
            data.close()
            final = client.reply()
        finally:
            resource.prlimit(pid, resource.RLIMIT_NOFILE, (hard, hard))
        self.assertTrue(final.startswith(b"226"), final)
        self.assertEqual(os.path.getsize(os.path.join(root, "up.bin")), size)


def descriptorsOf(pid, kind):
    """
    @param kind: C{"pipe"} or C{"socket"}.
    @return: how many of the process' descriptors are of that kind.
    """
    count = 0
    for name in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{name}")
        except OSError:
            continue  # Closed meanwhile.
        count += target.startswith(kind + ":")
    return count


class IdlePipesTests(unittest.TestCase):
    """
    The splice pipes a server keeps for its next uploads give way to new
    clients when descriptors run low.
    """

    UPLOADS = 6
    """Uploads run at once, each leaving a pipe idle."""

    def setUp(self):
        self.root = scratchDirectory(self)
        # (--passive-ports: no listener is pooled, holding a descriptor.)
        self.server = ServerProcess(
            self, ["--root", self.root, "--auth", "anonymous",
                   "--anonymous-write", "--max-connections-per-ip", "1000",
                   "--no-listing-cache", "--passive-ports", "50000-50999"],
            preexec=limitDescriptors(120, 120))
        self.server.waitForGreeting()
        self.pid = self.server.process.pid

    def admitted(self):
        """
        Connect clients until one gets C{421}, then let them all go.

        @return: how many got C{220}.
        """
        clients = []
        try:
            while True:
                client = socket.create_connection(
                    ("127.0.0.1", self.server.port))
                clients.append(client)
                client.settimeout(20)
                greeting = client.recv(200)
                if greeting.startswith(b"421"):
                    return len(clients) - 1
                self.assertTrue(greeting.startswith(b"220"), greeting)
        finally:
            for client in clients:
                client.close()
            self.server.waitFor(self.settled, "the clients' sessions ended")

    def settled(self):
        """
        @return: whether the server holds no socket of a client: only the
            ones it had once started.
        """
        return descriptorsOf(self.pid, "socket") <= self.sockets

    def uploadAtOnce(self):
        """
        Run L{UPLOADS} spliced uploads (C{TYPE I}, passive, in clear) at
        once, then end them all. Each sends more than the bytes moved at
        once without a pipe (L{batches.SHORT_BATCH_SIZE}), so that each
        takes one.
        """
        sessions = []
        for number in range(self.UPLOADS):
            client = RawClient(self.server.port)
            self.addCleanup(client.close)
            client.login("anonymous", "x")
            client.command("TYPE I")
            data = socket.create_connection(("127.0.0.1",
                                             client.epsvPort()))
            self.addCleanup(data.close)
            opening = client.command(f"STOR up{number}.bin")
            self.assertTrue(opening.startswith(b"150"), opening)
            data.sendall(b"x" * (batches.SHORT_BATCH_SIZE + 1000))
            sessions.append((client, data))
        for client, data in sessions:
            data.close()
            self.assertTrue(client.reply().startswith(b"226"))
            client.command("QUIT")
            client.close()

    def test_idlePipesGiveWay(self):
        """
        Clients admitted with L{UPLOADS} pipes idle are as many as
        before any upload: the pipes are closed when a client would be
        refused, and the server has none left. They counted against the
        descriptors kept in reserve, and twice as many clients fewer
        got in.
        """
        self.sockets = descriptorsOf(self.pid, "socket")
        before = self.admitted()
        pipes = descriptorsOf(self.pid, "pipe")
        self.uploadAtOnce()
        self.server.waitFor(self.settled, "the uploads' sessions ended")
        self.assertEqual(descriptorsOf(self.pid, "pipe"),
                         pipes + 2 * self.UPLOADS)
        # (Give or take the odd descriptor the uploads left open for good.)
        self.assertGreaterEqual(self.admitted(), before - 2)
        self.assertEqual(descriptorsOf(self.pid, "pipe"), pipes)
