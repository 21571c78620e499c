"""
The C{envpw} checker plugin: C{--auth envpw:PREFIX} logs users in with
the passwords of the variables C{PREFIX} + USER of the server's
environment.
"""

from twisted.cred import credentials
from twisted.cred.strcred import ICheckerFactory
from twisted.plugin import IPlugin
from zope.interface import implementer


@implementer(ICheckerFactory, IPlugin)
class EnvironmentPasswordsFactory:
    """
    Makes the checker of C{--auth envpw:PREFIX}.
    """

    authType = "envpw"
    authHelp = ("Each user's password is in the environment variable "
                "PREFIX followed by the user name.")
    argStringFormat = "PREFIX, e.g. FTP_PASSWORD_"
    credentialInterfaces = (credentials.IUsernamePassword,)

    def generateChecker(self, argstring=""):
        """
        @param argstring: the text after C{envpw:}.
        @return: the checker.
        @raise ValueError: without a prefix (every variable would be a
            password).
        """
        if not argstring:
            raise ValueError("envpw needs a PREFIX: --auth envpw:FTP_PASSWORD_")
        from ftpkit_envpasswords import EnvironmentPasswords

        return EnvironmentPasswords(argstring)


envpw = EnvironmentPasswordsFactory()
