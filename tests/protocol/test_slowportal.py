"""
A portal that does not answer at once (a checker asking a database, a
realm making a home on a slow disk): C{PASS} is answered once it has.
"""

from twisted.cred import checkers, error, portal
from twisted.cred.credentials import IUsernamePassword
from twisted.internet import defer
from twisted.internet.testing import MemoryReactorClock
from twisted.logger import globalLogPublisher
from twisted.trial import unittest
from zope.interface import implementer

from ftpkit.config import ServerConfig
from ftpkit.control.server import FTPFactory
from ftpkit.interfaces import IFTPShell, IFTPShellResumeOwners
from ftpkit.shells.memory import MemoryShell
from tests.memorysessions import ShellRealm, connect, replyCodes


@implementer(checkers.ICredentialsChecker)
class SlowChecker:
    """
    Answers each check when the test says.

    @ivar waiting: the Deferreds of the checks asked, in order.
    """

    credentialInterfaces = (IUsernamePassword,)

    def __init__(self):
        self.waiting = []

    def requestAvatarId(self, credentials):
        self.waiting.append(defer.Deferred())
        return self.waiting[-1]


@implementer(portal.IRealm)
class _RaisingRealm:
    """
    A realm whose C{requestAvatar} raises C{KeyError}.
    """

    def requestAvatar(self, avatarId, mind, *interfaces):
        """
        @raise KeyError: always.
        """
        raise KeyError(avatarId)


@implementer(IFTPShellResumeOwners)
class _ResumerShell(MemoryShell):
    """
    A shell whose C{forResumer} raises C{RuntimeError}.
    """

    def forResumer(self, resumer):
        """
        @raise RuntimeError: always.
        """
        raise RuntimeError("no copy")


@implementer(portal.IRealm)
class _ResumerRealm:
    """
    Gives a L{_ResumerShell}.
    """

    def requestAvatar(self, avatarId, mind, *interfaces):
        """
        @return: C{(IFTPShell, shell, logout)}.
        """
        return IFTPShell, _ResumerShell({"/f": b"x"}), lambda: None


class SlowPortalTests(unittest.TestCase):
    """
    C{PASS} waits for a portal that has to.
    """

    def setUp(self):
        self.clock = MemoryReactorClock()
        self.checker = SlowChecker()
        self.factory = FTPFactory(
            portal.Portal(ShellRealm(), [self.checker]),
            ServerConfig(loginFailureDelay=0), self.clock)
        self.protocol, self.transport = connect(self.factory)
        self.protocol.dataReceived(b"USER alice\r\nPASS secret\r\nPWD\r\n")

    def test_accepted(self):
        """
        The C{230} comes once the checker accepts, and the commands sent
        after C{PASS} run then.
        """
        self.assertEqual(replyCodes(self.transport), ["220", "331"])
        self.checker.waiting[0].callback("alice")
        self.assertEqual(replyCodes(self.transport),
                         ["220", "331", "230", "257"])

    def test_refused(self):
        """
        The C{530} comes once the checker refuses.
        """
        self.checker.waiting[0].errback(error.UnauthorizedLogin())
        self.assertEqual(replyCodes(self.transport),
                         ["220", "331", "530", "530"])

    def test_broken(self):
        """
        A checker failing with anything else gets C{451}, and the log one
        line saying with what (it was a traceback).
        """
        lines = []
        globalLogPublisher.addObserver(lines.append)
        self.addCleanup(globalLogPublisher.removeObserver, lines.append)
        self.checker.waiting[0].errback(RuntimeError("database gone"))
        self.assertEqual(replyCodes(self.transport)[2], "451")
        self.assertEqual(self.flushLoggedErrors(), [])
        [line] = [event for event in lines if "why" in event]
        self.assertEqual(line["user"], "alice")
        self.assertEqual(line["why"], "RuntimeError: database gone")

    def test_forResumerRaises(self):
        """
        A shell whose C{forResumer} raises: the login goes on with the
        shell as it is, and the log has one line (it was C{451} and a
        traceback, at every login).
        """
        lines = []
        globalLogPublisher.addObserver(lines.append)
        self.addCleanup(globalLogPublisher.removeObserver, lines.append)
        factory = FTPFactory(portal.Portal(_ResumerRealm(), [self.checker]),
                             ServerConfig(loginFailureDelay=0), self.clock)
        protocol, transport = connect(factory)
        protocol.dataReceived(
            b"USER alice\r\nPASS secret\r\nTYPE I\r\nSIZE f\r\n")
        self.checker.waiting[1].callback("alice")
        self.assertEqual(replyCodes(transport)[2:], ["230", "200", "213"])
        self.assertEqual(self.flushLoggedErrors(), [])
        [line] = [event for event in lines if "why" in event]
        self.assertIn("RuntimeError: no copy (raised at ", line["why"])

    def test_realmRaises(self):
        """
        A realm raising in C{requestAvatar}: C{451}, and one line naming
        the exception and where it was raised (it was a traceback).
        """
        lines = []
        globalLogPublisher.addObserver(lines.append)
        self.addCleanup(globalLogPublisher.removeObserver, lines.append)

        factory = FTPFactory(portal.Portal(_RaisingRealm(), [self.checker]),
                             ServerConfig(loginFailureDelay=0), self.clock)
        protocol, transport = connect(factory)
        protocol.dataReceived(b"USER alice\r\nPASS secret\r\n")
        self.checker.waiting[1].callback("alice")
        self.assertEqual(replyCodes(transport)[2], "451")
        self.assertEqual(self.flushLoggedErrors(), [])
        [line] = [event for event in lines if "why" in event]
        self.assertIn("KeyError: 'alice' (raised at ", line["why"])
        self.assertIn(", in requestAvatar)", line["why"])

    def test_closedMeanwhile(self):
        """
        A client gone before the checker answered is not logged in (nor
        counted against the user's session limit).
        """
        self.protocol.connectionLost(None)
        self.checker.waiting[0].callback("alice")
        self.assertIsNone(self.protocol.session.shell)
        self.assertEqual(self.factory.userSessions.counts, {})
