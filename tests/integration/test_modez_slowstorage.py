"""
C{MODE Z} uploads into slow storage, with a real client: a shell whose
writes take time in proportion to their size (as a remote store's do).
A small stream that inflates to many megabytes was inflated whole into
one write held in memory, while the data connection stayed paused: the
watchdog took the server's own pause for the client's silence (C{426}
after C{--data-timeout}), and an C{ABOR} or a drain waited for that
whole write to end.
"""

import ftplib
import threading
import zlib

from twisted.internet import reactor
from twisted.internet.task import deferLater
from twisted.trial import unittest
from zope.interface import implementer

from ftpkit.config import ServerConfig
from ftpkit.interfaces import IRandomWriteFile
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.realms import SharedShellRealm
from ftpkit.shells.adapters import WRITE_SIZE, writeFileFor
from ftpkit.shells.memory import MemoryShell
from tests.deflateclient import storRaw
from tests.ftpclient import ftplibLogin
from tests.logevents import captureLogs

RATE = 4 * WRITE_SIZE
"""The bytes the slow storage writes a second."""

INFLATED = 16 * WRITE_SIZE
"""The size of the file the client's small stream inflates to: one write
of it takes the storage four seconds, four times the data timeout."""


@implementer(IRandomWriteFile)
class _SlowWriteFile:
    """
    A random write file whose writes take C{len(data) / RATE} seconds,
    handing its bytes to the memory shell's file at C{close}.

    @ivar writes: the size of each write so far.
    """

    def __init__(self, opened, shell):
        self._opened = writeFileFor(opened)
        self._shell = shell
        self._data = bytearray()
        self.writes = []

    def writeAt(self, offset, data):
        self.writes.append(len(data))
        if len(self.writes) == 2:
            self._shell.writing.set()
        return deferLater(reactor, len(data) / RATE, self._data.extend, data)

    def close(self):
        receiving = self._opened.receive()
        receiving.addCallback(lambda consumer: consumer.write(
            bytes(self._data)))
        return receiving.addCallback(lambda ignored: self._opened.close())

    def abort(self):
        return self._opened.abort()


class _SlowStorageShell(MemoryShell):
    """
    A L{MemoryShell} whose uploads are written by L{_SlowWriteFile}s.

    @ivar files: the files opened for writing.
    @ivar writing: set once an upload's second write started.
    """

    def __init__(self):
        MemoryShell.__init__(self)
        self.files = []
        self.writing = threading.Event()

    def _slow(self, opened):
        self.files.append(_SlowWriteFile(opened, self))
        return self.files[-1]

    def openForWriting(self, path, offset=0, append=False):
        return MemoryShell.openForWriting(
            self, path, offset, append).addCallback(self._slow)

    def openForCreating(self, path):
        return MemoryShell.openForCreating(self, path).addCallback(self._slow)


class SlowStorageTests(LoopbackServerMixin, unittest.TestCase):
    """
    A C{MODE Z} upload of a small stream inflating to L{INFLATED} bytes,
    into L{_SlowStorageShell}.
    """

    def setUp(self):
        self.shell = _SlowStorageShell()
        self.events = captureLogs(self)
        self.server = self.startServer(
            SharedShellRealm(self.shell), ServerConfig(modeZ=True, dataTimeout=1.0),
            anonymous=False, users={"alice": "pw"})
        self.stream = zlib.compress(b"\0" * INFLATED, 9)

    def login(self):
        ftp = ftplibLogin(self, self.server.port, "alice", "pw", timeout=60)
        ftp.voidcmd("TYPE I")
        ftp.voidcmd("MODE Z")
        return ftp

    def test_heldIsNotIdle(self):
        """
        The upload completes, however much longer than the data timeout
        the storage takes: the client was held, not idle. Each write to
        the storage is less than L{WRITE_SIZE} and one inflated chunk.
        """
        def client():
            ftp = self.login()
            try:
                reply = storRaw(ftp, "STOR bomb", self.stream)
            except ftplib.Error as e:
                reply = str(e)
            size = ftp.size("bomb")
            ftp.quit()
            return reply, size

        def check(outcome):
            self.assertEqual(outcome, ("226 Transfer complete", INFLATED))
            self.assertLess(max(self.shell.files[0].writes),
                            2 * WRITE_SIZE)

        return self.inThread(client).addCallback(check)

    def test_aborPrompt(self):
        """
        C{ABOR} during the upload is answered once the write in flight
        ends: the storage wrote far less than the whole inflation by
        then, and the server did not give up waiting for the file.
        """
        def client():
            ftp = self.login()
            connection = ftp.transfercmd("STOR bomb")
            connection.sendall(self.stream)
            self.assertTrue(self.shell.writing.wait(60))
            ftp.putcmd("ABOR")
            replies = [ftp.getline()[:3], ftp.getline()[:3]]
            written = sum(self.shell.files[0].writes)
            connection.close()
            ftp.quit()
            return replies, written

        def check(outcome):
            replies, written = outcome
            self.assertEqual(replies, ["426", "226"])
            self.assertLess(written, INFLATED // 2)
            self.assertFalse([
                event for event in self.events
                if "did not end its aborted upload"
                in event.get("log_format", "")])

        return self.inThread(client).addCallback(check)
