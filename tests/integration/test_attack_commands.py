"""
Commands an attacker sends to make the server work much more than the
command is worth.
"""

import os
import re
import stat

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.control.handlers.files import ASCII_SIZE_LIMIT
from ftpkit.control.handlers.session import STAT_LIST_LIMIT
from ftpkit.loopback import LoopbackServerMixin
from tests.integration.test_attack_jail import RawClient
from tests.scratch import scratchDirectory


class AmplificationTests(LoopbackServerMixin, unittest.TestCase):
    """
    A server on a directory with a small text file and a large file.
    """

    timeout = 60

    def setUp(self):
        self.root = scratchDirectory(self)
        with open(os.path.join(self.root, "small.txt"), "wb") as f:
            f.write(b"a\nb\n")
        with open(os.path.join(self.root, "large.bin"), "wb") as f:
            f.truncate(ASCII_SIZE_LIMIT + 1)
        self.server = self.startServer(FilesystemRealm(self.root),
                                       ServerConfig(loginFailureDelay=0))

    @defer.inlineCallbacks
    def test_asciiSizeOfLargeFile(self):
        """
        C{SIZE} in TYPE A counts a small file's line ends, and refuses a
        large file (C{550}) instead of reading all of it: one short
        command made the server read gigabytes, as often as it was sent.
        TYPE I still gives its size.
        """
        def client():
            raw = RawClient(self.server.port)
            try:
                raw.login()
                raw.command("TYPE A")
                replies = [raw.command("SIZE small.txt"),
                           raw.command("SIZE large.bin")]
                raw.command("TYPE I")
                replies.append(raw.command("SIZE large.bin"))
                return replies
            finally:
                raw.close()

        small, large, binary = yield self.inThread(client)
        self.assertEqual(small, b"213 6")
        self.assertTrue(large.startswith(b"550 "), large)
        self.assertEqual(binary, b"213 %d" % (ASCII_SIZE_LIMIT + 1))

    @defer.inlineCallbacks
    def test_appendToFifo(self):
        """
        C{APPE} to a FIFO in the root gets C{550} (it was C{451}, a local
        error, since opening a FIFO nobody reads fails with C{ENXIO}),
        and the FIFO is left as it was.
        """
        if not hasattr(os, "mkfifo"):
            raise unittest.SkipTest("no FIFOs here")
        fifo = os.path.join(self.root, "fifo")
        os.mkfifo(fifo)

        def client():
            raw = RawClient(self.server.port)
            try:
                raw.login()
                return raw.transfer("APPE fifo", b"x")[0], raw.command("NOOP")
            finally:
                raw.close()

        appended, noop = yield self.inThread(client)
        self.assertTrue(appended.startswith(b"550 "), appended)
        self.assertEqual(noop, b"200 NOOP ok")
        self.assertTrue(stat.S_ISFIFO(os.lstat(fifo).st_mode))


class StatListingTests(LoopbackServerMixin, unittest.TestCase):
    """
    C{STAT} with a path lists on the control connection, formatted in one
    piece: a directory of any size held up every session meanwhile.
    """

    timeout = 60

    def setUp(self):
        self.root = os.path.abspath(self.mktemp())
        for name, count in (("many", STAT_LIST_LIMIT + 1),
                            ("enough", STAT_LIST_LIMIT)):
            os.makedirs(os.path.join(self.root, name))
            for number in range(count):
                open(os.path.join(self.root, name, "f%05d" % number),
                     "wb").close()
        self.server = self.startServer(FilesystemRealm(self.root),
                                       ServerConfig(loginFailureDelay=0))

    @defer.inlineCallbacks
    def test_largeDirectoryRefused(self):
        """
        A directory over L{STAT_LIST_LIMIT} entries gets C{550}, pointing
        at C{LIST}; one at the limit is listed whole.
        """
        def client():
            raw = RawClient(self.server.port)
            try:
                raw.login()
                return raw.command("STAT many"), raw.command("STAT enough")
            finally:
                raw.close()

        many, enough = yield self.inThread(client)
        self.assertTrue(many.startswith(b"550 "), many)
        self.assertIn(b"LIST", many)
        lines = enough.split(b"\n")
        self.assertEqual(len(lines), STAT_LIST_LIMIT + 2)
        self.assertTrue(lines[-1].startswith(b"212 "), lines[-1])


class AnnouncedSizeTests(LoopbackServerMixin, unittest.TestCase):
    """
    The byte count a download's C{150} reply announces is the count sent.
    """

    timeout = 60

    def setUp(self):
        self.root = scratchDirectory(self)
        with open(os.path.join(self.root, "small.txt"), "wb") as f:
            f.write(b"a\nb\n")
        self.server = self.startServer(FilesystemRealm(self.root),
                                       ServerConfig(loginFailureDelay=0))

    def download(self, *commands):
        """
        @param commands: sent before C{RETR small.txt}.
        @return: a L{defer.Deferred} of C{(first reply, data)}.
        """
        def client():
            raw = RawClient(self.server.port)
            try:
                raw.login()
                for command in commands:
                    raw.command(command)
                first, data, _ = raw.transfer(b"RETR small.txt")
                return first, data
            finally:
                raw.close()

        return self.inThread(client)

    def assertTold(self, first, data):
        """
        Fail unless the C{150} reply C{first} announces no count, or the
        length of C{data}.
        """
        self.assertTrue(first.startswith(b"150 "), first)
        told = re.search(rb"\((\d+) bytes\)", first)
        if told is not None:
            self.assertEqual(int(told.group(1)), len(data), first)

    @defer.inlineCallbacks
    def test_asciiRestart(self):
        """
        C{TYPE A}, C{REST 1}, C{RETR}: the lines' ends are sent as CRLF,
        so the file's remaining size is not the count sent (it announced
        3 bytes and sent 4).
        """
        first, data = yield self.download("TYPE A", "REST 1")
        self.assertEqual(data, b"\r\nb\r\n")
        self.assertTold(first, data)

    @defer.inlineCallbacks
    def test_asciiRestartInsideCRLF(self):
        """
        C{REST} counts the file's bytes as stored: in C{TYPE A}, a restart
        between a CRLF's CR (byte 65535, the end of the first 64 KiB read)
        and its LF sends the LF alone, not a second CR.
        """
        with open(os.path.join(self.root, "small.txt"), "wb") as f:
            f.write(b"a" * 65535 + b"\r\nb\n")
        first, data = yield self.download("TYPE A", "REST 65536")
        self.assertEqual(data, b"\nb\r\n")

    @defer.inlineCallbacks
    def test_ascii(self):
        """
        Nor is the file's size in C{TYPE A} from the start.
        """
        first, data = yield self.download("TYPE A")
        self.assertEqual(data, b"a\r\nb\r\n")
        self.assertTold(first, data)

    @defer.inlineCallbacks
    def test_binaryRestart(self):
        """
        In C{TYPE I} the count is announced, and is the one sent.
        """
        first, data = yield self.download("TYPE I", "REST 1")
        self.assertEqual(data, b"\nb\n")
        self.assertIn(b"(3 bytes)", first)
        self.assertTold(first, data)
