"""
The twenty-ninth attack sweep, over real loopback sockets.

A storage plugin whose upload file never stores what it received (its
C{close} never fires) held the upload's reply for ever: the transfer
was over, so its C{ABOR} waited its turn behind the upload, and so did
every command after it (C{QUIT} too), until the idle timeout closed the
session. C{ABOR} now ends that wait: the upload gets C{426}, the
C{ABOR} C{226}, and the session goes on (L{HungStoreTests}).
"""

import threading

from twisted.internet.defer import Deferred, succeed
from twisted.trial import unittest
from zope.interface import implementer

from ftpkit.interfaces import IRandomWriteFile
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.realms import SharedShellRealm
from ftpkit.shells.memory import MemoryShell
from tests.ftpclient import ftplibLogin
from tests.integration.test_plugin21 import logged


class HungStoreShell(MemoryShell):
    """
    A L{MemoryShell} whose uploads never get stored, as a storage whose
    last network call hangs.

    @ivar storing: a C{threading.Event} set once the server waits for
        the storage.
    @ivar closings: the Deferreds its files' C{close} gave.
    """

    def __init__(self):
        """
        A shell with no upload begun.
        """
        MemoryShell.__init__(self)
        self.storing = threading.Event()
        self.closings = []

    def openForWriting(self, path, offset=0, append=False):
        """
        See L{IFTPShell.openForWriting}: a L{HungStoreFile}.
        """
        return succeed(HungStoreFile(self))


@implementer(IRandomWriteFile)
class HungStoreFile:
    """
    An L{IRandomWriteFile} that never stores what it received.
    """

    def __init__(self, shell):
        """
        @param shell: the L{HungStoreShell} saying how, and told when.
        """
        self._shell = shell

    def writeAt(self, offset, data):
        """
        @return: a Deferred fired already.
        """
        return succeed(None)

    def close(self):
        """
        @return: a Deferred that never fires unless the test fires it
            (L{HungStoreShell.closings}).
        """
        closing = Deferred()
        self._shell.closings.append(closing)
        self._shell.storing.set()
        return closing

    def abort(self):
        """
        Nothing to drop.
        """


class HungStoreTests(LoopbackServerMixin, unittest.TestCase):
    """
    An upload whose storage never stores it does not take the session
    with it: C{ABOR} ends the wait.
    """

    def abortHungStore(self):
        """
        Upload a few bytes whole (the data connection closed in order),
        then, once the server waits for the storage, send C{ABOR},
        C{NOOP} and C{QUIT}.

        @return: a Deferred firing with the replies' codes.
        """
        shell = self.shell = HungStoreShell()
        server = self.startServer(SharedShellRealm(shell))

        def client():
            ftp = ftplibLogin(self, server.port, timeout=10, binary=True)
            connection = ftp.transfercmd("STOR g")
            connection.sendall(b"u" * 1000)
            connection.close()
            self.assertTrue(shell.storing.wait(5))
            ftp.putcmd("ABOR")
            replies = [ftp.getline()[:3], ftp.getline()[:3]]
            replies.append(ftp.sendcmd("NOOP")[:3])
            replies.append(ftp.sendcmd("QUIT")[:3])
            return replies

        return self.inThread(client)

    def test_closeNeverFires(self):
        """
        The file's C{close} does not fire: C{ABOR} gets the upload's 426
        and its 226 (it got nothing, the client's read timed out), and the
        session answers C{NOOP} and C{QUIT}. When the C{close} fires at
        last, one line says that the file is in place all the same.
        """
        events = logged(self)

        def storedLate(replies):
            self.assertEqual(replies, ["426", "226", "200", "221"])
            self.assertEqual(stored(), [])
            [closing] = self.shell.closings
            closing.callback(None)
            self.assertEqual(len(stored()), 1)

        def stored():
            return [event for event in events
                    if "after its ABOR" in event.get("log_format", "")]

        return self.abortHungStore().addCallback(storedLate)

