"""
Integration tests of the RFC 2389/2428/2640/3659 extensions and of ABOR,
STAT and QUIT during transfers, over real sockets with ftplib.
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
from tests.ftpclient import ftplibLogin
from tests.ipv6 import hasIPv6
from tests.scratch import scratchDirectory


def _bytesToEnd(conn):
    """
    Read a data connection until the server closes it, then close it.

    @param conn: a blocking socket.
    @return: how many bytes came.
    """
    total = 0
    while True:
        chunk = conn.recv(1 << 20)
        if not chunk:
            break
        total += len(chunk)
    conn.close()
    return total


class ExtensionTests(LoopbackServerMixin, unittest.TestCase):
    """
    FEAT-advertised extensions, each at the reply-code level.
    """

    timeout = 60
    interface = "127.0.0.1"

    def setUp(self):
        self.root = scratchDirectory(self)
        self.big = os.urandom(32 * 1024 * 1024)
        with open(os.path.join(self.root, "big.bin"), "wb") as f:
            f.write(self.big)
        with open(os.path.join(self.root, "text.txt"), "wb") as f:
            f.write(b"one\ntwo\nthree\n")
        self.server = self.startServer(
            FilesystemRealm(self.root), ServerConfig(),
            interface=self.interface)

    def session(self, function, client=None):
        """
        Run C{function(ftp)} in a thread with a logged-in client.

        @param client: the unconnected ftplib client to use; a plain one
            if omitted.
        """
        def run():
            ftp = ftplibLogin(self, self.server.port, host=self.interface,
                              timeout=20, client=client)
            result = function(ftp)
            ftp.close()
            return result
        return self.inThread(run)

    async def test_feat(self):
        reply = await self.session(lambda ftp: ftp.sendcmd("FEAT"))
        lines = reply.splitlines()
        self.assertEqual(lines[0], "211-Features:")
        self.assertEqual(lines[-1], "211 End")
        features = {line.strip() for line in lines[1:-1]}
        for feature in ("EPSV", "EPRT", "MDTM", "SIZE", "REST STREAM", "UTF8",
                        "TVFS", "MFMT"):
            self.assertIn(feature, features)
        self.assertNotIn("AUTH TLS", features)

    async def test_optsUTF8AndMLST(self):
        def run(ftp):
            return (ftp.sendcmd("OPTS UTF8 ON"),
                    ftp.sendcmd("OPTS MLST type;size;"),
                    ftp.sendcmd("MLST big.bin"))
        utf8, opts, mlst = await self.session(run)
        self.assertTrue(utf8.startswith("200"))
        self.assertEqual(opts, "200 MLST OPTS type;size;")
        lines = mlst.splitlines()
        self.assertTrue(lines[0].startswith("250-"))
        self.assertEqual(lines[1], " type=file;size=%d; /big.bin" % len(self.big))
        self.assertTrue(lines[-1].startswith("250 "))

    async def test_sizeMdtmMfmt(self):
        def run(ftp):
            binary = ftp.sendcmd("TYPE I") and ftp.sendcmd("SIZE text.txt")
            ftp.sendcmd("TYPE A")
            try:
                ascii = ftp.sendcmd("SIZE text.txt")
            except ftplib.error_perm as e:
                ascii = str(e)
            ftp.sendcmd("TYPE I")
            mfmt = ftp.sendcmd("MFMT 20200102030405 text.txt")
            mdtm = ftp.sendcmd("MDTM text.txt")
            try:
                ftp.sendcmd("SIZE nothere")
            except ftplib.error_perm as e:
                missing = str(e)
            return binary, ascii, mfmt, mdtm, missing
        binary, ascii, mfmt, mdtm, missing = await self.session(run)
        self.assertEqual(binary, "213 14")
        self.assertEqual(ascii,
                         "550 SIZE not allowed in ASCII mode; use TYPE I")
        self.assertEqual(mfmt, "213 Modify=20200102030405; /text.txt")
        self.assertEqual(mdtm, "213 20200102030405")
        self.assertTrue(missing.startswith("550"))
        self.assertEqual(
            os.stat(os.path.join(self.root, "text.txt")).st_mtime,
            1577934245)

    async def test_restRetrAndStor(self):
        def run(ftp):
            out = io.BytesIO()
            ftp.retrbinary("RETR big.bin", out.write, rest=1000)
            ftp.storbinary("STOR part.bin", io.BytesIO(self.big[:5000]))
            ftp.storbinary("STOR part.bin", io.BytesIO(self.big[5000:70000]),
                           rest=5000)
            return out.getvalue()
        tail = await self.session(run)
        self.assertEqual(tail, self.big[1000:])
        with open(os.path.join(self.root, "part.bin"), "rb") as f:
            self.assertEqual(f.read(), self.big[:70000])

    async def test_appeAndStou(self):
        def run(ftp):
            ftp.storbinary("APPE text.txt", io.BytesIO(b"four\n"))
            ftp.sendcmd("TYPE I")
            ftp.makepasv()
            host, port = ftp.makepasv()
            conn = socket.create_connection((host, port))
            opening = ftp.sendcmd("STOU text.txt")
            conn.sendall(b"unique")
            conn.close()
            return opening, ftp.voidresp()
        opening, final = await self.session(run)
        self.assertEqual(opening, "150 FILE: text.txt.1")
        self.assertTrue(final.startswith("226"))
        with open(os.path.join(self.root, "text.txt"), "rb") as f:
            self.assertEqual(f.read(), b"one\ntwo\nthree\nfour\n")
        with open(os.path.join(self.root, "text.txt.1"), "rb") as f:
            self.assertEqual(f.read(), b"unique")

    async def test_mlsdFacts(self):
        os.makedirs(os.path.join(self.root, "sub"))
        facts = dict(await self.session(lambda ftp: list(ftp.mlsd())))
        self.assertEqual(facts["."]["type"], "cdir")
        self.assertEqual(facts["sub"]["type"], "dir")
        self.assertEqual(facts["big.bin"]["size"], str(len(self.big)))
        self.assertEqual(facts["big.bin"]["perm"], "adfrw")
        self.assertEqual(facts["big.bin"]["unix.mode"],
                         "%04o" % (os.stat(os.path.join(
                             self.root, "big.bin")).st_mode & 0o7777))
        self.assertEqual(len(facts["big.bin"]["modify"]), 14)
        self.assertNotEqual(facts["big.bin"]["unique"],
                            facts["text.txt"]["unique"])
        self.assertNotIn("..", facts)
        inner = dict(await self.session(lambda ftp: list(ftp.mlsd("sub"))))
        self.assertEqual(inner["."]["type"], "cdir")
        self.assertEqual(inner[".."]["type"], "pdir")

    async def test_utf8Names(self):
        names = ["café.txt", "Ελληνικά.txt", "日本語.txt", "emoji-🎉.txt"]

        def run(ftp):
            ftp.encoding = "utf-8"
            for name in names:
                ftp.storbinary("STOR " + name, io.BytesIO(name.encode()))
            listed = ftp.nlst()
            mlsd = [name for name, _ in ftp.mlsd()]
            lines = []
            ftp.retrlines("LIST", lines.append)
            back = {}
            for name in names:
                out = io.BytesIO()
                ftp.retrbinary("RETR " + name, out.write)
                back[name] = out.getvalue()
            return listed, mlsd, lines, back
        listed, mlsd, lines, back = await self.session(run)
        for name in names:
            self.assertIn(name, listed)
            self.assertIn(name, mlsd)
            self.assertTrue(any(line.endswith(" " + name) for line in lines))
            self.assertEqual(back[name], name.encode())
            self.assertTrue(os.path.exists(os.path.join(self.root, name)))

    async def test_nonUTF8Bytes(self):
        with open(os.path.join(self.root.encode(), b"\xe9t\xe9.bin"),
                  "wb") as f:
            f.write(b"raw")

        def run(ftp):
            names = ftp.nlst()
            out = io.BytesIO()
            ftp.retrbinary("RETR \xe9t\xe9.bin", out.write)
            return names, out.getvalue(), ftp.sendcmd("NOOP")
        # Replies carry the name's bytes too (its 150 names it): the
        # client reads them as latin-1 as well.
        names, data, noop = await self.session(
            run, ftplib.FTP(encoding="latin-1"))
        self.assertIn("\xe9t\xe9.bin", names)
        self.assertEqual(data, b"raw")
        self.assertTrue(noop.startswith("200"))

    async def test_epsvEprt(self):
        def run(ftp):
            ftp.af = socket.AF_INET6  # makes ftplib use EPSV/EPRT
            out = io.BytesIO()
            ftp.retrbinary("RETR text.txt", out.write)
            ftp.set_pasv(False)
            active = io.BytesIO()
            ftp.af = socket.AF_INET
            ftp.sendcmd("TYPE I")
            sock = socket.create_server(("127.0.0.1", 0))
            port = sock.getsockname()[1]
            ftp.sendcmd("EPRT |1|127.0.0.1|%d|" % port)
            ftp.putcmd("RETR text.txt")
            conn, _ = sock.accept()
            ftp.getresp()
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                active.write(chunk)
            conn.close()
            sock.close()
            ftp.voidresp()
            bad = []
            for command in ("EPRT |3|x|1|", "EPSV 2", "EPRT |2|::1|5000|"):
                try:
                    ftp.sendcmd(command)
                except ftplib.error_perm as e:
                    bad.append(str(e)[:3])
            allReply = ftp.sendcmd("EPSV ALL")
            try:
                ftp.sendcmd("PASV")
            except ftplib.error_perm as e:
                bad.append(str(e)[:3])
            return out.getvalue(), active.getvalue(), bad, allReply
        passive, active, bad, allReply = await self.session(run)
        self.assertEqual(passive, b"one\ntwo\nthree\n")
        self.assertEqual(active, b"one\ntwo\nthree\n")
        self.assertEqual(bad, ["522", "522", "522", "503"])
        self.assertTrue(allReply.startswith("200"))

    async def test_abortDuringRetr(self):
        def run(ftp):
            ftp.sendcmd("TYPE I")
            conn = ftp.transfercmd("RETR big.bin")
            conn.recv(65536)
            first = ftp.abort()
            conn.close()
            second = ftp.getresp() if first.startswith("426") else first
            after = ftp.sendcmd("NOOP")
            out = io.BytesIO()
            ftp.retrbinary("RETR text.txt", out.write)
            return first, second, after, out.getvalue()
        first, second, after, data = await self.session(run)
        self.assertTrue(first.startswith("426"), first)
        self.assertTrue(second.startswith("226"), second)
        self.assertTrue(after.startswith("200"))
        self.assertEqual(data, b"one\ntwo\nthree\n")

    async def test_abortUploadKeepsOldFile(self):
        def run(ftp):
            ftp.sendcmd("TYPE I")
            conn = ftp.transfercmd("STOR text.txt")
            conn.sendall(b"partial data that must not land")
            first = ftp.abort()
            conn.close()
            second = ftp.getresp() if first.startswith("426") else first
            return first, second, ftp.sendcmd("NOOP")
        first, second, after = await self.session(run)
        self.assertTrue(first[:3] in ("426", "226"), first)
        self.assertTrue(second.startswith("226"), second)
        with open(os.path.join(self.root, "text.txt"), "rb") as f:
            self.assertEqual(f.read(), b"one\ntwo\nthree\n")

    async def test_statDuringTransfer(self):
        def run(ftp):
            ftp.sendcmd("TYPE I")
            conn = ftp.transfercmd("RETR big.bin")
            received = len(conn.recv(65536))
            ftp.putcmd("STAT")
            status = ftp.getmultiline()
            total = received + _bytesToEnd(conn)
            return status, total, ftp.voidresp()
        status, total, done = await self.session(run)
        self.assertTrue(status.startswith("213"), status)
        self.assertIn("bytes transferred", status)
        self.assertEqual(total, len(self.big))
        self.assertTrue(done.startswith("226"))

    def pipelineDuringRetr(self, ftp, kind, lines, count):
        """
        Start C{RETR big.bin} in TYPE C{kind}, read a little, then send
        C{lines} in one write and read C{count} replies and the data
        connection to its end (blocking).

        @return: the replies' codes, and whether fewer bytes than the
            whole file came (the transfer was cut, not waited for).
        """
        ftp.sendcmd("TYPE " + kind)
        conn = ftp.transfercmd("RETR big.bin")
        with conn:
            total = len(conn.recv(65536))
            ftp.sock.sendall(b"".join(line + b"\r\n" for line in lines))
            codes = [ftp.getmultiline()[:3] for _ in range(count)]
            while True:
                chunk = conn.recv(1 << 20)
                if not chunk:
                    break
                total += len(chunk)
        return codes, total < len(self.big)

    async def test_abortAnsweredAfterCommandsBeforeIt(self):
        """
        C{ABOR} pipelined behind commands sent during a transfer ends the
        transfer at once (C{426}), but its C{226} comes after their
        replies: replies keep the order of the commands (RFC 959).
        """
        codes, cut = await self.session(
            lambda ftp: self.pipelineDuringRetr(
                ftp, "I", [b"SIZE big.bin", b"MDTM big.bin", b"ABOR"], 4))
        self.assertEqual(codes, ["426", "213", "213", "226"])
        self.assertTrue(cut)

    async def test_abortAnsweredBeforeCommandsAfterIt(self):
        """
        A command pipelined after C{ABOR} is answered after C{ABOR}'s
        C{226}, also when the aborted transfer ends a moment later (TYPE
        A, through a Twisted transport).
        """
        codes, cut = await self.session(
            lambda ftp: self.pipelineDuringRetr(
                ftp, "A", [b"ABOR", b"NOOP"], 3))
        self.assertEqual(codes, ["426", "226", "200"])
        self.assertTrue(cut)

    async def test_statAfterQueuedCommandWaitsItsTurn(self):
        """
        C{STAT} during a transfer, behind a command waiting for that
        transfer, is answered in its turn (with the session's status, the
        transfer being over by then), not before that command's reply.
        """
        codes, cut = await self.session(
            lambda ftp: self.pipelineDuringRetr(
                ftp, "I", [b"PWD", b"STAT", b"ABOR"], 4))
        self.assertEqual(codes, ["426", "257", "211", "226"])
        self.assertTrue(cut)

    async def test_noopAnsweredBeforeTransferReply(self):
        """
        C{NOOP} during a transfer, with nothing waiting before it, is
        answered at once, before the transfer's final reply: commons-net's
        keep-alive reads one reply per C{NOOP} it sent before it reads the
        transfer's (L{tests.integration.test_java_commonsnet}). C{NOOP}
        behind another command waits behind it; C{ABOR} then cuts the
        transfer.
        """
        codes, cut = await self.session(
            lambda ftp: self.pipelineDuringRetr(
                ftp, "I", [b"NOOP", b"PWD", b"NOOP", b"ABOR"], 5))
        self.assertEqual(codes, ["200", "426", "257", "200", "226"])
        self.assertTrue(cut)

    async def test_abortBeforeDataConnection(self):
        """
        C{ABOR} while C{RETR} waits for its data connection drops it at
        once (C{425} for the C{RETR}, then C{226}): it does not wait for
        the data connection, or its timeout, then for the whole transfer.
        """
        def run(ftp):
            ftp.sendcmd("TYPE I")
            ftp.sendcmd("EPSV")
            ftp.sock.sendall(b"RETR big.bin\r\nABOR\r\nNOOP\r\n")
            return [ftp.getmultiline()[:3] for _ in range(3)]
        codes = await self.session(run)
        self.assertEqual(codes, ["425", "226", "200"])

    async def test_abortWithoutTransferPipelined(self):
        """
        C{TYPE I}, C{PASV} and C{ABOR} in one write, with no transfer: each
        is answered in order, C{ABOR} with C{225}.
        """
        def run(ftp):
            ftp.sock.sendall(b"TYPE I\r\nPASV\r\nABOR\r\nNOOP\r\n")
            return [ftp.getmultiline()[:3] for _ in range(4)]
        codes = await self.session(run)
        self.assertEqual(codes, ["200", "227", "225", "200"])

    async def test_quitDuringTransferAnswersAfter(self):
        def run(ftp):
            ftp.sendcmd("TYPE I")
            conn = ftp.transfercmd("RETR big.bin")
            ftp.putcmd("QUIT")
            # Deliberate: the QUIT is meant to arrive during the transfer;
            # the server answers nothing before it ends.
            time.sleep(0.2)
            total = _bytesToEnd(conn)
            return total, ftp.getresp(), ftp.getresp()
        total, first, second = await self.session(run)
        self.assertEqual(total, len(self.big))
        self.assertTrue(first.startswith("226"), first)
        self.assertTrue(second.startswith("221"), second)

    async def test_hash(self):
        def run(ftp):
            sha = ftp.sendcmd("HASH big.bin")
            ftp.sendcmd("OPTS HASH MD5")
            md5 = ftp.sendcmd("HASH text.txt")
            return sha, md5
        sha, md5 = await self.session(run)
        self.assertEqual(
            sha, "213 SHA-256 0-%d %s /big.bin"
            % (len(self.big), hashlib.sha256(self.big).hexdigest()))
        self.assertEqual(md5, "213 MD5 0-14 %s /text.txt"
                         % hashlib.md5(b"one\ntwo\nthree\n").hexdigest())

    async def test_hashSHA512(self):
        """
        SHA-512, which the docs offer through C{OPTS HASH}, is in FEAT's
        HASH line and checksums a file.
        """
        def run(ftp):
            feat = ftp.sendcmd("FEAT")
            chosen = ftp.sendcmd("OPTS HASH SHA-512")
            return feat, chosen, ftp.sendcmd("HASH big.bin")
        feat, chosen, digest = await self.session(run)
        self.assertIn(" HASH SHA-256*;SHA-512;SHA-1;MD5\n", feat)
        self.assertEqual(chosen, "200 SHA-512")
        self.assertEqual(
            digest, "213 SHA-512 0-%d %s /big.bin"
            % (len(self.big), hashlib.sha512(self.big).hexdigest()))

    async def test_listVariants(self):
        os.makedirs(os.path.join(self.root, "sub"))
        with open(os.path.join(self.root, "sub", "inner.txt"), "wb") as f:
            f.write(b"x")

        def run(ftp):
            la, single, nl = [], [], []
            ftp.retrlines("LIST -la", la.append)
            ftp.retrlines("LIST text.txt", single.append)
            ftp.retrlines("NLST sub", nl.append)
            return la, single, nl
        la, single, nl = await self.session(run)
        self.assertEqual(len(la), 3)
        self.assertEqual(len(single), 1)
        self.assertTrue(single[0].endswith(" text.txt"))
        self.assertEqual(nl, ["sub/inner.txt"])

    async def nlstOfSub(self):
        """
        Make C{sub/inner.txt}, then C{NLST sub}.

        @return: the names listed.
        """
        os.makedirs(os.path.join(self.root, "sub"))
        with open(os.path.join(self.root, "sub", "inner.txt"), "wb") as f:
            f.write(b"x")
        return await self.session(lambda ftp: ftp.nlst("sub"))

    async def test_nlstNamesOnly(self):
        """
        C{NLST} of a directory names its entries without describing each
        (no C{stat} per entry): it works even when describing fails.
        """
        from ftpkit.shells import disklistings

        def noDescriptions(iterator, follow, limit=None):
            raise AssertionError("NLST described an entry")
        self.patch(disklistings, "readStats", noDescriptions)
        self.assertEqual(await self.nlstOfSub(), ["sub/inner.txt"])

    async def test_nlstWithoutNames(self):
        """
        With a shell that cannot name entries alone, C{NLST} takes the
        names of its full listing.
        """
        from zope.interface import Interface

        from ftpkit.control.handlers import listed

        class INobody(Interface):
            """Provided by no shell."""
        self.patch(listed, "IFTPShellNames", INobody)
        self.assertEqual(await self.nlstOfSub(), ["sub/inner.txt"])

    async def test_pasvRefusedOnIPv6(self):
        if not hasIPv6():
            raise unittest.SkipTest("no IPv6 loopback")
        server = self.startServer(FilesystemRealm(self.root), interface="::1")

        def run():
            ftp = ftplibLogin(self, server.port, host="::1", timeout=20)
            try:
                ftp.sendcmd("PASV")
            except ftplib.error_perm as e:
                refused = str(e)
            out = io.BytesIO()
            ftp.retrbinary("RETR text.txt", out.write)
            ftp.close()
            return refused, out.getvalue()
        refused, data = await self.inThread(run)
        self.assertTrue(refused.startswith("522"), refused)
        self.assertEqual(data, b"one\ntwo\nthree\n")


class SiteChmodTests(LoopbackServerMixin, unittest.TestCase):
    """
    C{SITE CHMOD} on the filesystem shell.
    """

    timeout = 60

    def setUp(self):
        self.base = os.path.abspath(self.mktemp())
        self.root = os.path.join(self.base, "root")
        os.makedirs(self.root)
        self.outside = os.path.join(self.base, "outside.txt")
        for path in (os.path.join(self.root, "f.txt"), self.outside):
            with open(path, "wb") as f:
                f.write(b"x")
            os.chmod(path, 0o644)
        os.symlink(self.outside, os.path.join(self.root, "escape"))
        self.server = self.startServer(FilesystemRealm(self.root))

    def replies(self, user, password, commands):
        def run():
            ftp = ftplibLogin(self, self.server.port, user, password,
                              timeout=20)
            result = []
            for command in commands:
                try:
                    result.append(ftp.sendcmd(command)[:3])
                except ftplib.Error as e:
                    result.append(str(e)[:3])
            ftp.close()
            return result
        return self.inThread(run)

    async def test_chmod(self):
        codes = await self.replies("alice", "secret", [
            "SITE CHMOD 600 f.txt", "SITE CHMOD 7777 f.txt",
            "SITE CHMOD 9 f.txt", "SITE CHMOD 600", "SITE CHMOD 600 nope",
            "SITE CHMOD 777 escape", "SITE HELP", "SITE NOPE"])
        self.assertEqual(codes, ["200", "501", "501", "501", "550", "550",
                                 "214", "500"])
        mode = os.stat(os.path.join(self.root, "f.txt")).st_mode & 0o777
        self.assertEqual(mode, 0o600)
        self.assertEqual(os.stat(self.outside).st_mode & 0o777, 0o644)

    async def test_anonymousRefused(self):
        codes = await self.replies("anonymous", "a@b",
                                   ["SITE CHMOD 777 f.txt"])
        self.assertEqual(codes, ["550"])
        mode = os.stat(os.path.join(self.root, "f.txt")).st_mode & 0o777
        self.assertEqual(mode, 0o644)
