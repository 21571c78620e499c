"""
An upload written in place (C{APPE}) whose file another session replaces,
removes or moves before it ends, over real loopback sockets.

Since an upload written in place holds its file (a second one gets
C{450 File busy}), a C{STOR} replacing the file (written to a file of its
own, then renamed over the target) still went ahead meanwhile: the
C{APPE}'s bytes went into the file it replaced, which no name reached any
more, and the C{APPE} was told C{226}. Now an upload written in place
checks at its end that its path still names the file it wrote, and gets
C{450} otherwise; the replacing upload costs nothing more.
"""

import ftplib
import io
import os
import socket

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from tests.ftpclient import ftplibLogin


class ReplacedDuringAppendTests(LoopbackServerMixin, unittest.TestCase):
    """
    C{f} on the disk, appended to by one session while another changes it.
    """

    timeout = 60

    def setUp(self):
        self.root = os.path.abspath(self.mktemp())
        os.makedirs(self.root)
        self.path = os.path.join(self.root, "f")
        with open(self.path, "wb") as f:
            f.write(b"0123456789")
        self.server = self.startServer(
            FilesystemRealm(self.root), ServerConfig(loginFailureDelay=0),
            users={"alice": "secret"}, anonymous=False)

    def _duringAppend(self, *commands):
        """
        Start an C{APPE} of C{f} that sends some bytes and waits, then run
        C{commands} on a second session (C{STOR} sends C{B} 1,000 times),
        then end the first upload.

        @return: the second session's replies and the first upload's
            final reply (the text of an error).
        """
        first = ftplibLogin(self, self.server.port, binary=True)
        port = int(first.sendcmd("EPSV").split("|")[3])
        data = socket.create_connection(("127.0.0.1", port))
        first.sendcmd("APPE f")
        data.sendall(b"A" * 1000)
        second = ftplibLogin(self, self.server.port, binary=True)
        replies = []
        for command in commands:
            if command.startswith("STOR"):
                replies.append(second.storbinary(
                    command, io.BytesIO(b"B" * 1000)))
            else:
                replies.append(second.sendcmd(command))
        data.sendall(b"a" * 1000)
        data.close()
        try:
            final = first.voidresp()
        except ftplib.Error as e:
            final = str(e)
        return replies, final

    def _read(self, name):
        with open(os.path.join(self.root, name), "rb") as f:
            return f.read()

    @defer.inlineCallbacks
    def test_replacedByStore(self):
        """
        A C{STOR} replacing the file while an C{APPE} runs replaces it;
        the C{APPE}, whose bytes went into the replaced file, gets C{450}
        (it got C{226}).
        """
        replies, final = yield self.inThread(self._duringAppend, "STOR f")
        self.assertEqual(replies[0][:4], "226 ")
        self.assertEqual(final[:4], "450 ")
        self.assertIn("replaced", final)
        self.assertEqual(self._read("f"), b"B" * 1000)

    @defer.inlineCallbacks
    def test_replacedByRename(self):
        """
        C{RNTO} of another file onto it does the same.
        """
        with open(os.path.join(self.root, "g"), "wb") as f:
            f.write(b"g")
        replies, final = yield self.inThread(
            self._duringAppend, "RNFR g", "RNTO f")
        self.assertEqual(replies[1][:4], "250 ")
        self.assertEqual(final[:4], "450 ")
        self.assertEqual(self._read("f"), b"g")

    @defer.inlineCallbacks
    def test_removed(self):
        """
        C{DELE} of it removes it, and the C{APPE} gets C{450}: its bytes
        went into a file with no name.
        """
        replies, final = yield self.inThread(self._duringAppend, "DELE f")
        self.assertEqual(replies[0][:4], "250 ")
        self.assertEqual(final[:4], "450 ")
        self.assertFalse(os.path.lexists(self.path))

    @defer.inlineCallbacks
    def test_moved(self):
        """
        Renamed away, the file keeps every byte under its new name, and
        the C{APPE} gets C{450}: C{f} does not hold them.
        """
        replies, final = yield self.inThread(
            self._duringAppend, "RNFR f", "RNTO h")
        self.assertEqual(replies[1][:4], "250 ")
        self.assertEqual(final[:4], "450 ")
        self.assertEqual(self._read("h"),
                         b"0123456789" + b"A" * 1000 + b"a" * 1000)

    @defer.inlineCallbacks
    def test_untouched(self):
        """
        Left alone, the C{APPE} gets C{226} with its bytes in C{f}.
        """
        replies, final = yield self.inThread(self._duringAppend)
        self.assertEqual(final[:4], "226 ")
        self.assertEqual(self._read("f"),
                         b"0123456789" + b"A" * 1000 + b"a" * 1000)
