"""
C{MODE Z} downloads sharing the reactor (the forty-sixth attack sweep):
two sessions downloading a compressible file in C{MODE Z} compress it in
the server's reactor thread, and no reactor turn may compress more than
L{ftpkit.data.movers._deflate.DEFLATE_INPUT} bytes of each, so that a
third session's commands are answered while they run. Each turn of the
server's reactor is marked by a call that schedules itself again
(C{callLater(0)} runs once a turn), and each call of the compressor
noted: the order of the two, not the time, is what is checked.
"""

import os
import threading
import zlib

from twisted.internet import reactor
from twisted.trial import unittest

from ftpkit.data.movers._deflate import DEFLATE_INPUT
from tests.deflateclient import retrDeflated
from tests.ftpclient import ftplibLogin
from tests.tlssupport import FTPSTestsMixin

SIZE = 6 << 20
"""The file downloaded: six disk reads of a megabyte."""


CUT = 24 << 20
"""The random file whose download is cut: more than the sockets' buffers
on loopback hold."""


class _Turns:
    """
    Marks each turn of the reactor in C{events} (C{("turn", 0)}) until
    L{stop}.
    """

    def __init__(self, events):
        self._events = events
        self._call = reactor.callLater(0, self._turn)

    def _turn(self):
        self._events.append(("turn", 0))
        self._call = reactor.callLater(0, self._turn)

    def stop(self):
        if self._call.active():
            self._call.cancel()


def _mostPerTurn(events):
    """
    @param events: C{(kind, bytes)}: C{"turn"}, C{"compress"} and others.
    @return: the most bytes compressed between two marks of a turn.
    """
    most = spent = 0
    for kind, count in events:
        if kind == "turn":
            spent = 0
        elif kind == "compress":
            spent += count
            most = max(most, spent)
    return most


class ModeZTurnsTests(FTPSTestsMixin, unittest.TestCase):
    """
    Two C{MODE Z} downloads and a session sending C{NOOP} meanwhile.
    """

    def setUp(self):
        FTPSTestsMixin.setUp(self)
        self.text = b"".join(b"line %d of a compressible file\n" % i
                             for i in range(SIZE // 20))[:SIZE]
        with open(os.path.join(self.root, "text.txt"), "wb") as f:
            f.write(self.text)
        self.events = []
        real = zlib.compressobj
        events = self.events

        class Noted:
            def __init__(self, level):
                self._compressor = real(level)

            def compress(self, data):
                events.append(("compress", len(data)))
                return self._compressor.compress(data)

            def flush(self):
                return self._compressor.flush()

        self.patch(zlib, "compressobj", Noted)

    def download(self, tls):
        """
        Download the text file in C{MODE Z} (blocking).

        @return: the inflated bytes and the final reply.
        """
        ftp = self.connect() if tls else ftplibLogin(
            self, self.server.port, timeout=30)
        if tls:
            ftp.prot_p()
        ftp.voidcmd("TYPE I")
        ftp.voidcmd("MODE Z")
        got, _, reply = retrDeflated(ftp, "RETR text.txt")
        ftp.quit()
        return got, reply

    def noops(self, done):
        """
        Send C{NOOP} until C{done} is set (blocking), noting each reply.

        @return: the replies' count.
        """
        ftp = ftplibLogin(self, self.server.port, timeout=30)
        count = 0
        while not done.is_set():
            ftp.voidcmd("NOOP")
            self.events.append(("noop", 0))
            count += 1
        ftp.quit()
        return count

    async def downloadsWithNoops(self, tls):
        """
        Run two downloads and a session sending C{NOOP} until both ended;
        check the bytes, the turns and that C{NOOP} was answered between
        the downloads' first and last compression.
        """
        self.serve(modeZ=True)
        done = threading.Event()
        noops = self.inThread(self.noops, done)
        turns = _Turns(self.events)
        self.addCleanup(turns.stop)
        try:
            results = [await download for download in
                       [self.inThread(self.download, tls) for _ in range(2)]]
        finally:
            done.set()
            turns.stop()
        self.assertGreater(await noops, 0)
        for got, reply in results:
            self.assertTrue(reply.startswith("226"), reply)
            self.assertEqual(got, self.text)
        self.assertLessEqual(_mostPerTurn(self.events), 4 * DEFLATE_INPUT)
        kinds = [kind for kind, _ in self.events]
        first = kinds.index("compress")
        last = len(kinds) - 1 - kinds[::-1].index("compress")
        self.assertIn("noop", kinds[first:last])

    def writeRandom(self):
        """
        Write L{CUT} random bytes to C{random.bin}.
        """
        with open(os.path.join(self.root, "random.bin"), "wb") as f:
            f.write(os.urandom(CUT))

    def cutDownload(self, how):
        """
        Start the download of L{CUT} random bytes in C{MODE Z}, read its
        first bytes, then send C{ABOR} (C{how} C{"abor"}) or close the data
        connection (C{"close"}): the compressed bytes, as many as the
        file's, fill the sockets' buffers and the server's, which pauses
        the compression, bytes held (blocking).

        @return: the replies to the C{RETR} (and C{ABOR}), then to a
            C{NOOP} after it.
        """
        ftp = ftplibLogin(self, self.server.port, timeout=30)
        ftp.voidcmd("TYPE I")
        ftp.voidcmd("MODE Z")
        conn = ftp.transfercmd("RETR random.bin")
        conn.recv(1000)
        if how == "abor":
            ftp.putcmd("ABOR")
            replies = [ftp.getline()]
            conn.close()
            replies.append(ftp.getline())
        else:
            conn.close()
            replies = [ftp.getline()]
        replies.append(ftp.sendcmd("NOOP"))
        ftp.quit()
        return replies

    async def test_abort(self):
        """
        C{ABOR} in the middle of a C{MODE Z} download, with bytes waiting
        in the compressor: C{426}, C{226}, and the session goes on.
        """
        self.writeRandom()
        self.serve(modeZ=True)
        replies = await self.inThread(self.cutDownload, "abor")
        self.assertEqual([reply[:3] for reply in replies],
                         ["426", "226", "200"])

    async def test_cut(self):
        """
        The client closing the data connection in the middle of a
        C{MODE Z} download: C{426}, and the session goes on.
        """
        self.writeRandom()
        self.serve(modeZ=True)
        replies = await self.inThread(self.cutDownload, "close")
        self.assertEqual([reply[:3] for reply in replies], ["426", "200"])

    async def test_clear(self):
        """
        In clear, no turn compresses more than L{DEFLATE_INPUT} bytes of
        each download (four: one download's allowance may be spent on
        each side of a turn's mark, in two turns), where a turn
        compressed each disk read of a megabyte whole.
        """
        await self.downloadsWithNoops(False)

    async def test_tls(self):
        """
        Under C{PROT P} too.
        """
        await self.downloadsWithNoops(True)
