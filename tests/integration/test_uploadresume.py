"""
Real clients resume an upload cut by the client's death
(L{ftpkit.shells.uploads}'s partial uploads), over a loopback server.
"""

import ftplib
import io
import os
import signal
import subprocess
import time

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.shells import uploads
from tests.clientprograms import LFTP
from tests.cutuploads import killedUpload
from tests.ftpclient import ftplibLogin
from tests.scratch import readLocal, writeLocal
from tests.uploadroot import UploadRoot
from tests.uploadsinprogress import largestUpload


class ResumeClientTests(UploadRoot, LoopbackServerMixin, unittest.TestCase):
    """
    Real clients resume an upload cut by the client's death.
    """

    def setUp(self):
        self.makeRoot()
        self.server = self.startServer(FilesystemRealm(self.root))

    def uploaded(self):
        """
        @return: the bytes the largest upload under way holds.
        """
        return largestUpload(self.root) or 0

    def waitForPartial(self, name):
        """
        @return: a Deferred firing once the server kept C{name}'s partial
            upload.
        """
        from twisted.internet import reactor
        from twisted.internet.task import deferLater

        async def poll():
            for _ in range(500):
                if os.path.exists(self.partial(name)):
                    return
                await deferLater(reactor, 0.02, lambda: None)
            self.fail("no partial upload kept: %r" % (os.listdir(self.root),))
        return defer.ensureDeferred(poll())

    async def test_ftplibRestStor(self):
        """
        After a client died mid-upload, C{SIZE} gives what was kept and
        C{REST} + C{STOR} of the rest completes the file.
        """
        payload = os.urandom(3 << 20)
        await self.inThread(killedUpload, self.server.port, "big.bin",
                            payload[:1 << 20], self.uploaded)
        await self.waitForPartial(b"big.bin")

        def resume():
            ftp = ftplibLogin(self, self.server.port, binary=True)
            kept = ftp.size("big.bin")
            ftp.storbinary("STOR big.bin", io.BytesIO(payload[kept:]),
                           rest=kept)
            ftp.quit()
            return kept
        kept = await self.inThread(resume)
        self.assertGreater(kept, 0)
        self.assertEqual(readLocal(self.path(b"big.bin")), payload)
        self.assertEqual(os.listdir(self.root), [b"big.bin"])

    async def test_restStorEndsThere(self):
        """
        C{REST n} and C{STOR} keep the file's first C{n} bytes, then what
        the client sends, and end there: a longer file loses its tail
        (docs/protocol.rst, C{OPTS REST STOR}).
        """
        writeLocal(self.path(b"six.txt"), b"abcdef")

        def resume():
            ftp = ftplibLogin(self, self.server.port, binary=True)
            ftp.storbinary("STOR six.txt", io.BytesIO(b"XY"), rest=2)
            ftp.quit()
        await self.inThread(resume)
        self.assertEqual(readLocal(self.path(b"six.txt")), b"abXY")

    async def test_lftpRemoveAfterCutUpload(self):
        """
        After an upload into a directory was cut, lftp's C{rm -r} of the
        directory (which lists empty) removes it: its C{RMD} got C{550
        Directory not empty} for a day, as the cut upload was kept in it.
        """
        if LFTP is None:
            raise unittest.SkipTest("lftp is not installed")
        os.mkdir(self.path(b"d"))
        await self.inThread(killedUpload, self.server.port, "d/big.bin",
                            os.urandom(1 << 20), self.uploaded)
        await self.waitForPartial(b"d/big.bin")

        def remove():
            return subprocess.run(
                [LFTP, "-c", "set net:max-retries 1; set cmd:fail-exit yes; "
                 "open ftp://alice:secret@127.0.0.1:%d; rm -r d"
                 % (self.server.port,)],
                capture_output=True, timeout=60)
        done = await self.inThread(remove)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(os.listdir(self.root), [])

    async def test_lftpPutContinue(self):
        """
        lftp killed mid-upload, then C{put -c}: the file completes,
        identical.
        """
        if LFTP is None:
            raise unittest.SkipTest("lftp is not installed")
        source = os.path.join(self.root, b"source.bin")
        payload = os.urandom(4 << 20)
        writeLocal(source, payload)
        target = "ftp://alice:secret@127.0.0.1:%d" % (self.server.port,)

        def killedMidway():
            lftp = subprocess.Popen(
                [LFTP, "-c", "set net:limit-rate 1M; set xfer:clobber on; "
                 "open %s; put %s -o up.bin"
                 % (target, os.fsdecode(source))],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 30
            while ((largestUpload(self.root) or 0) <= (256 << 10)
                   and time.monotonic() < deadline):
                time.sleep(0.02)
            lftp.send_signal(signal.SIGKILL)
            lftp.wait()

        await self.inThread(killedMidway)

        def kept():
            # The server saw the end of the data connection (and put the
            # file in place) or the end of the session (and kept the cut
            # upload): either way, SIZE says what to resume from.
            deadline = time.monotonic() + 30
            while (largestUpload(self.root) is not None
                   and time.monotonic() < deadline):
                time.sleep(0.02)
            ftp = ftplibLogin(self, self.server.port, binary=True)
            size = ftp.size("up.bin")
            ftp.quit()
            return size
        size = await self.inThread(kept)
        self.assertGreater(size, 0)
        self.assertLess(size, len(payload))

        def resume():
            return subprocess.run(
                [LFTP, "-c", "open %s; put -c %s -o up.bin"
                 % (target, os.fsdecode(source))],
                capture_output=True, timeout=60)
        done = await self.inThread(resume)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(readLocal(self.path(b"up.bin")), payload)
        self.assertIn(b"up.bin", os.listdir(self.root))
        self.assertEqual(sorted(os.listdir(self.root)),
                         [b"source.bin", b"up.bin"])


    async def test_reservedNamesRefused(self):
        """
        A client cannot name the files the server keeps uploads in: an
        upload to C{.ftpkit-partial.NAME} was taken as NAME's cut upload,
        so another user's resume of NAME continued (and published) it; the
        server's own partial uploads could be read, renamed and deleted.
        """
        writeLocal(self.partial(b"kept.bin"), b"kept")
        reserved = [uploads.PARTIAL_PREFIX.decode() + "new.bin",
                    uploads.PARTIAL_PREFIX.decode() + "kept.bin",
                    "sub/" + uploads.PARTIAL_PREFIX.decode() + "x",
                    uploads.TEMPORARY_PREFIX.decode() + "t.new.bin.tmp"]

        def client():
            ftp = ftplibLogin(self, self.server.port, binary=True)
            answers = []
            for name in reserved:
                for verb in ("STOR", "RETR", "SIZE", "DELE", "RNFR", "MKD"):
                    command = "%s %s" % (verb, name)
                    try:
                        if verb == "STOR":
                            ftp.storbinary(command, io.BytesIO(b"EVIL"))
                        elif verb == "RETR":
                            ftp.retrbinary(command, lambda data: None)
                        else:
                            ftp.sendcmd(command)
                        answers.append("ok " + command)
                    except ftplib.error_perm as e:
                        answers.append(str(e)[:3])
            try:
                size = ftp.sendcmd("SIZE new.bin")[:3]
            except ftplib.error_perm as e:
                size = str(e)[:3]
            ftp.quit()
            return answers, size

        answers, size = await self.inThread(client)
        # 553 (file name not allowed) to STOR, 550 to the others, which
        # RFC 959 gives no 553.
        self.assertEqual(answers,
                         ["553", "550", "550", "550", "550", "550"]
                         * len(reserved))
        self.assertEqual(size, "550")
        self.assertEqual(sorted(os.listdir(self.root)),
                         [uploads.PARTIAL_PREFIX + b"kept.bin"])
