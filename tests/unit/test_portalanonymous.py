"""
Tests for L{ftpkit.auth.checkers.portalAcceptsAnonymous} and
L{ftpkit.auth.checkers.portalAcceptsOnlyAnonymous}: what a portal's
checkers tell before anyone logs in.
"""

from twisted.cred import checkers
from twisted.cred.portal import Portal
from twisted.trial import unittest

from ftpkit.auth.checkers import (
    portalAcceptsAnonymous,
    portalAcceptsOnlyAnonymous,
)


class _OwnLogin(Portal):
    """
    A portal whose C{login} is its own, which may take any credentials.
    """

    def login(self, credentials, mind, *interfaces):
        """
        Refuse nothing here: the point is that the method is its own.

        @param credentials: ignored.
        @param mind: ignored.
        @param interfaces: ignored.
        @return: C{None}.
        """


class PortalAnonymousTests(unittest.TestCase):
    """
    Anonymous logins only, some, none, or a portal that cannot tell.
    """

    def test_anonymousOnly(self):
        """
        A portal with only Twisted's anonymous checker logs in anonymous
        users only.
        """
        thePortal = Portal(None, [checkers.AllowAnonymousAccess()])
        self.assertTrue(portalAcceptsAnonymous(thePortal))
        self.assertTrue(portalAcceptsOnlyAnonymous(thePortal))

    def test_anonymousAndNamed(self):
        """
        Beside a password checker, anonymous logins are not the only
        ones.
        """
        passwords = checkers.InMemoryUsernamePasswordDatabaseDontUse()
        thePortal = Portal(None, [passwords, checkers.AllowAnonymousAccess()])
        self.assertTrue(portalAcceptsAnonymous(thePortal))
        self.assertFalse(portalAcceptsOnlyAnonymous(thePortal))

    def test_noChecker(self):
        """
        A portal with no checker logs in nobody: not anonymous users
        only.
        """
        self.assertFalse(portalAcceptsAnonymous(Portal(None)))
        self.assertFalse(portalAcceptsOnlyAnonymous(Portal(None)))

    def test_cannotTell(self):
        """
        A portal whose C{login} is its own, or that shows no checkers,
        may log anyone in.
        """
        for thePortal in (_OwnLogin(None, [checkers.AllowAnonymousAccess()]),
                          object()):
            self.assertTrue(portalAcceptsAnonymous(thePortal))
            self.assertFalse(portalAcceptsOnlyAnonymous(thePortal))
