"""
Reply texts that depend on the session's state name only what the
session can do in that state, on L{StringTransport}s.
"""

from twisted.internet.testing import MemoryReactorClock
from twisted.trial import unittest

from tests.memorysessions import connect, makeFactory, repliesTo


def session(host="10.0.0.1", **settings):
    """
    @param host: the client's address (IPv4 or IPv6).
    @param settings: L{ftpkit.config.ServerConfig} fields.
    @return: C{(protocol, transport)} of a session not logged in yet.
    """
    factory = makeFactory(MemoryReactorClock(), loginFailureDelay=0,
                          **settings)
    return connect(factory, host)


def loggedIn(host="10.0.0.1"):
    """
    @param host: the client's address (IPv4 or IPv6).
    @return: C{(protocol, transport)} of alice logged in from C{host}.
    """
    protocol, transport = session(host)
    protocol.dataReceived(b"USER alice\r\nPASS secret\r\n")
    transport.clear()
    return protocol, transport


class NoDataConnectionTests(unittest.TestCase):
    """
    A transfer command before any data connection was set up gets
    C{425} naming the commands that can set one up in this session.
    """

    def test_ipv4(self):
        """
        On IPv4 all four can.
        """
        protocol, transport = loggedIn()
        self.assertEqual(
            repliesTo(protocol, transport, b"LIST"),
            [b"425 Use PASV, EPSV, PORT or EPRT first\r\n"])

    def test_epsvAll(self):
        """
        After C{EPSV ALL} only C{EPSV} can (the others get C{503}).
        """
        protocol, transport = loggedIn()
        self.assertEqual(
            repliesTo(protocol, transport, b"EPSV ALL", b"RETR d/f.txt",
                      b"PASV", b"EPRT |1|10.0.0.1|40001|"),
            [b"200 EPSV ALL ok\r\n", b"425 Use EPSV first\r\n",
             b"503 PASV not allowed after EPSV ALL\r\n",
             b"503 EPRT not allowed after EPSV ALL\r\n"])

    def test_ipv6(self):
        """
        On an IPv6 control connection C{PASV} and C{PORT} cannot work:
        only C{EPSV} and C{EPRT} are named.
        """
        protocol, transport = loggedIn("2001:db8::a")
        self.assertEqual(
            repliesTo(protocol, transport, b"NLST", b"PASV"),
            [b"425 Use EPSV or EPRT first\r\n",
             b"522 Network protocol not supported, use EPSV (2)\r\n"])
