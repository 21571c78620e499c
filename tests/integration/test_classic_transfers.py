"""
Transfers as users make them with the classic command-line clients:
tnftp's C{reget} (resuming a download), C{ncftpput -R} and C{ncftpget -R}
(a whole tree each way, empty files and directories and odd names in it),
and curl's C{--use-ascii} on a file stored with CRLF line ends.
"""

import os
import shutil
import subprocess

from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from tests.clienttrees import treeDigest, writeTree
from tests.integration.test_mget_clients import MgetTestMixin
from tests.scratch import scratchDirectory

TNFTP = shutil.which("tnftp")
NCFTPPUT = shutil.which("ncftpput")
NCFTPGET = shutil.which("ncftpget")
CURL = shutil.which("curl")

TREE = {
    "a/b/deep.bin": os.urandom(70000),
    "a/empty.bin": b"",
    "sp ace/h#sh [1] %41.txt": b"odd\n",
    "-dash.txt": b"dash\n",
    "\u00fcn\u00ef/\u20ac.txt": b"unicode\n",
}


class ClassicClientsMixin(LoopbackServerMixin):
    """
    A filesystem-backed server and a scratch directory for the client.
    """

    timeout = 90

    clientTimeout = 60
    """Seconds a client may run (L{runClient})."""

    runClient = MgetTestMixin.runClient

    def setUp(self):
        self.root = scratchDirectory(self)
        self.local = scratchDirectory(self)
        self.server = self.startServer(
            FilesystemRealm(self.root), ServerConfig(loginFailureDelay=0))


class TnftpRegetTests(ClassicClientsMixin, unittest.TestCase):
    """
    tnftp's C{reget} fetches the rest of a partly downloaded file.
    """

    if TNFTP is None:
        skip = "tnftp is not installed"

    async def reget(self, mode):
        """
        Have tnftp C{reget} a file of 1 MiB and a byte of which it holds
        the first 7000 bytes.

        @param mode: C{-p} (passive) or C{-A} (active).
        """
        data = os.urandom(1024 * 1024 + 1)
        with open(os.path.join(self.root, "big.bin"), "wb") as f:
            f.write(data)
        with open(os.path.join(self.local, "big.bin"), "wb") as f:
            f.write(data[:7000])
        done = await self.runClient(
            [TNFTP, "-n", mode, "127.0.0.1", str(self.server.port)],
            "user alice secret\nbinary\nreget big.bin\nbye\n")
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        with open(os.path.join(self.local, "big.bin"), "rb") as f:
            self.assertEqual(f.read(), data)

    def test_passive(self):
        """
        In passive mode.
        """
        return self.reget("-p")

    def test_active(self):
        """
        In active mode.
        """
        return self.reget("-A")


class NcftpTreeTests(ClassicClientsMixin, unittest.TestCase):
    """
    C{ncftpput -R} sends a directory, C{ncftpget -R} brings it back.
    """

    if NCFTPPUT is None or NCFTPGET is None:
        skip = "ncftp is not installed"

    async def test_roundTrip(self):
        """
        The tree comes back byte for byte, its empty file and empty
        directory included.
        """
        source = os.path.join(self.local, "tree")
        writeTree(source, TREE, "empty dir")
        login = ["-u", "alice", "-p", "secret", "-P", str(self.server.port),
                 "-R", "127.0.0.1"]
        os.makedirs(os.path.join(self.root, "up"))
        done = await self.runClient([NCFTPPUT, *login, "/up", "tree"])
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        served = os.path.join(self.root, "up", "tree")
        self.assertEqual(treeDigest(served), treeDigest(source))
        self.assertTrue(os.path.isdir(os.path.join(served, "empty dir")))
        os.makedirs(os.path.join(self.local, "back"))
        done = await self.runClient([NCFTPGET, *login, "back", "/up/tree"])
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        back = os.path.join(self.local, "back", "tree")
        self.assertEqual(treeDigest(back), treeDigest(source))
        self.assertTrue(os.path.isdir(os.path.join(back, "empty dir")))


class CurlASCIITests(ClassicClientsMixin, unittest.TestCase):
    """
    curl's C{--use-ascii} (C{TYPE A}) on text files.
    """

    if CURL is None:
        skip = "curl is not installed"

    async def test_lineEnds(self):
        """
        Files stored with CRLF or LF line ends, or no final one, come out
        with LF line ends and no line added: a CRLF file's CR was sent
        doubled, which curl read as a blank line after every line.
        """
        writeTree(self.root, {"crlf.txt": b"one\r\ntwo\r\n",
                              "lf.txt": b"one\ntwo\n",
                              "open.txt": b"one\ntwo"})
        expected = {"crlf.txt": b"one\ntwo\n", "lf.txt": b"one\ntwo\n",
                    "open.txt": b"one\ntwo"}
        for name, text in expected.items():
            done = await self.inThread(
                subprocess.run,
                [CURL, "-sS", "--max-time", "30", "--use-ascii",
                 "ftp://alice:secret@127.0.0.1:%d/%s"
                 % (self.server.port, name)],
                capture_output=True, timeout=60)
            self.assertEqual(done.returncode, 0, done.stderr)
            self.assertEqual(done.stdout, text, name)
