"""
Integration tests: ftpkit as an FTP-to-SFTP gateway, in front of a real
OpenSSH server started on loopback (L{tests.storageservers}), driven by
ftplib, curl and lftp.
"""

import ftplib
import io
import os

from twisted.trial import unittest

from ftpkit.config import ServerConfig
from ftpkit.deploy import tap
from ftpkit.loopback import LoopbackServerMixin
from tests.clientprograms import CURL, LFTP, lftpMirror, runProgram
from tests.clienttrees import makeTree, sha256, treeDigest
from tests.fsspecrealms import closeAtEnd, sftpURL
from tests.ftpclient import breakOffUpload, ftplibLogin

MiB = 1024 * 1024


class SFTPGatewayMixin(LoopbackServerMixin):
    """
    A server whose realm is C{--realm fsspec:sftp://USER@127.0.0.1:PORT/DIR}
    (the user's key named in the query), DIR being a scratch directory
    the test can look into directly.
    """

    timeout = 180

    def setUp(self):
        self.root = os.path.abspath(self.mktemp())
        self.local = os.path.abspath(self.mktemp())
        os.makedirs(self.root)
        os.makedirs(self.local)
        options = tap.Options()
        options.parseOptions(["--realm", "fsspec:" + sftpURL(self.root)])
        realm = options["realmObject"]
        closeAtEnd(self, realm)
        self.server = self.startServer(realm, ServerConfig(loginFailureDelay=0.01))
        self.url = "ftp://127.0.0.1:%d/" % self.server.port

    def ftp(self):
        """
        @return: a logged-in L{ftplib.FTP} (blocking; call in a thread).
        """
        return ftplibLogin(self, self.server.port, timeout=60)


class SFTPFtplibTests(SFTPGatewayMixin, unittest.TestCase):
    """
    ftplib through the gateway: SFTP can resume, append, set times and
    rename directories, so all of it works.
    """

    def session(self):
        client = self.ftp()
        client.storbinary("STOR f.bin", io.BytesIO(b"0123456789"))
        client.storbinary("APPE f.bin", io.BytesIO(b"abc"))
        client.voidcmd("TYPE I")
        client.sendcmd("REST 4")
        connection = client.transfercmd("STOR f.bin")
        connection.sendall(b"XY")
        connection.close()
        client.voidresp()
        got = io.BytesIO()
        client.retrbinary("RETR f.bin", got.write, rest=1)
        client.mkd("d")
        client.storbinary("STOR d/inner", io.BytesIO(b"inner"))
        replies = {"feat": client.sendcmd("FEAT"),
                   "mfmt": client.sendcmd("MFMT 20200102030405 f.bin"),
                   "mdtm": client.sendcmd("MDTM f.bin"),
                   "size": client.sendcmd("SIZE f.bin")}
        try:
            client.rmd("d")
        except ftplib.error_perm as e:
            replies["rmdFull"] = str(e)
        client.rename("d", "e")
        replies["mfmtDirectory"] = client.sendcmd("MFMT 20200102030405 e")
        facts = dict(client.mlsd("e", facts=["type", "size"]))
        client.quit()
        return got.getvalue(), replies, facts

    async def test_session(self):
        got, replies, facts = await self.inThread(self.session)
        self.assertEqual(got, b"123XY")
        self.assertEqual(replies["mfmt"], "213 Modify=20200102030405; /f.bin")
        self.assertEqual(replies["mdtm"], "213 20200102030405")
        self.assertIn(" MFMT", replies["feat"])
        self.assertEqual(replies["size"], "213 6")
        self.assertTrue(replies["rmdFull"].startswith("550"), replies)
        self.assertEqual(facts["inner"], {"type": "file", "size": "5"})
        self.assertEqual(sorted(os.listdir(self.root)), ["e", "f.bin"])
        with open(os.path.join(self.root, "e", "inner"), "rb") as f:
            self.assertEqual(f.read(), b"inner")
        # A directory's time too (SETSTAT), as ProFTPD sets it: it got 550.
        self.assertEqual(replies["mfmtDirectory"],
                         "213 Modify=20200102030405; /e")
        self.assertEqual(os.stat(os.path.join(self.root, "e")).st_mtime,
                         1577934245)

    def abortedUpload(self):
        return breakOffUpload(self.ftp(), "old.bin", b"n" * MiB, 8)

    async def test_abortedUpload(self):
        """
        A broken-off upload leaves the old file as it was, what it
        received kept as its partial upload for a resume (hidden from
        listings: L{tests.integration.test_keptuploads}), and no
        temporary file.
        """
        with open(os.path.join(self.root, "old.bin"), "wb") as f:
            f.write(b"previous")
        reply = await self.inThread(self.abortedUpload)
        self.assertTrue(reply.startswith("426"), reply)
        names = sorted(os.listdir(self.root))
        self.assertEqual(len(names), 2, names)
        self.assertTrue(names[0].startswith(".ftpkit-partial."), names)
        self.assertEqual(names[1], "old.bin")
        self.assertEqual(await self.inThread(lambda: self.ftp().nlst()),
                         ["old.bin"])
        with open(os.path.join(self.root, "old.bin"), "rb") as f:
            self.assertEqual(f.read(), b"previous")


class SFTPClientTests(SFTPGatewayMixin, unittest.TestCase):
    """
    curl and lftp through the gateway.
    """

    async def test_curl(self):
        """
        curl uploads, resumes an upload and downloads.
        """
        if CURL is None:
            raise unittest.SkipTest("curl is not installed")
        source = os.path.join(self.local, "up.bin")
        data = os.urandom(5 * MiB + 3)
        with open(source, "wb") as f:
            f.write(data)
        with open(os.path.join(self.root, "part.bin"), "wb") as f:
            f.write(data[:1234567])
        curl = [CURL, "-sS", "--max-time", "120", "-u", "alice:secret"]
        out, err, code = await runProgram(
            *curl, "-T", source, self.url + "up.bin")
        self.assertEqual(code, 0, err)
        out, err, code = await runProgram(
            *curl, "-C", "-", "-T", source, self.url + "part.bin")
        self.assertEqual(code, 0, err)
        back = os.path.join(self.local, "back.bin")
        out, err, code = await runProgram(
            *curl, "-o", back, self.url + "up.bin")
        self.assertEqual(code, 0, err)
        for path in (os.path.join(self.root, "up.bin"),
                     os.path.join(self.root, "part.bin"), back):
            self.assertEqual(sha256(path), sha256(source))

    async def test_lftpMirror(self):
        """
        lftp mirror -R through the gateway writes the tree on the SFTP
        server; mirror brings it back the same.
        """
        if LFTP is None:
            raise unittest.SkipTest("lftp is not installed")
        upload = os.path.join(self.local, "up")
        makeTree(upload)
        down = os.path.join(self.local, "down")
        out, err, code = await lftpMirror(self.server.port, upload, down)
        self.assertEqual(code, 0, err)
        self.assertEqual(treeDigest(os.path.join(self.root, "tree")),
                         treeDigest(upload))
        self.assertEqual(treeDigest(down), treeDigest(upload))
        self.assertEqual(len(treeDigest(down)), 50)
