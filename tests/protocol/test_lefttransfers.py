"""
Sessions whose client left (L{ftpkit.control.connectionlife}), on
L{StringTransport}s: one whose client closed its control connection
during an upload stays among the factory's C{openSessions}, C{leaving},
while a transfer a C{QUIT} waited for goes on, until it replies; one
whose transfer was cut when its client left without C{QUIT} (an upload,
a download not handed whole to its connection) leaves them at once (a
drain has nothing of it to wait for, no limit counts it).
"""

from twisted.internet.error import ConnectionDone
from twisted.python.failure import Failure
from twisted.trial import unittest

from ftpkit.testing import writeFile
from tests.lateends import LastByteSenderShell
from tests.memorysessions import connectActive, loggedIn


class LeftTransfersTests(unittest.TestCase):
    """
    C{STOR} over an active data connection, then the control connection
    closed with or without C{QUIT} before it.
    """

    def setUp(self):
        # Its downloads send only what their connection pulls: a
        # L{StringTransport} pulls nothing unless told.
        self.shell = LastByteSenderShell()
        self.protocol, self.transport = loggedIn(self.shell)
        self.factory = self.protocol.factory
        self.clock = self.factory.reactor

    def connectData(self):
        """
        Make the active data connection the last C{PORT} asked for, on a
        L{StringTransport}.

        @return: its protocol.
        """
        return connectActive(self.clock)

    def leave(self, quitting):
        """
        Start C{STOR /f} and send part of it, then (after a C{QUIT} if
        C{quitting}) close the control connection.

        @return: the data connection's protocol.
        """
        self.protocol.dataReceived(b"TYPE I\r\nPORT 10,0,0,1,8,0\r\n")
        self.protocol.dataReceived(b"STOR /f\r\n")
        data = self.connectData()
        data.dataReceived(b"abc")
        if quitting:
            self.protocol.dataReceived(b"QUIT\r\n")
        self.protocol.connectionLost(Failure(ConnectionDone()))
        self.clock.advance(0)
        return data

    def test_cutNotLeft(self):
        """
        Without C{QUIT} the upload is cut, and its session has left the
        factory's C{openSessions}.
        """
        self.leave(False)
        self.assertTrue(self.protocol.transfer.aborted)
        self.assertNotIn(self.protocol, self.factory.openSessions)

    def test_downloadUnsentCut(self):
        """
        Without C{QUIT}, a download with bytes not yet handed to its
        connection is cut (only one handed whole goes on:
        L{ftpkit.control.handlers.transferring.Transfer.clientLeft}).
        """
        self.successResultOf(writeFile(self.shell, ("g",), b"g" * 100000))
        self.protocol.dataReceived(b"TYPE I\r\nPORT 10,0,0,1,8,0\r\n")
        self.protocol.dataReceived(b"RETR /g\r\n")
        self.connectData()
        self.assertFalse(self.protocol.transfer.finishing)
        self.protocol.connectionLost(Failure(ConnectionDone()))
        self.clock.advance(0)
        self.assertTrue(self.protocol.transfer.aborted)
        self.assertNotIn(self.protocol, self.factory.openSessions)

    def test_quitLeftUntilReplied(self):
        """
        After C{QUIT} the upload goes on, its session among the factory's
        C{openSessions}, C{leaving}, until its data connection's end ends
        it (a L{StringTransport} cannot say its client finished: C{426}).
        """
        data = self.leave(True)
        self.assertIn(self.protocol, self.factory.openSessions)
        self.assertTrue(self.protocol.leaving)
        self.clock.advance(1)
        self.assertIn(self.protocol, self.factory.openSessions)
        data.connectionLost(Failure(ConnectionDone()))
        self.clock.pump([1] * 3)
        self.assertIsNone(self.protocol.transfer)
        self.assertNotIn(self.protocol, self.factory.openSessions)
