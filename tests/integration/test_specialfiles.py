"""
FIFOs, sockets and devices in a served directory: listed as C{ls -l} and
RFC 3659 show them (they were C{-} and C{OS.unix=other}), and never read:
C{RETR} gets C{550} at once, whether or not anything writes to the FIFO,
and the session (and the server) goes on.
"""

import ftplib
import os
import stat

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from tests.ftpclient import ftplibLogin
from tests.scratch import scratchDirectory


class SpecialFilesTests(LoopbackServerMixin, unittest.TestCase):
    """
    A FIFO, a socket and (where the test may make one) a character
    device, with ftplib.
    """

    def setUp(self):
        if not hasattr(os, "mkfifo"):
            raise unittest.SkipTest("no FIFOs here")
        self.root = scratchDirectory(self)
        os.mkfifo(os.path.join(self.root, "fifo"), 0o640)
        # What bind() of a Unix socket leaves (its path would be too long).
        os.mknod(os.path.join(self.root, "sock"), 0o644 | stat.S_IFSOCK)
        self.device = True
        try:
            # /dev/zero's numbers: read whole, it would never end.
            os.mknod(os.path.join(self.root, "zero"), 0o644 | stat.S_IFCHR,
                     os.makedev(1, 5))
        except OSError:
            self.device = False
        self.server = self.startServer(FilesystemRealm(self.root),
                                       ServerConfig(loginFailureDelay=0))

    def _session(self, work):
        """
        Log in and run C{work(ftp)} (blocking: in a thread).

        @return: a Deferred with its result.
        """
        def client():
            with ftplibLogin(self, self.server.port, timeout=20) as ftp:
                return work(ftp)

        return self.inThread(client)

    @defer.inlineCallbacks
    def test_listed(self):
        """
        C{LIST} shows C{p}, C{s} and C{c} as the mode's first letter;
        C{MLSD} and C{MLST} give C{OS.unix} types and no C{r} permission.
        """
        def work(ftp):
            lines = []
            ftp.retrlines("LIST", lines.append)
            facts = []
            ftp.retrlines("MLSD", facts.append)
            return lines, facts, ftp.sendcmd("MLST fifo")

        lines, facts, mlst = yield self._session(work)
        modes = {line.split()[-1]: line.split()[0] for line in lines}
        self.assertEqual(modes["fifo"], "prw-r-----")
        self.assertEqual(modes["sock"][0], "s")
        types = {line.split(" ", 1)[1]: dict(
            fact.split("=", 1) for fact in line.split(" ", 1)[0].split(";")
            if fact) for line in facts}
        self.assertEqual(types["fifo"]["type"], "OS.unix=fifo")
        self.assertEqual(types["sock"]["type"], "OS.unix=socket")
        self.assertEqual(types["fifo"]["perm"], "dfw")
        self.assertIn("type=OS.unix=fifo;", mlst)
        if self.device:
            self.assertEqual(modes["zero"][0], "c")
            self.assertEqual(types["zero"]["type"], "OS.unix=chr")

    @defer.inlineCallbacks
    def test_retrieveRefused(self):
        """
        C{RETR} of a FIFO nobody writes to, of one being written to, of a
        socket and of a device gets C{550} at once, and the session goes
        on.
        """
        names = ["fifo", "sock"] + (["zero"] if self.device else [])

        def work(ftp):
            replies = []
            for name in names:
                try:
                    ftp.retrbinary("RETR " + name, lambda data: None)
                except ftplib.error_perm as e:
                    replies.append(str(e)[:3])
            # A writer waiting on the FIFO: still refused, not read.
            writer = os.open(os.path.join(self.root, "fifo"),
                             os.O_RDWR | os.O_NONBLOCK)
            try:
                os.write(writer, b"data")
                try:
                    ftp.retrbinary("RETR fifo", lambda data: None)
                except ftplib.error_perm as e:
                    replies.append(str(e)[:3])
            finally:
                os.close(writer)
            return replies, ftp.sendcmd("NOOP")

        replies, noop = yield self._session(work)
        self.assertEqual(replies, ["550"] * (len(names) + 1))
        self.assertEqual(noop, "200 NOOP ok")

    @defer.inlineCallbacks
    def test_checksumsRefused(self):
        """
        C{HASH}, the X-verbs and C{SIZE} of a FIFO, a socket and a device
        get the one C{550} (C{HASH} got C{553}, the code of a name not
        allowed), and the session goes on; C{SIZE} in C{TYPE I}, where it
        looks at the path.
        """
        names = ["fifo", "sock"] + (["zero"] if self.device else [])

        def work(ftp):
            ftp.voidcmd("TYPE I")
            replies = []
            for name in names:
                for verb in ("HASH", "XMD5", "XCRC", "SIZE"):
                    try:
                        replies.append(ftp.sendcmd(f"{verb} {name}"))
                    except ftplib.error_perm as e:
                        replies.append(str(e))
            return replies, ftp.sendcmd("NOOP")

        replies, noop = yield self._session(work)
        self.assertEqual(replies,
                         ["550 Not a regular file"] * (len(names) * 4))
        self.assertEqual(noop, "200 NOOP ok")
