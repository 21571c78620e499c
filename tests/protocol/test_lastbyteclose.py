"""
A download whose client ends the data connection once it has every byte,
before the storage's send is over (L{tests.lateends}), on
L{StringTransport}s: C{226} when the connection ended in order with every
byte handed over, C{426} otherwise; and the judge of it,
L{Transfer.wholeSent}, with the movers' C{sentWhole} it asks.
"""

from twisted.internet import error
from twisted.internet.address import IPv4Address
from twisted.internet.testing import StringTransport
from twisted.python.failure import Failure
from twisted.trial import unittest

from ftpkit.control.handlers.transferring import Transfer
from ftpkit.data.movers import Upload
from ftpkit.testing import writeFile
from tests.lateends import LateEndFile, LateEndShell
from tests.memorysessions import loggedIn, replyCodes

PAYLOAD = b"p" * 50000


class ClientEndsFirstTests(unittest.TestCase):
    """
    C{RETR} over an active data connection on a L{StringTransport}, from a
    shell whose send is over a turn after the connection ended.
    """

    def setUp(self):
        shell = LateEndShell()
        self.successResultOf(writeFile(shell, ("f.bin",), PAYLOAD))
        self.protocol, self.transport = loggedIn(shell)
        self.clock = self.protocol.factory.reactor
        self.patch(LateEndFile, "clock", self.clock)

    def download(self, wanted, reason):
        """
        Send C{RETR}, have the data connection's transport pull C{wanted}
        bytes from the send, then end the connection for C{reason} (its
        producer stopped first, as a TCP transport does).

        @return: the replies' codes after C{RETR}'s C{150}, and the bytes
            the data connection was given.
        """
        self.protocol.dataReceived(b"TYPE I\r\nPORT 10,0,0,1,8,0\r\n")
        self.protocol.dataReceived(b"RETR /f.bin\r\n")
        factory = self.clock.tcpClients[-1][2]
        peer = IPv4Address("TCP", "10.0.0.1", 2048)
        data = factory.buildProtocol(peer)
        transport = StringTransport(peerAddress=peer)
        data.makeConnection(transport)
        while len(transport.value()) < wanted:
            transport.producer.resumeProducing()
        self.transport.clear()
        transport.producer.stopProducing()
        data.connectionLost(Failure(reason))
        self.clock.advance(0)
        return replyCodes(self.transport), transport.value()

    def test_whole(self):
        """
        Every byte handed over, the connection ended in order: C{226}.
        """
        codes, sent = self.download(len(PAYLOAD), error.ConnectionDone())
        self.assertEqual((codes, sent), (["226"], PAYLOAD))

    def test_reset(self):
        """
        Every byte handed over, the connection reset (the client may not
        have read them): C{426}.
        """
        codes, _ = self.download(len(PAYLOAD), error.ConnectionLost())
        self.assertEqual(codes, ["426"])

    def test_short(self):
        """
        Bytes still to hand over: C{426}, however the connection ended.
        """
        codes, sent = self.download(1, error.ConnectionDone())
        self.assertEqual(codes, ["426"])
        self.assertLess(len(sent), len(PAYLOAD))


class _Parts:
    """
    What L{Transfer.wholeSent} asks of a data connection (C{allSent}) and
    of a mover (C{sentWhole}), as one object.
    """

    def __init__(self, sent, whole):
        """
        @param sent: what C{allSent} answers.
        @param whole: what C{sentWhole} answers.
        """
        self.allSent = lambda: sent
        self.sentWhole = lambda: whole


class WholeSentTests(unittest.SynchronousTestCase):
    """
    L{Transfer.wholeSent}, the one judge.
    """

    def judge(self, finishing, whole, sent):
        parts = _Parts(sent, whole)
        transfer = Transfer("RETR a", parts, parts)
        transfer.finishing = finishing
        return transfer.wholeSent()

    def test_finishing(self):
        """
        A finishing download whose connection sent everything: whole.
        """
        self.assertTrue(self.judge(True, False, True))

    def test_handedOver(self):
        """
        Every byte handed over, the send not over, everything sent: whole.
        """
        self.assertTrue(self.judge(False, True, True))

    def test_notSent(self):
        """
        The connection holding bytes back: not whole.
        """
        self.assertFalse(self.judge(True, True, False))

    def test_neither(self):
        """
        Neither finishing nor every byte handed over: not whole.
        """
        self.assertFalse(self.judge(False, False, True))

    def test_uploadNeverSentWhole(self):
        """
        An upload's mover never sent a whole file.
        """
        self.assertFalse(Upload(None, True, None).sentWhole())
