"""
C{HELP} names, and C{FEAT} lists, only what this session will accept in
its state, on L{StringTransport}s: no C{PASV} or C{PORT} on an IPv6
connection, no C{PASV}, C{PORT} or C{EPRT} after C{EPSV ALL}, none of them
nor C{EPSV} on a Unix socket, no C{AUTH}
under TLS, no C{CCC} on implicit TLS; and C{HELP} of such a verb says
why.
"""

from twisted.internet.address import IPv4Address, IPv6Address, UNIXAddress
from twisted.internet.interfaces import ISSLTransport
from twisted.internet.testing import MemoryReactorClock, StringTransport
from twisted.trial import unittest
from zope.interface import directlyProvides

from tests.memorysessions import makeFactory, repliesTo
from tests.protocol.test_authmechanisms import ContextFactory, StartTLSTransport
from tests.protocol.test_replytexts import loggedIn, underTLS


def helpVerbs(reply):
    """
    @param reply: the reply to C{HELP}, its lines.
    @return: the verbs it lists.
    """
    lines = reply.decode().split("\r\n")[1:-2]
    return {verb for line in lines for verb in line.split()}


def featLines(reply):
    """
    @param reply: the reply to C{FEAT}, its lines.
    @return: its feature lines, without their leading space.
    """
    return [line[1:] for line in reply.decode().split("\r\n")
            if line.startswith(" ")]


class IPv6Tests(unittest.TestCase):
    """
    On an IPv6 control connection C{PASV} gets C{522} and C{PORT}, which
    names an IPv4 address, C{501}: neither is offered.
    """

    def test_help(self):
        """
        C{HELP} lists C{EPSV} and C{EPRT} but neither C{PASV} nor C{PORT},
        and C{HELP} of either says what to use instead.
        """
        protocol, transport = loggedIn("2001:db8::a")
        listing, pasv, port, epsv = repliesTo(
            protocol, transport, b"HELP", b"HELP PASV", b"HELP PORT",
            b"HELP EPSV")
        verbs = helpVerbs(listing)
        self.assertEqual(verbs & {"PASV", "PORT", "EPSV", "EPRT"},
                         {"EPSV", "EPRT"})
        self.assertEqual(pasv, b"214 PASV is not available here: use EPSV"
                               b" on an IPv6 connection\r\n")
        self.assertEqual(port, b"214 PORT is not available here: use EPRT"
                               b" on an IPv6 connection\r\n")
        self.assertEqual(epsv, b"214 Syntax: EPSV [<sp> proto|ALL]\r\n")
        self.assertEqual(
            repliesTo(protocol, transport, b"PASV"),
            [b"522 Network protocol not supported, use EPSV (2)\r\n"])

    def test_ipv4(self):
        """
        On IPv4 all four are offered, and C{HELP PASV} gives its syntax.
        """
        protocol, transport = loggedIn()
        listing, pasv = repliesTo(protocol, transport, b"HELP", b"HELP PASV")
        self.assertLessEqual({"PASV", "PORT", "EPSV", "EPRT"},
                             helpVerbs(listing))
        self.assertEqual(pasv, b"214 Syntax: PASV\r\n")


class MixedFamiliesTests(unittest.TestCase):
    """
    A client whose address is not of the control connection's family
    (one a PROXY header names): C{PASV} follows the server's address,
    C{PORT} the client's, in C{HELP} and in the C{425} of a transfer
    sent before any data connection alike.
    """

    def session(self, local, peer):
        """
        @param local: the control connection's local address.
        @param peer: the client's address.
        @return: C{(protocol, transport)} of alice logged in.
        """
        factory = makeFactory(MemoryReactorClock(), loginFailureDelay=0)
        protocol = factory.buildProtocol(peer)
        transport = StringTransport(hostAddress=local, peerAddress=peer)
        protocol.makeConnection(transport)
        protocol.dataReceived(b"USER alice\r\nPASS secret\r\n")
        return protocol, transport

    def test_ipv6Client(self):
        """
        An IPv6 client on an IPv4 control connection: C{PASV} but no
        C{PORT}.
        """
        protocol, transport = self.session(
            IPv4Address("TCP", "10.0.0.254", 21),
            IPv6Address("TCP", "2001:db8::a", 40000))
        listing, nlst = repliesTo(protocol, transport, b"HELP", b"NLST")
        self.assertEqual(helpVerbs(listing) & {"PASV", "PORT"}, {"PASV"})
        self.assertEqual(nlst, b"425 Use PASV, EPSV or EPRT first\r\n")

    def test_ipv4Client(self):
        """
        An IPv4 client on an IPv6 control connection: C{PORT} but no
        C{PASV}.
        """
        protocol, transport = self.session(
            IPv6Address("TCP", "2001:db8::21", 21),
            IPv4Address("TCP", "10.0.0.1", 40000))
        listing, nlst = repliesTo(protocol, transport, b"HELP", b"NLST")
        self.assertEqual(helpVerbs(listing) & {"PASV", "PORT"}, {"PORT"})
        self.assertEqual(nlst, b"425 Use EPSV, PORT or EPRT first\r\n")


class EPSVAllTests(unittest.TestCase):
    """
    After C{EPSV ALL} only C{EPSV} sets up data connections (C{PASV},
    C{PORT} and C{EPRT} get C{503}), until C{REIN}.
    """

    def test_helpAndFeat(self):
        """
        C{HELP} leaves them out, C{HELP} of each says why, and C{FEAT} no
        longer lists C{EPRT}.
        """
        protocol, transport = loggedIn()
        [feat] = repliesTo(protocol, transport, b"FEAT")
        self.assertIn("EPRT", featLines(feat))
        ok, listing, feat, eprt, port = repliesTo(
            protocol, transport, b"EPSV ALL", b"HELP", b"FEAT",
            b"HELP EPRT", b"HELP PORT")
        self.assertEqual(ok, b"200 EPSV ALL ok\r\n")
        self.assertEqual(helpVerbs(listing)
                         & {"PASV", "PORT", "EPSV", "EPRT"}, {"EPSV"})
        self.assertNotIn("EPRT", featLines(feat))
        self.assertIn("EPSV", featLines(feat))
        for reply, verb in ((eprt, b"EPRT"), (port, b"PORT")):
            self.assertEqual(reply, b"214 " + verb + b" is not available"
                             b" here: only EPSV sets up data connections"
                             b" after EPSV ALL\r\n")

    def test_reinitialized(self):
        """
        C{REIN} ends C{EPSV ALL}: C{FEAT} lists C{EPRT} again.
        """
        protocol, transport = loggedIn()
        feat = repliesTo(protocol, transport, b"EPSV ALL", b"REIN",
                         b"FEAT")[-1]
        self.assertIn("EPRT", featLines(feat))


class UnderTLSTests(unittest.TestCase):
    """
    Under TLS C{AUTH} gets C{503} and C{REIN} C{502}: C{HELP} leaves them
    out, and C{FEAT}
    still lists C{AUTH TLS} (RFC 4217 has it listed by a server that
    supports it, and clients read C{FEAT} after C{AUTH}).
    """

    def test_afterAuth(self):
        """
        After C{AUTH TLS}.
        """
        protocol, transport = underTLS()
        listing, auth, feat, again, rein = repliesTo(
            protocol, transport, b"HELP", b"HELP AUTH", b"FEAT",
            b"AUTH TLS", b"HELP REIN")
        self.assertEqual(helpVerbs(listing) & {"AUTH", "REIN"}, set())
        self.assertIn("PBSZ", helpVerbs(listing))
        self.assertEqual(auth, b"214 AUTH is not available here: the control"
                               b" connection is under TLS already\r\n")
        self.assertIn("AUTH TLS", featLines(feat))
        self.assertEqual(again, b"503 Already using TLS\r\n")
        self.assertEqual(rein, b"214 REIN is not available here: not on a"
                               b" TLS control connection; QUIT and connect"
                               b" again\r\n")

    def test_beforeAuth(self):
        """
        Before it, with TLS configured, C{AUTH} is offered.
        """
        factory = makeFactory(MemoryReactorClock(),
                              tlsContextFactory=ContextFactory())
        protocol = factory.buildProtocol(IPv4Address("TCP", "10.0.0.1", 1))
        transport = StringTransport()
        protocol.makeConnection(transport)
        self.assertEqual(repliesTo(protocol, transport, b"HELP AUTH"),
                         [b"214 Syntax: AUTH <sp> TLS\r\n"])


class ImplicitTLSTests(unittest.TestCase):
    """
    On an implicit TLS connection (an C{ssl:} listener's), C{AUTH} gets
    C{503} and C{CCC} C{534} even with C{--tls-allow-ccc}: neither is
    offered, and C{FEAT} does not list C{CCC}.
    """

    def test_ccc(self):
        factory = makeFactory(MemoryReactorClock(), loginFailureDelay=0,
                              tlsContextFactory=ContextFactory(),
                              tlsAllowCCC=True)
        peer = IPv4Address("TCP", "10.0.0.1", 40000)
        protocol = factory.buildProtocol(peer)
        transport = StringTransport(
            hostAddress=IPv4Address("TCP", "10.0.0.254", 990),
            peerAddress=peer)
        directlyProvides(transport, ISSLTransport)
        protocol.makeConnection(transport)
        protocol.dataReceived(b"USER alice\r\nPASS secret\r\n")
        feat, listing, ccc, auth, refused = repliesTo(
            protocol, transport, b"FEAT", b"HELP", b"HELP CCC",
            b"HELP AUTH", b"CCC")
        self.assertNotIn("CCC", featLines(feat))
        self.assertEqual(helpVerbs(listing) & {"CCC", "AUTH"}, set())
        self.assertEqual(ccc, b"214 CCC is not available here: TLS cannot"
                              b" end on this connection (implicit TLS)\r\n")
        self.assertTrue(auth.startswith(b"214 AUTH is not available here"))
        self.assertEqual(refused, b"534 CCC is not possible on this"
                                  b" connection (implicit TLS)\r\n")


class UnixSocketTests(unittest.TestCase):
    """
    A client of a C{unix:} listener has no address, so no data connection
    can come from or go back to it: every data connection command is
    refused (C{EPSV ALL} alone is accepted, forbidding what is refused
    anyway), none is offered, and each refusal says why, whatever its
    argument names.
    """

    def session(self, tls=False, **options):
        """
        @param tls: log in after C{AUTH TLS} (recorded, not done).
        @param options: L{makeFactory}'s settings.
        @return: C{(protocol, transport)} of alice logged in over a Unix
            socket.
        """
        factory = makeFactory(MemoryReactorClock(), loginFailureDelay=0,
                              **options)
        peer = UNIXAddress(None)
        protocol = factory.buildProtocol(peer)
        transport = StartTLSTransport(hostAddress=UNIXAddress(b"/ftp.sock"),
                                      peerAddress=peer)
        protocol.makeConnection(transport)
        if tls:
            protocol.dataReceived(b"AUTH TLS\r\n")
        protocol.dataReceived(b"USER alice\r\nPASS secret\r\n")
        transport.clear()
        return protocol, transport

    def test_sscn(self):
        """
        C{SSCN} is neither listed by C{HELP} nor by C{FEAT}, and C{HELP
        SSCN} says why: its C{ON} (the server as the TLS client of data
        connections) gets the no-address C{425}, as C{CPSV} does, under
        TLS too; asking (C{SSCN}) and C{SSCN OFF} still say the server's
        side. Both were offered, and C{SSCN ON} accepted.
        """
        protocol, transport = self.session(tls=True,
                                           tlsContextFactory=ContextFactory())
        listing, feat, help, on, ask, off, cpsv = repliesTo(
            protocol, transport, b"HELP", b"FEAT", b"HELP SSCN", b"SSCN ON",
            b"SSCN", b"SSCN OFF", b"CPSV")
        self.assertNotIn("SSCN", helpVerbs(listing))
        self.assertNotIn("SSCN", featLines(feat))
        self.assertIn("PROT", featLines(feat))
        self.assertEqual(help, b"214 SSCN is not available here: this"
                         b" connection does not give your address (a Unix"
                         b" socket's), which a data connection needs\r\n")
        refusal = (b" No data connection: this connection does not give"
                   b" your address (a Unix socket's)\r\n")
        self.assertEqual([on, cpsv], [b"425" + refusal] * 2)
        self.assertEqual([ask, off], [b"200 SSCN:SERVER METHOD\r\n"] * 2)

    def test_helpAndFeat(self):
        """
        C{HELP} lists none of C{PASV}, C{EPSV}, C{PORT}, C{EPRT} and
        C{CPSV}, C{HELP} of each says why, and C{FEAT} lists neither
        C{EPSV}, C{EPRT} nor C{CPSV}.
        """
        verbs = [b"PASV", b"EPSV", b"PORT", b"EPRT", b"CPSV"]
        protocol, transport = self.session(tlsContextFactory=ContextFactory())
        listing, feat, *helps = repliesTo(
            protocol, transport, b"HELP", b"FEAT",
            *[b"HELP " + verb for verb in verbs])
        self.assertEqual(helpVerbs(listing) & {v.decode() for v in verbs},
                         set())
        self.assertIn("MLSD", helpVerbs(listing))
        self.assertEqual({"EPSV", "EPRT", "CPSV"} & set(featLines(feat)),
                         set())
        self.assertIn("PBSZ", featLines(feat))
        for reply, verb in zip(helps, verbs):
            self.assertEqual(reply, b"214 " + verb + b" is not available"
                             b" here: this connection does not give your"
                             b" address (a Unix socket's), which a data"
                             b" connection needs\r\n")

    def test_refusals(self):
        """
        Each gets C{425} (passive) or C{501} (active) saying the
        connection gives no address, even naming a network protocol
        (which would otherwise get C{522} pointing at another, no more
        usable), and a transfer the same C{425}.
        """
        protocol, transport = self.session()
        replies = repliesTo(
            protocol, transport, b"PASV", b"EPSV", b"EPSV 2", b"EPSV 3",
            b"PORT 127,0,0,1,80,0", b"EPRT |1|127.0.0.1|20480|",
            b"EPRT |2|::1|20480|", b"EPRT |3|x|20480|", b"NLST")
        text = b" No data connection: this connection does not give your" \
               b" address (a Unix socket's)\r\n"
        self.assertEqual(replies, [b"425" + text] * 4 + [b"501" + text] * 4
                         + [b"425" + text])
        self.assertEqual(repliesTo(protocol, transport, b"EPSV ALL"),
                         [b"200 EPSV ALL ok\r\n"])
