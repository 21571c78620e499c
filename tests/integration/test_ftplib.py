"""
Integration tests: a real server on 127.0.0.1 driven by Python's ftplib.
"""

import ftplib
import hashlib
import io
import os
import socket
import time

from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from tests.ftpclient import ftplibLogin, retrOver
from tests.scratch import scratchDirectory
from tests.sockreads import readToEnd


class FtplibTests(LoopbackServerMixin, unittest.TestCase):
    """
    Log in, list, upload, download, rename and delete with ftplib.
    """

    def setUp(self):
        self.root = scratchDirectory(self)
        with open(os.path.join(self.root, "hello.txt"), "wb") as f:
            f.write(b"hello\nworld\n")
        self.server = self.startServer(FilesystemRealm(self.root))

    def connect(self, user="alice", password="secret"):
        return ftplibLogin(self, self.server.port, user, password, timeout=10)

    def test_loginAndPwd(self):
        def client():
            ftp = self.connect()
            result = ftp.pwd()
            ftp.quit()
            return result
        return self.inThread(client).addCallback(self.assertEqual, "/")

    def test_badPassword(self):
        def client():
            ftp = ftplib.FTP()
            ftp.connect("127.0.0.1", self.server.port, timeout=10)
            try:
                ftp.login("alice", "wrong")
            except ftplib.error_perm as e:
                return str(e)
            finally:
                ftp.close()
        self.server.factory.config = ServerConfig(loginFailureDelay=0)
        d = self.inThread(client)
        d.addCallback(lambda message: self.assertTrue(
            message.startswith("530"), message))
        return d

    def test_uploadDownloadHash(self):
        payload = os.urandom(3 * 1024 * 1024 + 17)

        def client():
            ftp = self.connect()
            ftp.storbinary("STOR big.bin", io.BytesIO(payload))
            out = io.BytesIO()
            ftp.retrbinary("RETR big.bin", out.write)
            size = ftp.size("big.bin")
            result = out.getvalue(), size
            ftp.quit()
            return result

        def check(result):
            data, size = result
            self.assertEqual(hashlib.sha256(data).hexdigest(),
                             hashlib.sha256(payload).hexdigest())
            self.assertEqual(size, len(payload))
            with open(os.path.join(self.root, "big.bin"), "rb") as f:
                self.assertEqual(f.read(), payload)
        return self.inThread(client).addCallback(check)

    def test_preliminaryReplyBeforeData(self):
        """
        A client that reads the C{150} before it reads any data gets it
        while a download too large for the socket buffers is under way
        (the C{150} is held only while nothing has to wait), and a small
        download still answers C{150} then C{226}.
        """
        payload = os.urandom(32 * 1024 * 1024)
        with open(os.path.join(self.root, "large.bin"), "wb") as f:
            f.write(payload)

        def fetch(ftp, name):
            return retrOver(ftp, *ftp.makepasv(), name)

        def client():
            ftp = self.connect()
            ftp.voidcmd("TYPE I")
            result = fetch(ftp, "large.bin"), fetch(ftp, "hello.txt")
            ftp.quit()
            return result

        def check(result):
            large, small = result
            self.assertEqual(large, ("150", payload, "226"))
            self.assertEqual(small, ("150", b"hello\nworld\n", "226"))
        return self.inThread(client).addCallback(check)

    def test_transferCommandBeforeConnecting(self):
        """
        A client may send RETR before it connects to the PASV port: the
        server then waits for the connection.
        """
        def client():
            ftp = self.connect()
            ftp.voidcmd("TYPE I")
            host, port = ftp.makepasv()
            ftp.putcmd("RETR hello.txt")
            # Deliberate: the RETR is meant to arrive first; the server
            # answers nothing before the connection to wait for.
            time.sleep(0.2)
            with socket.create_connection((host, port), timeout=10) as data:
                preliminary = ftp.getresp()
                received = readToEnd(data)
            result = preliminary[:3], received, ftp.voidresp()[:3]
            ftp.quit()
            return result

        return self.inThread(client).addCallback(
            self.assertEqual, ("150", b"hello\nworld\n", "226"))

    def test_activeMode(self):
        def client():
            ftp = self.connect()
            ftp.set_pasv(False)
            out = io.BytesIO()
            ftp.retrbinary("RETR hello.txt", out.write)
            ftp.storbinary("STOR up.txt", io.BytesIO(b"active\n"))
            ftp.quit()
            return out.getvalue()

        def check(data):
            self.assertEqual(data, b"hello\nworld\n")
            with open(os.path.join(self.root, "up.txt"), "rb") as f:
                self.assertEqual(f.read(), b"active\n")
        return self.inThread(client).addCallback(check)

    def test_asciiMode(self):
        def client():
            ftp = self.connect()
            lines = []
            ftp.retrlines("RETR hello.txt", lines.append)
            raw = io.BytesIO()
            ftp.sendcmd("TYPE A")
            conn = ftp.transfercmd("RETR hello.txt")
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                raw.write(chunk)
            conn.close()
            ftp.voidresp()
            ftp.storlines("STOR lines.txt", io.BytesIO(b"a\r\nb\r\n"))
            result = lines, raw.getvalue()
            ftp.quit()
            return result

        def check(result):
            lines, raw = result
            self.assertEqual(lines, ["hello", "world"])
            self.assertEqual(raw, b"hello\r\nworld\r\n")
            with open(os.path.join(self.root, "lines.txt"), "rb") as f:
                self.assertEqual(f.read(), b"a\nb\n")
        return self.inThread(client).addCallback(check)

    def test_asciiFileWithCRLF(self):
        """
        A file stored with CRLF line ends goes out in TYPE A with the same
        line ends, not with a second CR before each LF (which ftplib and
        curl read as a blank line after every line). C{SIZE} in TYPE A
        gets C{550}, which C{ftplib}'s C{size} raises as C{error_perm}: it
        counted those bytes, which a client resuming from C{SIZE} skips in
        its local file, whose line ends may be LF.
        """
        with open(os.path.join(self.root, "dos.txt"), "wb") as f:
            f.write(b"one\r\ntwo\nthree\r\n")

        def client():
            ftp = self.connect()
            try:
                lines = []
                ftp.retrlines("RETR dos.txt", lines.append)
                conn = ftp.transfercmd("RETR dos.txt")
                raw = b""
                while True:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    raw += chunk
                conn.close()
                ftp.voidresp()
                try:
                    size = ftp.size("dos.txt")
                except ftplib.error_perm as e:
                    size = str(e)
                return lines, raw, size
            finally:
                ftp.quit()

        def check(result):
            lines, raw, size = result
            self.assertEqual(lines, ["one", "two", "three"])
            self.assertEqual(raw, b"one\r\ntwo\r\nthree\r\n")
            self.assertEqual(size,
                             "550 SIZE not allowed in ASCII mode; use TYPE I")
        return self.inThread(client).addCallback(check)

    def test_listAndNames(self):
        def client():
            ftp = self.connect()
            ftp.mkd("sub")
            lines = []
            ftp.retrlines("LIST", lines.append)
            names = ftp.nlst()
            facts = dict(ftp.mlsd())
            ftp.quit()
            return lines, names, facts

        def check(result):
            lines, names, facts = result
            self.assertEqual(sorted(names), ["hello.txt", "sub"])
            self.assertTrue(any(line.startswith("d") and line.endswith(" sub")
                                for line in lines), lines)
            self.assertEqual(facts["hello.txt"]["type"], "file")
            self.assertEqual(facts["hello.txt"]["size"], "12")
            self.assertEqual(facts["sub"]["type"], "dir")
        return self.inThread(client).addCallback(check)

    def test_renameDeleteDirectories(self):
        def client():
            ftp = self.connect()
            ftp.rename("hello.txt", "renamed.txt")
            ftp.mkd("d")
            ftp.cwd("d")
            pwd = ftp.pwd()
            ftp.cwd("..")
            ftp.rmd("d")
            ftp.delete("renamed.txt")
            try:
                ftp.delete("renamed.txt")
            except ftplib.error_perm as e:
                missing = str(e)
            ftp.quit()
            return pwd, missing

        def check(result):
            pwd, missing = result
            self.assertEqual(pwd, "/d")
            self.assertTrue(missing.startswith("550"), missing)
            self.assertEqual(os.listdir(self.root), [])
        return self.inThread(client).addCallback(check)

    def test_anonymousReadOnly(self):
        def client():
            ftp = self.connect("anonymous", "guest@example.com")
            data = io.BytesIO()
            ftp.retrbinary("RETR hello.txt", data.write)
            try:
                ftp.storbinary("STOR x.txt", io.BytesIO(b"no"))
            except ftplib.error_perm as e:
                refused = str(e)
            result = data.getvalue(), refused
            ftp.quit()
            return result

        def check(result):
            data, refused = result
            self.assertEqual(data, b"hello\nworld\n")
            self.assertTrue(refused.startswith("550"), refused)
            self.assertFalse(os.path.exists(os.path.join(self.root, "x.txt")))
        return self.inThread(client).addCallback(check)
