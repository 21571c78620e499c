"""
On a server without anonymous logins (no C{--auth anonymous}), the names
C{anonymous} and C{ftp} are user names like any other: C{USER} answers
them as it answers every name, on L{StringTransport}s.
"""


from twisted.cred import checkers, portal
from twisted.cred.credentials import IAnonymous as ICredentialsAnonymous
from twisted.internet import defer
from twisted.internet.testing import MemoryReactorClock
from twisted.trial import unittest

from ftpkit.config import ServerConfig
from ftpkit.control.server import FTPFactory
from ftpkit.control.tlsstate import ControlTLS
from tests.memorysessions import ShellRealm, connect, repliesTo
from tests.protocol.test_authmechanisms import ContextFactory


def session(anonymous, **settings):
    """
    @param anonymous: whether the server has anonymous logins.
    @param settings: L{ServerConfig} fields.
    @return: C{(protocol, transport)} of a session not logged in yet, on
        a server whose user is C{alice}/C{secret}.
    """
    passwords = checkers.InMemoryUsernamePasswordDatabaseDontUse()
    passwords.addUser(b"alice", b"secret")
    checkerList = [passwords]
    if anonymous:
        checkerList.append(checkers.AllowAnonymousAccess())
    factory = FTPFactory(portal.Portal(ShellRealm(), checkerList),
                         ServerConfig(loginFailureDelay=0, **settings),
                         MemoryReactorClock())
    return connect(factory)


class AnonymousOffTests(unittest.TestCase):
    """
    Without anonymous logins, C{USER anonymous} says nothing that
    C{USER} of any other name does not.
    """

    def test_sameReplyAsAnyName(self):
        """
        C{USER anonymous}, C{USER ftp} (in any case) and C{USER} of a name
        nobody has get the same C{331}, and their C{PASS} the same
        C{530}; before, C{anonymous} was told C{Anonymous login ok}.
        """
        protocol, transport = session(anonymous=False)
        expected = repliesTo(protocol, transport, b"USER nobody",
                             b"PASS x")
        self.assertEqual(expected[0], b"331 Password required\r\n")
        self.assertTrue(expected[1].startswith(b"530 "))
        for name in (b"anonymous", b"ftp", b"Anonymous", b"FTP"):
            protocol, transport = session(anonymous=False)
            self.assertEqual(repliesTo(protocol, transport, b"USER " + name,
                                       b"PASS x"), expected)

    def test_countedAsAnyFailure(self):
        """
        A C{PASS} after C{USER anonymous} is a failed login as one after
        any other name is: the third closes the connection.
        """
        protocol, transport = session(anonymous=False, maxLoginAttempts=3)
        replies = repliesTo(protocol, transport,
                            *[b"USER anonymous", b"PASS x"] * 3)
        self.assertEqual([reply[:3] for reply in replies],
                         [b"331", b"530"] * 2 + [b"331", b"530"])
        self.assertIn(b"421 ", replies[-1])
        self.assertTrue(transport.disconnecting)

    def test_tlsAsAnyName(self):
        """
        Under C{--tls-required} with C{--tls-anonymous-exempt}, a clear
        C{USER anonymous} is refused for want of TLS as any name is, and
        the reply to a command before login does not offer anonymous
        logins without TLS.
        """
        settings = dict(tlsContextFactory=ContextFactory(), tlsRequired=True,
                        tlsRequiredForAnonymous=False)
        protocol, transport = session(anonymous=False, **settings)
        self.assertEqual(
            repliesTo(protocol, transport, b"USER alice", b"USER anonymous",
                      b"PWD"),
            [b"530 TLS required: use AUTH TLS before logging in\r\n"] * 2
            + [b"530 Please send AUTH TLS, then log in with USER and "
               b"PASS\r\n"])

    def test_protClearBeforeLogin(self):
        """
        Under C{--tls-anonymous-exempt}, C{PROT C} before login is refused
        as where nobody is exempt, not telling of anonymous users who
        cannot log in here.
        """
        protocol, transport = session(
            anonymous=False, tlsContextFactory=ContextFactory(),
            tlsRequired=True, tlsRequiredForAnonymous=False)
        protocol.tls = ControlTLS(controlSecure=True)
        self.assertEqual(
            repliesTo(protocol, transport, b"PBSZ 0", b"PROT C"),
            [b"200 PBSZ=0\r\n",
             b"534 PROT C refused: this server requires protected data "
             b"connections (PROT P); data protection stays Clear\r\n"])

    def test_anonymousOn(self):
        """
        With anonymous logins, C{USER anonymous} is told so, and logs in;
        in clear under C{--tls-anonymous-exempt} too.
        """
        protocol, transport = session(
            anonymous=True, tlsContextFactory=ContextFactory(),
            tlsRequired=True, tlsRequiredForAnonymous=False)
        replies = repliesTo(protocol, transport, b"USER ftp", b"PASS x")
        self.assertEqual(
            replies, [b"331 Anonymous login ok, send your e-mail as "
                      b"password\r\n", b"230 Login successful\r\n"])


class OwnLoginPortal(portal.Portal):
    """
    A portal from outside ftpkit that takes anonymous credentials in its
    own C{login}, with no checker registered for them.
    """

    def login(self, credentials, mind, *interfaces):
        """
        Log an anonymous user in as C{guest}; others as the checkers say.
        """
        if ICredentialsAnonymous.providedBy(credentials):
            return defer.succeed(self.realm.requestAvatar(
                "guest", mind, *interfaces))
        return portal.Portal.login(self, credentials, mind, *interfaces)


class OwnLoginPortalTests(unittest.TestCase):
    """
    A portal whose C{login} is not L{portal.Portal}'s may take anonymous
    logins without a checker: C{USER anonymous} is told so, as before.
    """

    def test_anonymousByLogin(self):
        """
        C{USER anonymous} gets C{Anonymous login ok} and its C{PASS} goes
        to the portal as anonymous credentials, which log it in: they were
        sent as a password of the name C{anonymous}, which it refused.
        """
        passwords = checkers.InMemoryUsernamePasswordDatabaseDontUse()
        factory = FTPFactory(OwnLoginPortal(ShellRealm(), [passwords]),
                             ServerConfig(loginFailureDelay=0),
                             MemoryReactorClock())
        protocol, transport = connect(factory)
        self.assertEqual(
            repliesTo(protocol, transport, b"USER anonymous", b"PASS x"),
            [b"331 Anonymous login ok, send your e-mail as password\r\n",
             b"230 Login successful\r\n"])
