"""
Attacks on the command parser and its replies: commands sent to make the
server work much more than the command is worth, and names holding
Telnet bytes (C{IAC} and a command byte, C{0xff} doubled as RFC 2640
asks) that must come back in replies as they were named.
"""

import ftplib
import io
import os
import re
import stat

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm, SharedShellRealm
from ftpkit.config import ServerConfig
from ftpkit.control.handlers.session import STAT_LIST_LIMIT
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.shells.filesystem import FilesystemShell
from tests.ftpclient import ftplibLogin
from tests.rawclient import RawClient
from tests.scratch import scratchDirectory

LARGE_SIZE = (1 << 20) + 1
"""The size of C{large.bin}: over the 1 MiB that C{SIZE} in TYPE A read
whole, to count its line ends, before it refused every file."""


class ReadCountingShell(FilesystemShell):
    """
    A L{FilesystemShell} that notes each file opened for reading.

    @ivar opened: the paths opened for reading, in order.
    """

    def __init__(self, root):
        """
        @param root: see L{FilesystemShell}.
        """
        FilesystemShell.__init__(self, root)
        self.opened = []

    def openForReading(self, path, offset=0):
        """
        Note C{path}, then open it as L{FilesystemShell} does.
        """
        self.opened.append(path)
        return FilesystemShell.openForReading(self, path, offset)


class ASCIISizeTests(LoopbackServerMixin, unittest.TestCase):
    """
    A server on a directory with a small text file and a large file,
    through a L{ReadCountingShell}.
    """

    timeout = 60

    def setUp(self):
        self.root = scratchDirectory(self)
        with open(os.path.join(self.root, "small.txt"), "wb") as f:
            f.write(b"a\nb\n")
        with open(os.path.join(self.root, "large.bin"), "wb") as f:
            f.truncate(LARGE_SIZE)
        self.shell = ReadCountingShell(self.root)
        self.server = self.startServer(SharedShellRealm(self.shell),
                                       ServerConfig(loginFailureDelay=0))

    @defer.inlineCallbacks
    def test_asciiSizeReadsNothing(self):
        """
        C{SIZE} in TYPE A refuses every file (C{550}) without opening it:
        it read a file of up to 1 MiB whole to count its line ends, as
        often as the command was sent (and one of any size before that).
        TYPE I still gives the sizes.
        """
        def client():
            raw = RawClient(self.server.port)
            try:
                raw.login()
                raw.command("TYPE A")
                replies = [raw.command("SIZE small.txt"),
                           raw.command("SIZE large.bin")]
                raw.command("TYPE I")
                replies += [raw.command("SIZE small.txt"),
                            raw.command("SIZE large.bin")]
                return replies
            finally:
                raw.close()

        replies = yield self.inThread(client)
        refused = b"550 SIZE not allowed in ASCII mode; use TYPE I"
        self.assertEqual(replies, [refused, refused, b"213 4",
                                   b"213 %d" % LARGE_SIZE])
        self.assertEqual(self.shell.opened, [])


class AmplificationTests(LoopbackServerMixin, unittest.TestCase):
    """
    A server on a directory.
    """

    timeout = 60

    def setUp(self):
        self.root = scratchDirectory(self)
        self.server = self.startServer(FilesystemRealm(self.root),
                                       ServerConfig(loginFailureDelay=0))

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
    def test_ascii(self):
        """
        In C{TYPE A} the lines' ends are sent as CRLF, so the file's size
        is not the count sent: none is announced.
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


TRAP = b"\xff\xf4report"
"""A name holding C{IAC IP}: once read as a Telnet command, C{report}."""


class TelnetInNamesTests(LoopbackServerMixin, unittest.TestCase):
    """
    A name holding an C{IAC} and a Telnet command byte, listed and sent
    back as listed.
    """

    timeout = 60

    def setUp(self):
        self.root = scratchDirectory(self)
        self.raw = self.root.encode()
        with open(os.path.join(self.raw, b"report"), "wb") as f:
            f.write(b"precious")
        self.server = self.startServer(FilesystemRealm(self.root),
                                       ServerConfig())

    def client(self):
        """
        @return: a logged-in ftplib client sending names as listed
            (latin-1, C{0xff} not doubled).
        """
        return ftplibLogin(self, self.server.port,
                           client=ftplib.FTP(encoding="latin-1"))

    def plant(self):
        """
        Store L{TRAP}, its C{IAC} doubled as RFC 2640 asks.
        """
        ftp = self.client()
        ftp.storbinary("STOR " + TRAP.replace(b"\xff", b"\xff\xff")
                       .decode("latin-1"), io.BytesIO(b"trap"))
        ftp.quit()

    def listedTrap(self, ftp):
        """
        @return: L{TRAP} as C{ftp} lists it.
        """
        return [name for name in ftp.nlst()
                if name.encode("latin-1") == TRAP][0]

    def contents(self, name):
        """
        @return: the bytes of the file C{name} in the root, or C{None}.
        """
        try:
            with open(os.path.join(self.raw, name), "rb") as f:
                return f.read()
        except FileNotFoundError:
            return None

    async def test_deleteListedName(self):
        """
        C{DELE} of the name as listed removes that file, not C{report}.
        """
        def run():
            self.plant()
            ftp = self.client()
            return ftp.delete(self.listedTrap(ftp))

        reply = await self.inThread(run)
        self.assertTrue(reply.startswith("250"), reply)
        self.assertEqual((self.contents(b"report"), self.contents(TRAP)),
                         (b"precious", None))

    async def test_otherVerbs(self):
        """
        C{RETR}, C{SIZE}, C{RNFR} and C{RNTO} of the name as listed name
        that file too.
        """
        def run():
            self.plant()
            ftp = self.client()
            ftp.voidcmd("TYPE I")
            name = self.listedTrap(ftp)
            data = []
            ftp.retrbinary("RETR " + name, data.append)
            size = ftp.size(name)
            ftp.rename(name, "moved")
            return b"".join(data), size

        self.assertEqual(await self.inThread(run), (b"trap", 4))
        self.assertEqual((self.contents(b"report"), self.contents(b"moved"),
                          self.contents(TRAP)), (b"precious", b"trap", None))


NAME = b"d\xff\xf4x"
"""A directory name holding C{IAC IP}: undoubled, read as C{dx}."""


class DoubledInRepliesTests(LoopbackServerMixin, unittest.TestCase):
    """
    A directory named L{NAME} on disk, named by a client that doubles
    C{0xff} as RFC 2640 asks.
    """

    timeout = 60

    def setUp(self):
        self.root = scratchDirectory(self)
        os.mkdir(os.path.join(self.root.encode(), NAME))
        self.server = self.startServer(FilesystemRealm(self.root),
                                       ServerConfig())

    def session(self, *lines):
        """
        Log in as alice and send C{lines}, each with C{0xff} doubled.

        @return: a L{Deferred} firing with the replies to C{lines}.
        """
        def run():
            client = RawClient(self.server.port)
            try:
                client.login()
                return [client.command(line.replace(b"\xff", b"\xff\xff"))
                        for line in lines]
            finally:
                client.close()

        return self.inThread(run)

    async def test_workingDirectory(self):
        """
        C{CWD} to the directory, then C{PWD}: the C{250} and the C{257}
        hold its name with C{0xff} doubled.
        """
        changed, current = await self.session(b"CWD " + NAME, b"PWD")
        self.assertEqual(changed, b"250 Directory changed to /d\xff\xff\xf4x")
        self.assertEqual(current,
                         b'257 "/d\xff\xff\xf4x" is the current directory')

    async def test_madeDirectory(self):
        """
        The C{257} of C{MKD} of a new directory under it doubles every
        C{0xff} of the path.
        """
        [made] = await self.session(b"MKD " + NAME + b"/new\xff")
        self.assertTrue(made.startswith(b'257 "/d\xff\xff\xf4x/new\xff\xff"'),
                        made)

    async def test_statListing(self):
        """
        C{STAT} of the root lists on the control connection, so the name
        is doubled there.
        """
        [listing] = await self.session(b"STAT /")
        self.assertIn(b"d\xff\xff\xf4x", listing)
        self.assertNotIn(b"\xff", listing.replace(b"\xff\xff", b""))
