"""
A C{twisted.cred} checker for FTP logins: each user's password is in an
environment variable, C{PREFIX} followed by the user name (a container
whose secrets come as variables). The C{envpw} checker plugin
(C{twisted/plugins/ftpkit_example_checker.py}) builds it for
C{--auth envpw:PREFIX}.
"""

import hmac
import os

from twisted.cred import credentials, error
from twisted.cred.checkers import ICredentialsChecker
from twisted.internet import defer
from zope.interface import implementer


@implementer(ICredentialsChecker)
class EnvironmentPasswords:
    """
    Checks a user name and password against the variable
    C{PREFIX + USER} of the server's environment.
    """

    credentialInterfaces = (credentials.IUsernamePassword,)

    def __init__(self, prefix):
        """
        @param prefix: what each variable's name starts with.
        """
        self.prefix = prefix

    def requestAvatarId(self, creds):
        """
        @param creds: an C{IUsernamePassword} (user name and password as
            C{bytes}, as the server makes them).
        @return: a Deferred firing with the user name (C{str}: the avatar
            id the realm gets), or failing with C{UnauthorizedLogin}.
        """
        name = os.fsdecode(creds.username)
        expected = os.environ.get(self.prefix + name)
        if expected is None or not hmac.compare_digest(
                os.fsencode(expected), creds.password):
            return defer.fail(error.UnauthorizedLogin())
        return defer.succeed(name)
