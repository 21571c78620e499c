"""
A transfer's preliminary reply (C{150}) is written before its data, on
its own: aria2c reads the C{150} and then waits for the socket to say more,
so a C{150} sent together with the C{226} hung it.
"""

from twisted.internet import error
from twisted.internet.address import IPv4Address
from twisted.internet.testing import MemoryReactorClock, StringTransport
from twisted.python.failure import Failure
from twisted.trial import unittest

from tests.memorysessions import connect, makeFactory


class _Recording(StringTransport):
    """
    A transport that adds what is written to it to a log shared with
    another one, with its own name.
    """

    def __init__(self, name, log, **kwargs):
        StringTransport.__init__(self, **kwargs)
        self.name = name
        self.log = log

    def write(self, data):
        self.log.append((self.name, data))
        StringTransport.write(self, data)


class PreliminaryReplyTests(unittest.TestCase):
    """
    The order of what the control and data connections are given.
    """

    def setUp(self):
        self.clock = MemoryReactorClock()
        self.log = []
        self.protocol = connect(makeFactory(self.clock))[0]
        self.protocol.transport.write = (
            lambda data: self.log.append(("control", data)))
        self.protocol.dataReceived(b"USER alice\r\nPASS secret\r\n")
        del self.log[:]

    def download(self, command):
        """
        Run C{command} over an active data connection the test accepts.

        @return: the data connection's transport.
        """
        self.protocol.dataReceived(b"PORT 10,0,0,1,8,0\r\n")
        self.protocol.dataReceived(command + b"\r\n")
        factory = self.clock.tcpClients[-1][2]
        peer = IPv4Address("TCP", "10.0.0.1", 2048)
        data = factory.buildProtocol(peer)
        transport = _Recording(
            "data", self.log, peerAddress=peer,
            hostAddress=IPv4Address("TCP", "10.0.0.254", 20))
        data.makeConnection(transport)
        data.connectionLost(Failure(error.ConnectionDone()))
        return transport

    def assertOpeningFirst(self):
        """
        The first write after C{PORT}'s reply is the C{150} alone, and data
        comes only after it.
        """
        writes = [entry for entry in self.log
                  if not entry[1].startswith(b"200 ")]
        self.assertEqual(writes[0][0], "control")
        self.assertTrue(writes[0][1].startswith(b"150 "), writes)
        self.assertNotIn(b"226", writes[0][1])
        self.assertIn(("data", b"x" * 10), writes[1:])
        self.assertTrue(writes[-1][1].startswith(b"226 "), writes)

    def test_retr(self):
        """
        A small file's C{150} goes out before the file, not with the
        C{226}.
        """
        self.download(b"RETR /top.bin")
        self.assertOpeningFirst()

    def test_list(self):
        """
        Likewise for a listing.
        """
        self.download(b"NLST /")
        writes = [entry for entry in self.log
                  if not entry[1].startswith(b"200 ")]
        self.assertEqual(writes[0][0], "control")
        self.assertEqual(writes[0][1][:4], b"150 ")
        self.assertNotIn(b"226", writes[0][1])
        self.assertEqual(writes[1][0], "data")

