"""
C{MFF}, C{CLNT} and C{LANG} on a real server over the filesystem shell:
from ftplib, curl's C{--quote}, and lftp, which sends C{CLNT} and C{LANG}
itself at login when C{FEAT} lists them.
"""

import os
import shutil
import stat

from twisted.internet import utils
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from tests.ftpclient import ftplibLogin
from tests.integration.test_extracommands import _send
from tests.scratch import scratchDirectory

CURL = shutil.which("curl")
LFTP = shutil.which("lftp")
JAN_1_2020 = 1577836800


class FactsServerMixin(LoopbackServerMixin):
    """
    A filesystem server whose root holds C{a b.txt}.
    """

    timeout = 60

    def setUp(self):
        self.root = scratchDirectory(self)
        self.path = os.path.join(self.root, "a b.txt")
        with open(self.path, "wb") as f:
            f.write(b"spaced\n")
        os.chmod(self.path, 0o644)
        self.server = self.startServer(FilesystemRealm(self.root),
                                       ServerConfig(loginFailureDelay=0))

    def assertFacts(self, mode, mtime):
        """
        The file on disk has C{mode} and C{mtime}.
        """
        info = os.stat(self.path)
        self.assertEqual((stat.S_IMODE(info.st_mode), info.st_mtime),
                         (mode, mtime))


class FtplibTests(FactsServerMixin, unittest.TestCase):
    """
    ftplib's C{sendcmd}.
    """

    async def test_mff(self):
        """
        C{MFF} sets both facts on the disk; C{CLNT} and C{LANG EN} get
        C{200}, another language C{504}.
        """
        def run():
            ftp = ftplibLogin(self, self.server.port, timeout=20)
            replies = [_send(ftp, line) for line in (
                "CLNT ftplib", "LANG EN", "LANG de",
                "MFF modify=20200101000000;UNIX.mode=0600; a b.txt",
                "MFF create=20200101000000; a b.txt")]
            ftp.close()
            return replies
        replies = await self.inThread(run)
        self.assertEqual(replies, [
            "200 OK", "200 Using language EN",
            "504 Language de not supported",
            "213 modify=20200101000000;UNIX.mode=0600; /a b.txt",
            "504 Cannot modify fact 'create'"])
        self.assertFacts(0o600, JAN_1_2020)


class CurlTests(FactsServerMixin, unittest.TestCase):
    """
    curl's C{-Q "MFF ..."} gets its C{213}.
    """

    if CURL is None:
        skip = "curl is not installed"

    async def test_quote(self):
        out, err, code = await utils.getProcessOutputAndValue(
            CURL, ["-sS", "-v", "--max-time", "30", "-u", "alice:secret",
                   "-Q", "MFF UNIX.mode=0640;modify=20200101000000; a b.txt",
                   "ftp://127.0.0.1:%d/" % self.server.port],
            env=os.environ)
        self.assertEqual(code, 0, err)
        self.assertIn(
            b"< 213 UNIX.mode=0640;modify=20200101000000; /a b.txt", err)
        self.assertFacts(0o640, JAN_1_2020)


class LftpTests(FactsServerMixin, unittest.TestCase):
    """
    lftp sends C{CLNT} and C{LANG} (no argument) after C{FEAT} lists them;
    both get C{200}, and its C{quote} prints C{MFF}'s reply.
    """

    if LFTP is None:
        skip = "lftp is not installed"

    async def test_login(self):
        commands = ("set cmd:fail-exit yes; set ftp:ssl-allow no; "
                    "set net:max-retries 1; set net:timeout 20; "
                    "debug 5; "
                    '"quote" "MFF modify=20200101000000; a b.txt"; quit')
        out, err, code = await utils.getProcessOutputAndValue(
            LFTP, ["-u", "alice,secret", "-p", str(self.server.port), "-e",
                   commands, "127.0.0.1"], env=os.environ)
        self.assertEqual(code, 0, err)
        self.assertRegex(err, rb"---> CLNT lftp/\S+\r?\n<--- 200 OK")
        self.assertRegex(err, rb"---> LANG\r?\n<--- 200 Using language EN")
        self.assertIn(b"213 modify=20200101000000; /a b.txt", out)
        self.assertFacts(0o644, JAN_1_2020)
