"""
Reply texts that depend on the session's state name only what the
session can do in that state, on L{StringTransport}s.
"""

from dataclasses import replace

from twisted.internet.address import IPv4Address
from twisted.internet.testing import MemoryReactorClock
from twisted.trial import unittest

from ftpkit.control.handlers.datachannel import NO_ADDRESS, setUpFirst
from ftpkit.protocol.replies import REPLY_CODES, formatReply
from tests.memorysessions import connect, makeFactory, repliesTo
from tests.protocol.test_authmechanisms import (
    ContextFactory,
    StartTLSTransport,
)


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

    def test_noAddress(self):
        """
        A client with no address (a C{unix:} listener's) can set up no
        data connection at all: it is told so rather than sent to
        commands that would all be refused.
        """
        self.assertEqual(setUpFirst(False, True, False), NO_ADDRESS)
        self.assertEqual(setUpFirst(True, False, False), NO_ADDRESS)


class StatusTests(unittest.TestCase):
    """
    C{STAT} without an argument says who is logged in, or that nobody is.
    """

    def userLine(self, protocol, transport):
        """
        @return: the line of C{STAT}'s reply about the login.
        """
        [reply] = repliesTo(protocol, transport, b"STAT")
        [line] = [line for line in reply.split(b"\r\n")
                  if b"logged in" in line.lower()]
        return line.strip()

    def test_beforeLogin(self):
        """
        Before login, and between C{USER} and C{PASS}, it says plainly
        that the session is not logged in.
        """
        protocol, transport = session()
        self.assertEqual(self.userLine(protocol, transport),
                         b"Not logged in")
        protocol.dataReceived(b"USER alice\r\n")
        self.assertEqual(self.userLine(protocol, transport),
                         b"Not logged in")

    def test_loggedIn(self):
        """
        Logged in, it names the user.
        """
        protocol, transport = loggedIn()
        self.assertEqual(self.userLine(protocol, transport),
                         b"Logged in as alice")


def underTLS(**settings):
    """
    @param settings: L{ftpkit.config.ServerConfig} fields.
    @return: C{(protocol, transport)} of a session after C{AUTH TLS}
        (recorded, not done) on a server with TLS, not logged in.
    """
    factory = makeFactory(MemoryReactorClock(), loginFailureDelay=0,
                          tlsContextFactory=ContextFactory(), **settings)
    peer = IPv4Address("TCP", "10.0.0.1", 40000)
    protocol = factory.buildProtocol(peer)
    transport = StartTLSTransport(
        hostAddress=IPv4Address("TCP", "10.0.0.254", 21), peerAddress=peer)
    protocol.makeConnection(transport)
    protocol.dataReceived(b"AUTH TLS\r\n")
    transport.clear()
    return protocol, transport


def loggedInUnderTLS():
    """
    @return: C{(protocol, transport)} of alice logged in after C{AUTH TLS}
        (recorded, not done) on a server requiring TLS.
    """
    protocol, transport = underTLS(tlsRequired=True)
    protocol.dataReceived(b"USER alice\r\nPASS secret\r\n")
    transport.clear()
    return protocol, transport


class ClearDataRefusedTests(unittest.TestCase):
    """
    A clear transfer where TLS is required gets C{521} naming what this
    session can send to protect its data connections.
    """

    def test_beforePBSZ(self):
        """
        Before C{PBSZ}, C{PROT P} would get C{503}: both are named.
        """
        protocol, transport = loggedInUnderTLS()
        self.assertEqual(
            repliesTo(protocol, transport, b"LIST", b"PROT P"),
            [b"521 Data connections must be protected (PBSZ 0, PROT P)\r\n",
             b"503 PROT requires PBSZ first\r\n"])

    def test_afterPBSZ(self):
        """
        After C{PBSZ}, C{PROT P} is enough; after a refused C{PROT C} too.
        """
        protocol, transport = loggedInUnderTLS()
        self.assertEqual(
            repliesTo(protocol, transport, b"PBSZ 0", b"RETR d/f.txt",
                      b"PROT C", b"RETR d/f.txt"),
            [b"200 PBSZ=0\r\n",
             b"521 Data connections must be protected (PROT P)\r\n",
             CLEAR_REFUSED % b"Clear",
             b"521 Data connections must be protected (PROT P)\r\n"])

    def test_afterCCC(self):
        """
        After C{CCC} (its end of TLS set as L{ftp_CCC} leaves it: on a
        L{StringTransport} TLS cannot end), C{PROT} is refused: the reply
        sends the client to C{AUTH TLS} and a new login instead.
        """
        protocol, transport = loggedInUnderTLS()
        protocol.dataReceived(b"PBSZ 0\r\nPROT C\r\n")
        protocol.tls = replace(
            protocol.tls, clearedContext=ContextFactory().getContext(),
            controlSecure=False)
        [refused, prot] = repliesTo(protocol, transport, b"LIST", b"PROT P")
        self.assertEqual(
            refused, b"521 Data connections must be protected, and PROT "
            b"cannot change after CCC: send AUTH TLS and log in again\r\n")
        self.assertTrue(prot.startswith(b"503 PROT is not allowed after CCC"))


CLEAR_REFUSED = (b"534 PROT C refused: this server requires protected "
                 b"data connections (PROT P); data protection stays %s\r\n")
"""The refusal of C{PROT C}, with the protection level kept."""

EXEMPT_REFUSED = (b"534 PROT C refused before login: this server requires "
                  b"protected data connections (PROT P) of all but "
                  b"anonymous users, who may send it once logged in; data "
                  b"protection stays %s\r\n")
"""The refusal of C{PROT C} before login where anonymous users are
exempt."""


class ClearProtectionRefusedTests(unittest.TestCase):
    """
    Where TLS is required, C{PROT C} gets RFC 4217's C{534} (request
    denied for policy reasons), as ProFTPD's C{TLSRequired} answers it,
    when every clear transfer of the session would get C{521}: it got
    C{200}, and the transfer that followed C{521}. It keeps the
    protection level as it was.
    """

    def test_loggedIn(self):
        """
        Logged in, C{PROT C} is refused; C{PROT P} then works.
        """
        protocol, transport = loggedInUnderTLS()
        self.assertEqual(
            repliesTo(protocol, transport, b"PBSZ 0", b"PROT C", b"PROT P",
                      b"PROT C"),
            [b"200 PBSZ=0\r\n", CLEAR_REFUSED % b"Clear",
             b"200 Protection level set to Private\r\n",
             CLEAR_REFUSED % b"Private"])
        self.assertTrue(protocol.tls.protectData)

    def test_beforeLogin(self):
        """
        Before login too, where anonymous users get no exemption: every
        login will need protected data connections.
        """
        protocol, transport = underTLS(tlsRequired=True)
        self.assertEqual(
            repliesTo(protocol, transport, b"PBSZ 0", b"PROT C"),
            [b"200 PBSZ=0\r\n", CLEAR_REFUSED % b"Clear"])

    def test_anonymousExempt(self):
        """
        Under C{--tls-anonymous-exempt}, C{PROT C} is taken from an
        anonymous user once logged in, refused from another, and refused
        before login (between C{USER anonymous} and C{PASS} too), saying
        that anonymous users may send it once logged in: taken there, it
        left a user who then logged in, not exempt, at a level each of
        his transfers refused.
        """
        protocol, transport = underTLS(tlsRequired=True,
                                       tlsRequiredForAnonymous=False)
        self.assertEqual(
            repliesTo(protocol, transport, b"PBSZ 0", b"PROT C",
                      b"USER anonymous", b"PROT P", b"PROT C", b"PASS a@b",
                      b"PROT C"),
            [b"200 PBSZ=0\r\n", EXEMPT_REFUSED % b"Clear",
             b"331 Anonymous login ok, send your e-mail as password\r\n",
             b"200 Protection level set to Private\r\n",
             EXEMPT_REFUSED % b"Private",
             b"230 Login successful\r\n",
             b"200 Protection level set to Clear\r\n"])
        self.assertFalse(protocol.tls.protectData)
        protocol, transport = underTLS(tlsRequired=True,
                                       tlsRequiredForAnonymous=False)
        protocol.dataReceived(b"USER alice\r\nPASS secret\r\n")
        transport.clear()
        self.assertEqual(
            repliesTo(protocol, transport, b"PBSZ 0", b"PROT C"),
            [b"200 PBSZ=0\r\n", CLEAR_REFUSED % b"Clear"])

    def test_notRequired(self):
        """
        Without C{--tls-required}, C{PROT C} is taken as ever.
        """
        protocol, transport = underTLS()
        self.assertEqual(
            repliesTo(protocol, transport, b"PBSZ 0", b"PROT C"),
            [b"200 PBSZ=0\r\n", b"200 Protection level set to Clear\r\n"])


class LoginFirstTests(unittest.TestCase):
    """
    A command needing a login sent before one gets C{530} naming
    C{AUTH TLS} too where the server would refuse C{USER} without it.
    """

    def test_plain(self):
        """
        Without C{--tls-required}, C{USER} and C{PASS} are enough.
        """
        protocol, transport = session()
        self.assertEqual(repliesTo(protocol, transport, b"LIST"),
                         [b"530 Please log in with USER and PASS first\r\n"])

    def test_tlsRequired(self):
        """
        With C{--tls-required}, on a clear connection, C{AUTH TLS} comes
        first (C{USER} gets C{530} without it), for the C{STAT} of a path
        too.
        """
        protocol, transport = session(tlsContextFactory=ContextFactory(),
                                      tlsRequired=True)
        refusal = (b"530 Please send AUTH TLS, then log in with USER and "
                   b"PASS\r\n")
        self.assertEqual(
            repliesTo(protocol, transport, b"CWD d", b"STAT d"),
            [refusal, refusal])

    def test_anonymousExempt(self):
        """
        With C{--tls-anonymous-exempt}, the reply says anonymous logins
        need no TLS.
        """
        protocol, transport = session(tlsContextFactory=ContextFactory(),
                                      tlsRequired=True,
                                      tlsRequiredForAnonymous=False)
        self.assertEqual(
            repliesTo(protocol, transport, b"RETR top.bin"),
            [b"530 Please send AUTH TLS, then log in with USER and PASS "
             b"(anonymous logins need no TLS)\r\n"])

    def test_passAfterRefusedUser(self):
        """
        A C{PASS} after a C{USER} refused for want of TLS gets C{503}
        naming C{AUTH TLS} too, not C{USER} alone (refused again); on a
        server not requiring TLS, C{Login with USER first}.
        """
        protocol, transport = session(tlsContextFactory=ContextFactory(),
                                      tlsRequired=True)
        self.assertEqual(
            repliesTo(protocol, transport, b"USER alice", b"PASS secret"),
            [b"530 TLS required: use AUTH TLS before logging in\r\n",
             b"503 Please send AUTH TLS, then USER and PASS\r\n"])
        protocol, transport = session()
        self.assertEqual(repliesTo(protocol, transport, b"PASS secret"),
                         [b"503 Login with USER first\r\n"])

    def test_underTLS(self):
        """
        Once under TLS, C{USER} and C{PASS} are enough again.
        """
        protocol, transport = underTLS(tlsRequired=True)
        self.assertEqual(repliesTo(protocol, transport, b"PWD"),
                         [b"530 Please log in with USER and PASS first\r\n"])


class RestartTests(unittest.TestCase):
    """
    C{REST}'s C{350} names the commands that resume from its offset in
    this session's C{TYPE}.
    """

    def test_binary(self):
        """
        In C{TYPE I}: C{RETR} or C{STOR} (the verbs, not RFC 959's
        names of the services).
        """
        protocol, transport = loggedIn()
        self.assertEqual(
            repliesTo(protocol, transport, b"TYPE I", b"REST 5")[1],
            b"350 Restarting at 5; send RETR or STOR\r\n")

    def test_ascii(self):
        """
        In C{TYPE A} a transfer from an offset above 0 gets C{554}: the
        reply says to send C{TYPE I} first; C{REST 0} is no bar.
        """
        protocol, transport = loggedIn()
        self.assertEqual(
            repliesTo(protocol, transport, b"TYPE A", b"REST 5", b"REST 0"),
            [b"200 Type set to A\r\n",
             b"350 Restarting at 5; send TYPE I, then RETR or STOR\r\n",
             b"350 Restarting at 0; send RETR or STOR\r\n"])

    def test_readOnly(self):
        """
        A user who may not upload is sent to C{RETR} alone.
        """
        protocol, transport = session(readOnly=True)
        protocol.dataReceived(b"USER alice\r\nPASS secret\r\n")
        self.assertEqual(
            repliesTo(protocol, transport, b"TYPE I", b"REST 5")[1],
            b"350 Restarting at 5; send RETR\r\n")

    def test_anonymousWrite(self):
        """
        An anonymous user with C{--anonymous-write} makes new files but
        resumes none: C{RETR} alone after C{REST 5}, C{STOR} too after
        C{REST 0}.
        """
        protocol, transport = session(anonymousWrite=True)
        protocol.dataReceived(b"USER anonymous\r\nPASS a@b\r\n")
        self.assertEqual(
            repliesTo(protocol, transport, b"TYPE I", b"REST 5",
                      b"REST 0")[1:],
            [b"350 Restarting at 5; send RETR\r\n",
             b"350 Restarting at 0; send RETR or STOR\r\n"])


class ResumeOptionTests(unittest.TestCase):
    """
    C{OPTS REST STOR} (WinSCP asks it before resuming an upload) says
    uploads resume only to a user whose resumed upload is not refused.
    """

    def test_mayResume(self):
        """
        A user who may change files gets C{200}.
        """
        protocol, transport = loggedIn()
        self.assertEqual(
            repliesTo(protocol, transport, b"OPTS REST STOR"),
            [b"200 REST STOR: uploads resume from a REST offset\r\n"])

    def test_mayNotResume(self):
        """
        A read-only user, and an anonymous one even with
        C{--anonymous-write}, get C{501}: their resumed C{STOR} is
        refused.
        """
        refused = [b"501 REST STOR: uploads do not resume for this user\r\n"]
        protocol, transport = session(readOnly=True)
        protocol.dataReceived(b"USER alice\r\nPASS secret\r\n")
        self.assertEqual(repliesTo(protocol, transport, b"OPTS REST STOR"),
                         refused)
        protocol, transport = session(anonymousWrite=True)
        protocol.dataReceived(b"USER anonymous\r\nPASS a@b\r\n")
        self.assertEqual(repliesTo(protocol, transport, b"OPTS REST STOR"),
                         refused)


class HelpTests(unittest.TestCase):
    """
    C{HELP} of a verb gives its syntax only where this session offers it
    (as the list of C{HELP} without an argument does).
    """

    def test_notOffered(self):
        """
        C{AUTH} without TLS configured, C{CCC} without
        C{--tls-allow-ccc}: not available here, saying why; C{EPSV} is.
        """
        protocol, transport = session()
        self.assertEqual(
            repliesTo(protocol, transport, b"HELP AUTH", b"HELP CCC",
                      b"HELP EPSV"),
            [b"214 AUTH is not available here: TLS is not configured on "
             b"this server\r\n",
             b"214 CCC is not available here: TLS is not configured on "
             b"this server\r\n",
             b"214 Syntax: EPSV [<sp> proto|ALL]\r\n"])
        protocol, transport = session(tlsContextFactory=ContextFactory())
        self.assertEqual(
            repliesTo(protocol, transport, b"HELP CCC"),
            [b"214 CCC is not available here: CCC is not allowed on this "
             b"server\r\n"])


class ProtectionWithoutTLSTests(unittest.TestCase):
    """
    C{PBSZ} and C{PROT} in clear name C{AUTH TLS} only where this server
    has TLS (else C{AUTH} gets C{502}).
    """

    def test_notConfigured(self):
        """
        Without TLS they say it is not configured.
        """
        protocol, transport = session()
        self.assertEqual(
            repliesTo(protocol, transport, b"PBSZ 0", b"PROT P", b"AUTH TLS"),
            [b"503 PBSZ is not available: TLS is not configured on this "
             b"server\r\n",
             b"503 PROT is not available: TLS is not configured on this "
             b"server\r\n",
             b"502 TLS is not configured on this server\r\n"])

    def test_configured(self):
        """
        With TLS, before C{AUTH TLS}, they send the client to it.
        """
        protocol, transport = session(tlsContextFactory=ContextFactory())
        self.assertEqual(repliesTo(protocol, transport, b"PBSZ 0"),
                         [b"503 PBSZ requires AUTH TLS first\r\n"])


class SecurePassiveTests(unittest.TestCase):
    """
    C{CPSV}, a C{PASV}, is refused under its own name.
    """

    def test_afterEPSVAll(self):
        """
        After C{EPSV ALL}, C{CPSV} gets C{503} naming C{CPSV}.
        """
        protocol, transport = underTLS()
        protocol.dataReceived(b"USER alice\r\nPASS secret\r\n")
        self.assertEqual(
            repliesTo(protocol, transport, b"EPSV ALL", b"CPSV"),
            [b"200 EPSV ALL ok\r\n",
             b"503 CPSV not allowed after EPSV ALL\r\n"])


class OneLineReplyTests(unittest.TestCase):
    """
    A one-line reply of printable text, which the session formats itself
    (L{ftpkit.control.connection.FTPProtocol.reply}, with the start of
    each code it replies with made once:
    L{ftpkit.protocol.replies.ONE_LINE_STARTS}), is the bytes
    L{formatReply} makes.
    """

    def test_everyCode(self):
        """
        Every code of L{REPLY_CODES}, and codes outside it (a storage
        backend's own, one short of three digits), as L{formatReply}.
        """
        protocol, transport = session()
        transport.clear()
        for code in REPLY_CODES + (120, 999, 42, 5):
            protocol.reply(code, "All é well")
            self.assertEqual(transport.value(),
                             formatReply(code, "All é well"), code)
            transport.clear()
