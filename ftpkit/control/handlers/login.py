"""
USER, PASS, ACCT, REIN and QUIT: logging in through L{twisted.cred}.
"""

# Names imported one by one: twisted.cred.credentials is a deprecation
# proxy, and each attribute read through it costs a lookup through the
# proxy at every login (docs/benchmark.rst).
from twisted.cred import error as crederror
from twisted.cred.credentials import Anonymous, UsernamePassword
from twisted.internet import defer, task

from ftpkit.control.sessionlimits import TOO_MANY_FOR_USER, userKey
from ftpkit.interfaces import IFTPShell, IFTPShellRates
from ftpkit.ops import events
from ftpkit.protocol.access import AccessPolicy
from ftpkit.protocol.sessionstate import Session

ANONYMOUS_NAMES = frozenset(["anonymous", "ftp"])
"""User names that mean an anonymous login."""

MAX_LOGIN_DELAY = 60.0
"""Longest delay, in seconds, before answering a failed PASS."""


class LoginCommands:
    """
    Logging in: C{session.username} set by USER, C{session.shell} once
    PASS succeeds.

    @ivar failedLogins: failed PASS so far on this connection (C{REIN}
        does not reset it).
    """

    sessionFields = frozenset(
        ["username", "anonymous", "access", "shell", "realmLogout",
         "portal", "downloadRate", "uploadRate"])
    failedLogins = 0
    _loginDelay = None
    _userSessionKey = None

    def ftp_USER(self, name):
        """
        Start a login: remember the user name (RFC 959).
        """
        if self.session.shell is not None:
            return (530, "Already logged in")
        anonymous = name.lower() in ANONYMOUS_NAMES
        if self.tlsRequiredFor(anonymous) and not self.controlSecure:
            return (530, "TLS required: use AUTH TLS before logging in")
        session = self.session
        session.username = name
        session.anonymous = anonymous
        session.access = AccessPolicy.forUser(self.config, anonymous)
        if anonymous:
            return (331, "Anonymous login ok, send your e-mail as password")
        return (331, "Password required")

    async def ftp_PASS(self, password):
        """
        Finish a login through the portal (the virtual host's, after
        C{HOST}); failures are delayed.
        """
        if self.session.shell is not None:
            return (503, "Already logged in")
        if self.session.username is None:
            return (503, "Login with USER first")
        if self.session.anonymous:
            creds = Anonymous()
        else:
            creds = UsernamePassword(
                self.session.username.encode("utf-8", "surrogateescape"),
                password.encode("utf-8", "surrogateescape"))
        portal = self.session.portal
        if portal is None:
            portal = self.factory.portal
        try:
            interface, shell, logout = await portal.login(
                creds, None, IFTPShell)
        except (crederror.UnauthorizedLogin, crederror.UnhandledCredentials,
                NotImplementedError):
            # NotImplementedError: a realm that gives no IFTPShell avatar
            # (twisted.cred's convention; ours raise the subclass
            # UnsupportedAvatarInterface).
            return await self._loginFailed()
        if self._closed:
            logout()
            return None
        key = userKey(self.session.username, self.session.anonymous)
        admitted = self.factory.userSessions.admit(key)
        if isinstance(admitted, defer.Deferred):
            # Under --workers the acceptor counts every worker's logins.
            admitted = await admitted
            if admitted and self._closed:
                self.factory.userSessions.release(key)
        if self._closed:
            logout()
            return None
        if not admitted:
            logout()
            self.log.warn("refused login from {peer} user {user!r}: "
                          "{why}", peer=self.peer, user=self.session.username,
                          why=TOO_MANY_FOR_USER)
            self.reply(421, TOO_MANY_FOR_USER)
            self.close()
            return None
        self._userSessionKey = key
        session = self.session
        if IFTPShellRates.providedBy(shell):
            session.downloadRate = shell.downloadRate
            session.uploadRate = shell.uploadRate
        session.shell = session.access.guard(shell, self.factory.heldUploads)
        session.realmLogout = logout
        self.reportLogin()
        return (230, "Login successful")

    async def _loginFailed(self):
        self.failedLogins += 1
        self.publish(events.LOGIN_FAILED, count=self.failedLogins)
        self.session.username = None
        # The delay follows the address's recent failures too, so that
        # reconnecting does not start it again.
        failures = max(self.failedLogins, self.factory.loginFailures.record(
            self.peer, self.reactor.seconds()))
        delay = min(MAX_LOGIN_DELAY, self.config.loginFailureDelay
                    * 2 ** min(failures - 1, 32))
        if delay > 0:
            self._loginDelay = task.deferLater(self.reactor, delay,
                                               lambda: None)
            try:
                await self._loginDelay
            except defer.CancelledError:
                return None
            finally:
                self._loginDelay = None
        if self.failedLogins >= self.config.maxLoginAttempts:
            self.log.warn("too many failed logins from {peer}; closing",
                          peer=self.peer)
            self.reply(530, "Login incorrect")
            self.reply(421, "Too many failed logins; closing")
            self.close()
            return None
        return (530, "Login incorrect")

    def ftp_ACCT(self, account):
        """
        Accounts are not needed: 202.
        """
        return (202, "ACCT not needed")

    def ftp_REIN(self, argument):
        """
        Log out and start a fresh L{Session}, keeping the connection (and
        what belongs to it: its TLS state, its failed logins).
        """
        if self.transfer is not None:
            return (503, "Transfer in progress")
        self.logout()
        self.dataChannel.close()
        self.session = Session()
        return (220, self.config.banner)

    def ftp_QUIT(self, argument):
        """
        Say goodbye and close once the replies are sent.
        """
        self.reply(221, "Goodbye")
        self.close()
        return None

    def cancelLoginDelay(self):
        """
        Forget the delayed answer to a failed PASS (the client is gone).
        """
        if self._loginDelay is not None:
            self._loginDelay.cancel()

    def logout(self):
        """
        End the logged-in user's avatar, if any.
        """
        session = self.session
        logout, session.realmLogout = session.realmLogout, None
        key, self._userSessionKey = self._userSessionKey, None
        if key is not None:
            self.factory.userSessions.release(key)
        self.reportLogout()
        session.shell = None
        if logout is not None:
            defer.maybeDeferred(logout).addErrback(
                lambda f: self.log.failure("logout failed", f))
