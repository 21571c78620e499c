"""
The classic command-line clients, tnftp (BSD ftp) and ncftp: their
C{mget} and C{ncftpget} expand wildcards by sending C{NLST pattern} and
fetching each name the server sends back, so the server must expand them;
and scripts doing the same with Python's ftplib.
"""

import os
import shutil
import subprocess

from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from tests.ftpclient import ftplibLogin
from tests.scratch import scratchDirectory

TNFTP = shutil.which("tnftp")
NCFTPGET = shutil.which("ncftpget")

FILES = {
    "a.txt": b"alpha\n",
    "b.txt": b"bravo\n",
    "c.bin": b"\x00\x01",
    ".hidden.txt": b"secret\n",
    "sub/x.txt": b"x-ray\n",
    "sub/y.bin": b"yankee",
    "-dir/inside.txt": b"inside\n",
}


class MgetTestMixin(LoopbackServerMixin):
    """
    A filesystem-backed server holding L{FILES}, and a scratch directory.
    """

    clientTimeout = 45
    """Seconds a client may run (L{runClient})."""

    timeout = 60

    def setUp(self):
        self.root = os.path.abspath(self.mktemp())
        self.local = scratchDirectory(self)
        for name, data in FILES.items():
            path = os.path.join(self.root, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
        self.server = self.startServer(
            FilesystemRealm(self.root), ServerConfig(loginFailureDelay=0))

    def runClient(self, argv, script=None):
        """
        Run a client in the scratch directory, in a thread.

        @param script: its standard input, as text.
        @return: a Deferred firing with the C{CompletedProcess}.
        """
        return self.inThread(
            subprocess.run, argv, input=script, cwd=self.local,
            capture_output=True, text=True, timeout=self.clientTimeout)

    def fetched(self):
        """
        @return: the names of the files in the scratch directory, with
            their contents.
        """
        result = {}
        for directory, _, names in os.walk(self.local):
            for name in names:
                path = os.path.join(directory, name)
                with open(path, "rb") as f:
                    result[os.path.relpath(path, self.local)] = f.read()
        return result


class TnftpTests(MgetTestMixin, unittest.TestCase):
    """
    tnftp, the BSD C{ftp} program.
    """

    if TNFTP is None:
        skip = "tnftp is not installed"

    def tnftp(self, script):
        return self.runClient(
            [TNFTP, "-n", "-v",
             "ftp://alice:secret@127.0.0.1:%d/" % self.server.port],
            "prompt off\nbinary\n" + script + "quit\n")

    async def test_mget(self):
        """
        C{mget *.txt} and C{mget sub/*} fetch what the patterns match
        (not dot files), each under the name the server sent.
        """
        os.makedirs(os.path.join(self.local, "sub"))
        done = await self.tnftp("mget *.txt\nmget sub/*\n")
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        self.assertEqual(self.fetched(), {
            "a.txt": FILES["a.txt"], "b.txt": FILES["b.txt"],
            "sub/x.txt": FILES["sub/x.txt"], "sub/y.bin": FILES["sub/y.bin"],
        })

    async def test_mgetNoMatch(self):
        """
        A pattern matching nothing fetches nothing, and the session goes
        on.
        """
        done = await self.tnftp("mget *.none\nget a.txt\n")
        self.assertEqual(self.fetched(), {"a.txt": FILES["a.txt"]},
                         done.stdout + done.stderr)

    async def test_listDashDirectory(self):
        """
        C{ls -dir} lists the directory C{-dir}, not the current one.
        """
        done = await self.tnftp("ls -dir\n")
        self.assertIn("inside.txt", done.stdout, done.stderr)
        self.assertNotIn("a.txt", done.stdout)


class NcftpTests(MgetTestMixin, unittest.TestCase):
    """
    ncftpget, ncftp's command-line downloader.
    """

    if NCFTPGET is None:
        skip = "ncftp is not installed"

    async def test_wildcard(self):
        """
        C{ncftpget host dir '/sub/*.txt'} fetches the matching files.
        """
        done = await self.runClient(
            [NCFTPGET, "-u", "alice", "-p", "secret",
             "-P", str(self.server.port), "127.0.0.1", ".", "/*.txt",
             "/sub/*.txt"])
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        self.assertEqual(self.fetched(), {
            "a.txt": FILES["a.txt"], "b.txt": FILES["b.txt"],
            "x.txt": FILES["sub/x.txt"],
        })


class FtplibTests(MgetTestMixin, unittest.TestCase):
    """
    Python's ftplib: C{nlst(pattern)} and C{dir(name)} as scripts use them.
    """

    def test_nlstAndDir(self):
        """
        C{nlst} of a pattern in the current directory, in a subdirectory
        and by an absolute path gives the matching names as the client can
        fetch them; C{dir("-dir")} lists the directory called C{-dir}.
        """

        def client():
            ftp = ftplibLogin(self, self.server.port, timeout=20)
            lines = []
            ftp.dir("-dir", lines.append)
            result = (ftp.nlst("*.txt"), ftp.nlst("sub/*"),
                      ftp.nlst("/sub/?.txt"), lines)
            ftp.quit()
            return result

        def check(result):
            top, sub, absolute, lines = result
            self.assertEqual(top, ["a.txt", "b.txt"])
            self.assertEqual(sub, ["sub/x.txt", "sub/y.bin"])
            self.assertEqual(absolute, ["/sub/x.txt"])
            self.assertEqual(len(lines), 1, lines)
            self.assertTrue(lines[0].endswith(" inside.txt"), lines)
        return self.inThread(client).addCallback(check)
