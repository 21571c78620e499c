"""
C{NLST} of a directory, as real clients use it: the names come after the
directory as the client wrote it (C{NLST sub} gives C{sub/x.txt}), as
vsftpd, ProFTPD and pyftpdlib send them, so that a client fetching each
name it was sent (tnftp's C{mget sub}, ftplib's C{nlst} in scripts) finds
the files. curl's default (C{CWD sub}, then C{NLST}) still gets bare
names.
"""

import os
import shutil

from twisted.internet import utils
from twisted.trial import unittest

from tests.ftpclient import ftplibLogin
from tests.integration.test_mget_clients import FILES, TNFTP, MgetTestMixin

CURL = shutil.which("curl")
LFTP = shutil.which("lftp")


class NlstDirectoryTests(MgetTestMixin, unittest.TestCase):
    """
    Clients listing a directory by name.
    """

    def test_ftplib(self):
        """
        ftplib's C{nlst(directory)} gives paths it can fetch as they are;
        the current directory's names stay bare; a file is named as
        written.
        """
        def client():
            ftp = ftplibLogin(self, self.server.port, timeout=20)
            names = ftp.nlst("sub")
            fetched = {}
            for name in names:
                chunks = []
                ftp.retrbinary("RETR " + name, chunks.append)
                fetched[name] = b"".join(chunks)
            result = (names, fetched, ftp.nlst("sub/"), ftp.nlst("/sub"),
                      ftp.nlst("./sub"), ftp.nlst("sub/x.txt"),
                      ftp.nlst(), ftp.nlst("."))
            ftp.quit()
            return result

        def check(result):
            (names, fetched, slash, absolute, dotted, oneFile, bare,
             dot) = result
            self.assertEqual(names, ["sub/x.txt", "sub/y.bin"])
            self.assertEqual(fetched, {"sub/x.txt": FILES["sub/x.txt"],
                                       "sub/y.bin": FILES["sub/y.bin"]})
            self.assertEqual(slash, names)
            self.assertEqual(dotted, names)
            self.assertEqual(absolute, ["/sub/x.txt", "/sub/y.bin"])
            self.assertEqual(oneFile, ["sub/x.txt"])
            self.assertIn("a.txt", bare)
            self.assertEqual(dot, bare)
        return self.inThread(client).addCallback(check)

    async def test_tnftpMget(self):
        """
        tnftp's C{mget sub} fetches the files in C{sub} into the local
        C{sub} (550 for each bare name before).
        """
        if TNFTP is None:
            raise unittest.SkipTest("tnftp is not installed")
        os.makedirs(os.path.join(self.local, "sub"))
        done = await self.runClient(
            [TNFTP, "-n", "-v",
             "ftp://alice:secret@127.0.0.1:%d/" % self.server.port],
            "prompt off\nbinary\nmget sub\nquit\n")
        self.assertEqual(self.fetched(), {
            "sub/x.txt": FILES["sub/x.txt"],
            "sub/y.bin": FILES["sub/y.bin"]}, done.stdout + done.stderr)

    async def curl(self, *options):
        """
        @return: what C{curl --list-only} of C{/sub/} printed, as lines.
        """
        if CURL is None:
            raise unittest.SkipTest("curl is not installed")
        out, err, code = await utils.getProcessOutputAndValue(
            CURL, ["-sS", "--max-time", "30", "-u", "alice:secret",
                   "--list-only"] + list(options)
            + ["ftp://127.0.0.1:%d/sub/" % self.server.port],
            env=os.environ)
        self.assertEqual(code, 0, err)
        return out.decode().splitlines()

    async def test_curlDefault(self):
        """
        curl's default method changes into the directory and lists it
        without an argument: bare names, as before.
        """
        self.assertEqual(await self.curl(), ["x.txt", "y.bin"])

    async def test_curlNoCwd(self):
        """
        C{--ftp-method nocwd} sends C{NLST sub/}: the paths, as vsftpd and
        ProFTPD give them.
        """
        self.assertEqual(await self.curl("--ftp-method", "nocwd"),
                         ["sub/x.txt", "sub/y.bin"])

    async def test_lftpNlist(self):
        """
        lftp's C{nlist sub} prints what the server sent.
        """
        if LFTP is None:
            raise unittest.SkipTest("lftp is not installed")
        done = await self.runClient(
            [LFTP, "-u", "alice,secret", "-p", str(self.server.port),
             "-e", "set ftp:passive-mode on; nlist sub; quit",
             "127.0.0.1"])
        self.assertEqual(done.stdout.splitlines(),
                         ["sub/x.txt", "sub/y.bin"], done.stderr)
