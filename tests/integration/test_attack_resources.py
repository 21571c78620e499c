"""
Resource exhaustion over real loopback sockets: floods of passive
requests, and transfers broken every way (reset, ABOR, QUIT) while data
moves, leave no descriptor, listener, session or temporary file behind.
"""

import os
import random
import re
import socket

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from tests.integration.test_attack_jail import RawClient
from tests.integration.test_hardening import hardClose, waitFor
from tests.scratch import scratchDirectory

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

    def liveEntries(self):
        """
        @return: how many L{FileInfo} objects exist now.
        """
        import gc

        from ftpkit.fileinfo import FileInfo

        gc.collect()
        return sum(1 for each in gc.get_objects()
                   if isinstance(each, FileInfo))

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

    def test_namesFreedWhileSending(self):
        """
        Not here (it writes a directory on disk; the memory realm's names
        are the tree's own): skipped, so that a report says it did not run.
        """

    test_namesFreedWhileSending.skip = "a disk tree's test"
