"""
C{--auth}: the C{twisted.cred} checkers FTP logins go through
(L{AuthOptionsMixin}, for L{ftpkit.deploy.tap.Options}): a checker name
that FTP logins cannot use is refused naming those that can, a users or
password file's path is checked, C{anonymous} and C{unix} take no
argument, and Twisted's C{unix} and C{file} checkers give way to
ftpkit's (L{ftpkit.auth.unixusers}, L{ftpkit.auth.passwordfile}); every
checker sees credentials as text (L{ftpkit.auth.checkers}). Its own help
text for a checker is L{ftpkit.deploy.authhelp}'s.
"""

from twisted.cred import credentials, strcred
from twisted.cred.checkers import FilePasswordDB
from twisted.plugins.cred_unix import UNIXChecker
from twisted.python import usage

from ftpkit.auth.checkers import TextCredentialsChecker
from ftpkit.auth.passwordfile import PasswordFileChecker, memoryUsersError
from ftpkit.auth.unixusers import UnixChecker, systemDummyHash
from ftpkit.deploy.authhelp import authTypeHelp
from ftpkit.deploy.optionvalues import usersFile

_NO_ARGUMENT = frozenset(["anonymous", "unix"])
"""The C{--auth} checkers that take no argument (Twisted's drop one)."""


class AuthOptionsMixin:
    """
    C{--auth} and C{--help-auth-type}, for a L{usage.Options} subclass
    that mixes in L{strcred.AuthOptionMixin} after it.
    """

    supportedInterfaces = (credentials.IUsernamePassword, credentials.IAnonymous)

    def opt_auth(self, description):
        """A twisted.cred checker (see --help-auth), repeatable."""
        kind, _, argument = description.partition(":")
        if kind in ("file", "users"):
            try:
                description = f"{kind}:{usersFile(argument)}"
            except ValueError as e:
                raise usage.UsageError(f"--auth: {e}")
        elif kind in _NO_ARGUMENT and argument:
            raise usage.UsageError(
                f"--auth: {kind} takes no argument (got {argument!r})")
        elif kind == "memory" and memoryUsersError(argument):
            raise usage.UsageError(f"--auth: memory: {memoryUsersError(argument)}")
        self._checkInstalled("--auth", kind)
        try:
            strcred.AuthOptionMixin.opt_auth(self, description)
        except usage.UsageError as e:
            # strcred prefixes a checker factory's own ValueError message.
            why = str(e).removeprefix("Unexpected error: ")
            raise usage.UsageError(f"--auth: {why}")

    def opt_help_auth_type(self, authType):
        """Show help for a particular authentication type."""
        self._checkInstalled("--help-auth-type", authType)
        text = authTypeHelp(
            authType, strcred.findCheckerFactory(authType).argStringFormat)
        if text is None:
            strcred.AuthOptionMixin.opt_help_auth_type(self, authType)
        self.authOutput.write(text)
        raise SystemExit(0)

    def _checkInstalled(self, option, kind):
        """
        @param option: the option naming a checker.
        @param kind: the checker's name.
        @raise usage.UsageError: naming the checkers FTP logins can use,
            when C{kind} is not one (Twisted said only "Auth plugin not
            recognized" or "Invalid auth type").
        """
        # Finding the named checker stops at it; listing them all loads
        # every checker plugin (Twisted's sshkeys one imports Conch), so
        # only a wrong name pays for the list.
        try:
            if self.supportsCheckerFactory(strcred.findCheckerFactory(kind)):
                return
        except strcred.InvalidAuthType:
            pass
        installed = sorted(factory.authType
                           for factory in strcred.findCheckerFactories()
                           if self.supportsCheckerFactory(factory))
        if kind not in installed:
            raise usage.UsageError(
                f"{option}: no checker {kind!r} for FTP logins (installed: "
                f"{', '.join(installed)})")

    def addChecker(self, checker):
        """
        Add a checker from C{--auth}, wrapped in a
        L{TextCredentialsChecker} so that it sees credentials in the type
        it stores. Twisted's C{unix} one becomes ftpkit's
        L{UnixChecker}, which spends a C{crypt} on unknown names too, and
        its C{file} one ftpkit's L{PasswordFileChecker}, which reads the
        file now and refuses a line it cannot use.

        @raise PasswordFileError: naming the file and line, for a
            C{file} checker whose file holds such a line.

        @param checker: a C{twisted.cred} checker.
        """
        if type(checker) is UNIXChecker:
            checker = UnixChecker(systemDummyHash())
        elif type(checker) is FilePasswordDB:
            checker = PasswordFileChecker(checker.filename)
        strcred.AuthOptionMixin.addChecker(self, TextCredentialsChecker(checker))
