"""
Tests for the end of a paced transfer (L{ftpkit.data.movers.pacing.Pacer.owed},
L{ftpkit.data.movers.pacing.Pacer.ended}): over loopback, a transfer of a
burst or two lasts at least its size over the rate, to its data connection's end
(a download) or its C{226} (an upload); on a fake clock, the wait, and an
C{abort} cutting it short.

The lower bounds here cannot fail on a slow machine (load only makes a
transfer slower): the server starts its count when the command reaches it,
after the client started its own.
"""

import io
import os
import time

from twisted.internet.task import Clock
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.data.movers import Download, Upload
from ftpkit.data.movers.pacing import Pacer, RateLimit, storedEnded
from ftpkit.errors import TransferAborted
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.ops import events
from tests.ftpclient import ftplibLogin
from tests.polling import waitFor
from tests.scratch import scratchDirectory


class ShortTransferTests(LoopbackServerMixin, unittest.TestCase):
    """
    A paced transfer no longer than its first burst went at once, and one
    of a few bursts beat its rate by one burst: C{--max-download-rate 1K}
    sent a 1 KiB file (and a 4 KiB one) at once, and C{8K} an 8 KiB file
    in half a second.
    """

    def setUp(self):
        self.root = scratchDirectory(self)

    def timed(self, rate, command):
        """
        @param rate: the server's download and upload rate.
        @param command: called with a logged-in ftplib client in TYPE I.
        @return: a Deferred firing with the seconds C{command} took.
        """
        server = self.startServer(FilesystemRealm(self.root),
                                  ServerConfig(maxDownloadRate=rate,
                                               maxUploadRate=rate))

        def run():
            ftp = ftplibLogin(self, server.port)
            ftp.voidcmd("TYPE I")
            started = time.monotonic()
            command(ftp)
            elapsed = time.monotonic() - started
            ftp.quit()
            return elapsed
        return self.inThread(run)

    async def download(self, rate, size):
        """
        Assert a download of C{size} bytes at C{rate} lasts, to its data
        connection's end, at least C{size / rate} seconds.
        """
        payload = os.urandom(size)
        with open(os.path.join(self.root, "f.bin"), "wb") as f:
            f.write(payload)
        received = []
        ends = []

        def fetch(ftp):
            started = time.monotonic()
            with ftp.transfercmd("RETR f.bin") as connection:
                while data := connection.recv(65536):
                    received.append(data)
                ends.append(time.monotonic() - started)
            ftp.voidresp()
        await self.timed(rate, fetch)
        self.assertEqual(b"".join(received), payload)
        self.assertGreaterEqual(ends[0], size / rate)

    async def upload(self, rate, size):
        """
        Assert an upload of C{size} bytes at C{rate} lasts, to its C{226},
        at least C{size / rate} seconds.
        """
        payload = os.urandom(size)
        elapsed = await self.timed(
            rate, lambda ftp: ftp.storbinary("STOR up.bin",
                                             io.BytesIO(payload)))
        with open(os.path.join(self.root, "up.bin"), "rb") as f:
            self.assertEqual(f.read(), payload)
        self.assertGreaterEqual(elapsed, size / rate)

    async def test_downloadOfOneBurst(self):
        """
        A 1 KiB download at 1 KiB a second lasts a second.
        """
        await self.download(1024, 1024)

    async def test_downloadOfTwoBursts(self):
        """
        An 8 KiB download at 8 KiB a second lasts a second.
        """
        await self.download(8192, 8192)

    async def test_uploadOfOneBurst(self):
        """
        A 1 KiB upload at 1 KiB a second lasts a second.
        """
        await self.upload(1024, 1024)

    async def test_uploadOfTwoBursts(self):
        """
        An 8 KiB upload at 8 KiB a second lasts a second.
        """
        await self.upload(8192, 8192)

    async def test_aborDuringTheEnd(self):
        """
        C{ABOR} once every byte of a download came, while its end waits
        for its rate (a second, for a 1 KiB file at 1 KiB a second),
        aborts it as it would any transfer under way, whose data's end
        was not sent: C{426}, then the C{ABOR}'s C{226} (a transfer ended
        on its arrival; with nothing to abort, C{225}). The client has
        every byte and the data's end (the abort closes in order).
        """
        with open(os.path.join(self.root, "f.bin"), "wb") as f:
            f.write(b"x" * 1024)
        replies = []

        def abort(ftp):
            connection = ftp.transfercmd("RETR f.bin")
            got = b""
            while len(got) < 1024:
                got += connection.recv(65536)
            ftp.sock.sendall(b"ABOR\r\n")
            self.assertEqual(connection.recv(1), b"")
            connection.close()
            replies.append(ftp.getline())
            replies.append(ftp.getline())
        await self.timed(1024, abort)
        self.assertEqual([reply[:3] for reply in replies], ["426", "226"])


class LeftDuringTheEndTests(LoopbackServerMixin, unittest.TestCase):
    """
    A client that read every byte of a paced download and left (its
    control connection closed) while the download's end waits for its
    rate does not cut it.
    """

    async def test_completes(self):
        """
        The download's transfer event says C{226}, the client long gone.
        """
        root = scratchDirectory(self)
        with open(os.path.join(root, "f.bin"), "wb") as f:
            f.write(b"x" * 1024)
        server = self.startServer(FilesystemRealm(root),
                                  ServerConfig(maxDownloadRate=1024))
        hub = events.EventHub()
        ended = []
        hub.subscribe(ended.append, [events.TRANSFER])
        server.factory.events = hub

        def leave():
            ftp = ftplibLogin(self, server.port, binary=True)
            connection = ftp.transfercmd("RETR f.bin")
            got = b""
            while len(got) < 1024:
                got += connection.recv(65536)
            ftp.close()
            self.assertEqual(connection.recv(1), b"")
            connection.close()
        await self.inThread(leave)
        self.assertTrue(await waitFor(lambda: ended, 10))
        self.assertEqual(ended[0].code, 226)


class StoredDuringTheEndTests(LoopbackServerMixin, unittest.TestCase):
    """
    An upload whose every byte came (its data connection closed in order)
    while its C{226} waits for its rate is complete: an C{ABOR}, or the
    client leaving, meanwhile does not cut it. It did (tester56b): C{426},
    the file stored in clear but logged incomplete, an C{APPE}'s bytes
    appended though the client was told C{426}, a TLS upload hidden as a
    partial one.
    """

    def setUp(self):
        self.root = scratchDirectory(self)
        self.server = self.startServer(
            FilesystemRealm(self.root), ServerConfig(maxUploadRate=1024))
        hub = events.EventHub()
        self.ended = []
        hub.subscribe(self.ended.append, [events.TRANSFER])
        self.server.factory.events = hub

    def sent(self, ftp, command):
        """
        Send 1,000 bytes with C{command} (less than a burst: the server
        reads them and the data's end at once) and close the data
        connection, in order.
        """
        connection = ftp.transfercmd(command)
        connection.sendall(b"y" * 1000)
        connection.close()

    def whenHolding(self, size):
        """
        Wait (in a thread) until C{up.bin} holds C{size} bytes: the
        server read the upload's every byte (in clear, written to the
        file as it comes).
        """
        path = os.path.join(self.root, "up.bin")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if os.path.exists(path) and os.path.getsize(path) == size:
                return
            time.sleep(0.01)

    async def aborted(self, command, size):
        """
        @param command: C{STOR} or C{APPE} of C{up.bin}.
        @param size: what C{up.bin} holds once the upload came.
        @return: the replies to C{command} and to an C{ABOR} sent during
            its end's wait (unless a loaded machine let the wait end
            first), their codes.
        """
        def abort():
            ftp = ftplibLogin(self, self.server.port, binary=True)
            self.sent(ftp, command)
            self.whenHolding(size)
            ftp.sock.sendall(b"ABOR\r\n")
            replies = [ftp.getline()[:3], ftp.getline()[:3]]
            ftp.quit()
            return replies
        return await self.inThread(abort)

    async def test_aborStored(self):
        """
        C{ABOR} during the wait: the C{STOR} replies C{226}, its file
        stored, its transfer event complete.
        """
        replies = await self.aborted("STOR up.bin", 1000)
        self.assertEqual(replies[0], "226")
        self.assertEqual(replies[1], "225")
        with open(os.path.join(self.root, "up.bin"), "rb") as f:
            self.assertEqual(f.read(), b"y" * 1000)
        self.assertTrue(await waitFor(lambda: self.ended, 10))
        self.assertEqual(self.ended[0].code, 226)

    async def test_aborAppendedOnce(self):
        """
        C{ABOR} during an C{APPE}'s wait: C{226}, its bytes appended once.
        """
        with open(os.path.join(self.root, "up.bin"), "wb") as f:
            f.write(b"x" * 1000)
        replies = await self.aborted("APPE up.bin", 2000)
        self.assertEqual(replies[0], "226")
        with open(os.path.join(self.root, "up.bin"), "rb") as f:
            self.assertEqual(f.read(), b"x" * 1000 + b"y" * 1000)

    async def test_leftStored(self):
        """
        The client gone during the wait: its upload is stored and logged
        complete.
        """
        def leave():
            ftp = ftplibLogin(self, self.server.port, binary=True)
            self.sent(ftp, "STOR up.bin")
            ftp.close()
        await self.inThread(leave)
        self.assertTrue(await waitFor(lambda: self.ended, 10))
        self.assertEqual(self.ended[0].code, 226)
        with open(os.path.join(self.root, "up.bin"), "rb") as f:
            self.assertEqual(f.read(), b"y" * 1000)


class EndedTests(unittest.SynchronousTestCase):
    """
    L{Pacer.ended} on a fake clock, and a mover's C{abort} cutting it
    short.
    """

    def setUp(self):
        self.clock = Clock()
        self.pacer = Pacer([RateLimit(1024, self.clock)])

    def moved(self, count):
        """
        Have the pacer move C{count} bytes now.
        """
        self.assertEqual(self.pacer.allowance(count), count)
        self.pacer.spent(count)

    def test_waits(self):
        """
        A transfer that moved a second's worth at once ends a second after
        it began; one that took that long already ends at once.
        """
        self.moved(1024)
        ending = self.pacer.ended(self.clock)
        self.clock.advance(0.9)
        self.assertNoResult(ending)
        self.clock.advance(0.1)
        self.successResultOf(ending)
        self.assertIsNone(self.pacer.ended(self.clock))

    def test_nothingMoved(self):
        """
        A transfer that never asked owes nothing.
        """
        self.assertIsNone(self.pacer.ended(self.clock))

    def test_abortCutsShort(self):
        """
        A download's C{abort} ends the wait with L{TransferAborted}, and
        leaves no timer.
        """
        mover = Download(object(), True, self.clock, self.pacer)
        self.moved(1024)
        ending = self.pacer.ended(self.clock)
        mover.abort()
        self.failureResultOf(ending, TransferAborted)
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_storedNotCutShort(self):
        """
        An upload's C{abort} does not end the wait of its stored file's
        reply (L{storedEnded}): it fires once its time is over.
        """
        mover = Upload(object(), True, self.clock, self.pacer)
        self.moved(1024)
        ending = storedEnded(self.pacer, self.clock)
        mover.abort()
        self.clock.advance(0.9)
        self.assertNoResult(ending)
        self.clock.advance(0.1)
        self.successResultOf(ending)

    def test_storedOwingNothing(self):
        """
        An unpaced upload, or one that took its time, waits for nothing.
        """
        self.assertIsNone(storedEnded(None, self.clock))
        self.moved(1024)
        self.clock.advance(1)
        self.assertIsNone(storedEnded(self.pacer, self.clock))
