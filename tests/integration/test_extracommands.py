"""
ProFTPD's extra commands on a real server over the filesystem shell, from
ftplib, curl's C{--quote} and lftp's C{quote}: the X-verbs (C{XCRC},
C{XMD5}, C{XSHA1}, C{XSHA256}, C{XSHA512}), C{SITE UTIME} and C{AVBL}.
"""

import ftplib
import hashlib
import io
import os
import shutil
import zlib

from twisted.internet import utils
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from tests.ftpclient import ftplibLogin
from tests.scratch import scratchDirectory
from tests.usersfiles import startUsersServer

CURL = shutil.which("curl")
LFTP = shutil.which("lftp")


class DigestServerMixin(LoopbackServerMixin):
    """
    A filesystem server whose root holds C{data.bin} (a few MiB, so that
    the disk shell checksums it in several steps), C{a b.txt}, a
    directory and a FIFO.
    """

    timeout = 60

    def setUp(self):
        self.root = scratchDirectory(self)
        self.data = os.urandom(3 * 1024 * 1024 + 7)
        with open(os.path.join(self.root, "data.bin"), "wb") as f:
            f.write(self.data)
        with open(os.path.join(self.root, "a b.txt"), "wb") as f:
            f.write(b"spaced\n")
        os.mkdir(os.path.join(self.root, "dir"))
        if hasattr(os, "mkfifo"):
            os.mkfifo(os.path.join(self.root, "pipe"))
        self.server = self.startServer(FilesystemRealm(self.root),
                                       ServerConfig(loginFailureDelay=0))

    def session(self, function):
        """
        Run C{function(ftp)} in a thread with a logged-in ftplib client.
        """
        def run():
            ftp = ftplibLogin(self, self.server.port, timeout=20)
            result = function(ftp)
            ftp.close()
            return result
        return self.inThread(run)


def _send(ftp, line):
    """
    @return: the reply to C{line}, an error's text included.
    """
    try:
        return ftp.sendcmd(line)
    except ftplib.Error as e:
        return str(e)


class FtplibTests(DigestServerMixin, unittest.TestCase):
    """
    ftplib's C{sendcmd}, as a script checking uploads would.
    """

    async def test_everyVerb(self):
        """
        Each verb's C{250} carries the digest of the whole file.
        """
        def run(ftp):
            return [ftp.sendcmd(verb + " data.bin") for verb in (
                "XCRC", "XMD5", "XSHA1", "XSHA256", "XSHA512", "XSHA")]
        replies = await self.session(run)
        self.assertEqual(replies, ["250 " + digest.upper() for digest in (
            "%08x" % zlib.crc32(self.data),
            hashlib.md5(self.data).hexdigest(),
            hashlib.sha1(self.data).hexdigest(),
            hashlib.sha256(self.data).hexdigest(),
            hashlib.sha512(self.data).hexdigest(),
            hashlib.sha1(self.data).hexdigest())])

    async def test_rangesAndQuotes(self):
        """
        A range spanning the disk shell's steps, and a quoted name with a
        space (as WinSCP sends it).
        """
        def run(ftp):
            return (ftp.sendcmd("XSHA256 data.bin 5 %d" % (len(self.data) - 1)),
                    ftp.sendcmd('XMD5 "a b.txt"'),
                    ftp.sendcmd("XMD5 /a b.txt"))
        ranged, quoted, bare = await self.session(run)
        self.assertEqual(ranged, "250 " + hashlib.sha256(
            self.data[5:-1]).hexdigest().upper())
        expected = "250 " + hashlib.md5(b"spaced\n").hexdigest().upper()
        self.assertEqual((quoted, bare), (expected, expected))

    async def test_refusals(self):
        """
        A directory, a FIFO (never opened: nothing blocks) and a missing
        file get C{550}; a range past the end C{501}.
        """
        def run(ftp):
            return [_send(ftp, line)[:4] for line in (
                "XMD5 dir", "XCRC pipe", "XSHA1 missing",
                "XSHA1 data.bin 0 %d" % (len(self.data) + 1))]
        codes = await self.session(run)
        self.assertEqual(codes, ["550 ", "550 ", "550 ", "501 "])

    async def test_featAndHelp(self):
        """
        C{FEAT} lists the verbs and C{HELP} knows them.
        """
        def run(ftp):
            return ftp.sendcmd("FEAT"), ftp.sendcmd("HELP XSHA512")
        feat, helped = await self.session(run)
        features = {line.strip() for line in feat.splitlines()[1:-1]}
        self.assertTrue({"XCRC", "XMD5", "XSHA", "XSHA1", "XSHA256",
                         "XSHA512"} <= features, features)
        self.assertEqual(
            helped, "214 Syntax: XSHA512 <sp> pathname [<sp> start <sp> end]")


class SiteUtimeTests(DigestServerMixin, unittest.TestCase):
    """
    C{SITE UTIME} sets the file's modification time on disk.
    """

    def mtime(self, name):
        return os.stat(os.path.join(self.root, name)).st_mtime

    async def test_bothForms(self):
        def run(ftp):
            return (ftp.sendcmd("SITE UTIME 20040224083655 a b.txt"),
                    ftp.sendcmd("SITE UTIME data.bin 20200101000000 "
                                "200402240836 20200101000000 UTC"),
                    ftp.sendcmd("MDTM data.bin"))
        first, second, mdtm = await self.session(run)
        self.assertEqual((first, second), (
            "200 SITE UTIME command successful; Modify=20040224083655",
            "200 SITE UTIME command successful; Modify=20040224083600"))
        self.assertEqual(self.mtime("a b.txt"), 1077611815)
        self.assertEqual(self.mtime("data.bin"), 1077611760)
        self.assertEqual(mdtm, "213 20040224083600")

    async def test_refusals(self):
        def run(ftp):
            return [_send(ftp, line)[:4] for line in (
                "SITE UTIME 200402240836 dir",
                "SITE UTIME 200402240836 missing", "SITE UTIME 2004 a b.txt",
                "SITE UTIME")]
        codes = await self.session(run)
        # A directory's time is set, as ProFTPD's mod_site_misc does.
        self.assertEqual(codes, ["200 ", "550 ", "501 ", "501 "])
        self.assertEqual(self.mtime("dir"), 1077611760)

    async def test_anonymousRefused(self):
        def run():
            ftp = ftplibLogin(self, self.server.port, "anonymous",
                              "anonymous@", timeout=20)
            reply = _send(ftp, "SITE UTIME 200402240836 a b.txt")
            ftp.close()
            return reply
        before = self.mtime("a b.txt")
        reply = await self.inThread(run)
        self.assertEqual(reply[:4], "550 ")
        self.assertEqual(self.mtime("a b.txt"), before)


class AvblTests(DigestServerMixin, unittest.TestCase):
    """
    C{AVBL} on the disk, and under a users file's quota.
    """

    async def test_disk(self):
        """
        The room of the disk holding the root, as C{statvfs} gives it
        (others write to this disk meanwhile: compared within a GiB); a
        file is refused.
        """
        def run(ftp):
            return (ftp.sendcmd("FEAT"), ftp.sendcmd("AVBL"),
                    ftp.sendcmd("AVBL /dir"), _send(ftp, "AVBL data.bin"))
        feat, here, named, onFile = await self.session(run)
        self.assertIn("\n AVBL\n", feat)
        result = os.statvfs(self.root)
        for reply in (here, named):
            code, room = reply.split()
            self.assertEqual(code, "213")
            self.assertLess(abs(int(room) - result.f_bavail * result.f_frsize),
                            2**30)
        self.assertEqual(onFile[:4], "550 ")

    async def test_quota(self):
        """
        A user's quota, smaller than the disk, is what bounds the room;
        an upload takes its bytes off.
        """
        root = scratchDirectory(self)
        os.makedirs(os.path.join(root, "alice"))
        server = startUsersServer(
            self, root, '[users.alice]\npermissions = ["list", "read",'
            ' "write"]\nquota = 1000000\n', {"alice": "pw"})

        def client():
            ftp = ftplibLogin(self, server.port, "alice", "pw")
            before = ftp.sendcmd("AVBL")
            ftp.storbinary("STOR up.bin", io.BytesIO(b"u" * 100000))
            after = ftp.sendcmd("AVBL")
            ftp.close()
            return before, after

        before, after = await self.inThread(client)
        self.assertEqual(before, "213 1000000")
        self.assertLessEqual(int(after.split()[1]), 900000)


class CurlTests(DigestServerMixin, unittest.TestCase):
    """
    curl's C{--quote}: a C{250} lets the command line go on.
    """

    if CURL is None:
        skip = "curl is not installed"

    async def test_quote(self):
        out, err, code = await utils.getProcessOutputAndValue(
            CURL, ["-sS", "-v", "--max-time", "30", "-u", "alice:secret",
                   "-Q", "XMD5 data.bin", "-Q", "XCRC data.bin",
                   "ftp://127.0.0.1:%d/" % self.server.port],
            env=os.environ)
        self.assertEqual(code, 0, err)
        self.assertIn(b"< 250 " + hashlib.md5(
            self.data).hexdigest().upper().encode(), err)
        self.assertIn(b"< 250 %08X" % zlib.crc32(self.data), err)

    async def test_quoteUtime(self):
        """
        curl's C{-Q "SITE UTIME ..."} gets its C{200}.
        """
        out, err, code = await utils.getProcessOutputAndValue(
            CURL, ["-sS", "--max-time", "30", "-u", "alice:secret",
                   "-Q", "SITE UTIME 200402240836 data.bin",
                   "ftp://127.0.0.1:%d/" % self.server.port],
            env=os.environ)
        self.assertEqual(code, 0, err)
        self.assertEqual(
            os.stat(os.path.join(self.root, "data.bin")).st_mtime, 1077611760)

    async def test_quoteAvbl(self):
        """
        curl's C{-Q AVBL} gets its C{213}.
        """
        out, err, code = await utils.getProcessOutputAndValue(
            CURL, ["-sS", "-v", "--max-time", "30", "-u", "alice:secret",
                   "-Q", "AVBL", "ftp://127.0.0.1:%d/" % self.server.port],
            env=os.environ)
        self.assertEqual(code, 0, err)
        self.assertRegex(err, rb"< 213 [0-9]+\r?\n")

    async def test_quoteRefused(self):
        """
        A C{550} makes curl fail, as for any refused quote command.
        """
        out, err, code = await utils.getProcessOutputAndValue(
            CURL, ["-sS", "--max-time", "30", "-u", "alice:secret",
                   "-Q", "XMD5 dir", "ftp://127.0.0.1:%d/" % self.server.port],
            env=os.environ)
        self.assertNotEqual(code, 0)
        self.assertIn(b"550", err)


class LftpTests(DigestServerMixin, unittest.TestCase):
    """
    lftp's C{quote} prints the reply.
    """

    if LFTP is None:
        skip = "lftp is not installed"

    async def test_quote(self):
        commands = ("set cmd:fail-exit yes; set ftp:ssl-allow no; "
                    "set net:max-retries 1; set net:timeout 20; "
                    'quote XSHA256 "a b.txt"; '
                    "quote SITE UTIME 200402240836 a b.txt; quote AVBL dir; "
                    "quit")
        out, err, code = await utils.getProcessOutputAndValue(
            LFTP, ["-u", "alice,secret", "-p", str(self.server.port), "-e",
                   commands, "127.0.0.1"], env=os.environ)
        self.assertEqual(code, 0, err)
        self.assertIn(hashlib.sha256(b"spaced\n").hexdigest().upper().encode(),
                      out)
        self.assertIn(b"200 SITE UTIME command successful; "
                      b"Modify=20040224083600", out)
        self.assertRegex(out, rb"213 [0-9]+")
        self.assertEqual(
            os.stat(os.path.join(self.root, "a b.txt")).st_mtime, 1077611760)
