"""
USER, PASS, ACCT, REIN and QUIT: logging in through L{twisted.cred}.
"""

from types import CoroutineType

from twisted.cred import error as crederror

# Names imported one by one: twisted.cred.credentials is a deprecation
# proxy, and each attribute read through it costs a lookup through the
# proxy at every login (docs/benchmark-history.rst).
from twisted.cred.credentials import Anonymous, UsernamePassword
from twisted.internet import defer, task
from twisted.logger import Logger, LogLevel
from twisted.python.failure import Failure
from zope.interface import providedBy

from ftpkit.auth import quicklogin
from ftpkit.auth.avatars import avatarProblem, shellProblem
from ftpkit.auth.checkers import portalAcceptsAnonymous
from ftpkit.control.loginfailures import (
    MAX_LOGIN_DELAY,  # noqa: F401 (importable from here, as before)
    failureDelay,
)
from ftpkit.control.sessionlimits import (
    TOO_MANY_FOR_USER,
    TOO_MANY_LEFT,
    leftKey,
    userKey,
)
from ftpkit.control.sockets import holdReplies
from ftpkit.deferreds import isDeferred
from ftpkit.errors import FTPError, LocalError, isOutOfDescriptors
from ftpkit.interfaces import (
    IFTPShell,
    IFTPShellRates,
    IFTPShellResumeOwners,
)
from ftpkit.ops import events
from ftpkit.protocol.access import AccessPolicy
from ftpkit.shells.contract import heldToContract, ratesOf
from ftpkit.shells.heldcalls import describeFailure

_log = Logger()

ANONYMOUS_NAMES = frozenset(["anonymous", "ftp"])
"""User names that mean an anonymous login."""

MAX_LOGINS = 10
"""Logins one control connection may have: its first, then one after
each command that logs its user out to let it log in again (C{REIN}, and
C{AUTH TLS} after C{CCC}). A client that knows a password (or where
anonymous logins are open) logged in and out on one connection as fast as
it could send C{USER}, C{PASS} and C{REIN}, two log lines each time,
which a firewall's rate of new connections per address does not bound;
past these, such a command closes the connection
(L{LoginCommands.refuseLoginAgain}). vsftpd and ProFTPD have no C{REIN}:
one login a connection."""

TOO_MANY_LOGINS = ("Too many logins on this connection; connect again to "
                   "log in again")
"""The C{421} reply to a C{REIN} (or C{AUTH TLS}) past L{MAX_LOGINS}."""


def resumerOf(username, anonymous, peer, users=None):
    """
    @param username: the name given to C{USER}.
    @param anonymous: whether it is an anonymous login.
    @param peer: the client's address.
    @param users: where the user comes from when a virtual host has users
        of its own (L{ftpkit.control.server.FTPFactory.usersOf}), else
        C{None}.
    @return: who a session's cut uploads are kept for
        (L{IFTPShellResumeOwners}): its user, as L{userKey} tells users
        apart (a virtual host's own C{alice} is not the server's, and
        their homes may overlap; the server's is her plain name, as it
        was before hosts had users of their own, so that the partial
        uploads kept then are still hers), or for an anonymous user,
        whom every anonymous client is, its address.
    """
    return resumerFor(userKey(username, anonymous, users), anonymous, peer)


def resumerFor(key, anonymous, peer):
    """
    L{resumerOf} from the user's key, which a login has made already.

    @param key: the user's key (L{userKey}).
    @param anonymous: whether it is an anonymous login.
    @param peer: the client's address.
    @return: see L{resumerOf}.
    """
    if anonymous:
        return "anonymous@" + peer
    return key


def forResumer(shell, resumer):
    """
    @param shell: a user's shell that keeps cut uploads for whom they
        were cut for (L{IFTPShellResumeOwners}).
    @param resumer: who the session is (L{resumerOf}).
    @return: C{shell} acting for C{resumer}; when its C{forResumer} raises
        or gives what is no shell (one log line), C{shell}.
    """
    # A plugin's bug: the shell as it is, cut uploads kept for everyone,
    # as for a shell without the extra.
    try:
        copy = shell.forResumer(resumer)
    except Exception:
        _log.error("{shell!r}.forResumer failed with {why}; its cut "
                   "uploads are kept for everyone", shell=shell,
                   why=describeFailure(Failure()))
        return shell
    # A copy of the shell's own class is one (ftpkit's shells give one):
    # only another answer is looked at.
    problem = None if type(copy) is type(shell) else shellProblem(copy)
    if problem is None:
        return copy
    _log.error("{shell!r}.forResumer gave {problem}; its cut uploads "
               "are kept for everyone", shell=shell, problem=problem)
    return shell


class LoginCommands:
    """
    Logging in: C{session.username} set by USER, C{session.shell} once
    PASS succeeds.

    @ivar failedLogins: failed PASS so far on this connection (C{REIN}
        does not reset it).
    @ivar logins: successful logins so far on this connection (C{REIN}
        does not reset it either: L{MAX_LOGINS}).
    """

    sessionFields = frozenset(
        ["username", "anonymous", "access", "shell", "realmLogout",
         "portal", "downloadRate", "uploadRate"])
    failedLogins = 0
    logins = 0
    _loginDelay = None
    _userSessionKey = None
    _contractShell = None

    def ftp_USER(self, name):
        """
        Start a login: remember the user name (RFC 959). A name refused
        for want of TLS also forgets the one a C{USER} before it gave, so
        that the C{PASS} meant for it logs nobody in; so does one refused
        because the TLS handshake named another host than a C{HOST} sent
        before it (L{refuseContradictedHost}). Where anonymous logins are
        off, C{anonymous} and C{ftp} are names like any other, answered
        and checked as any is (as vsftpd and ProFTPD do): not told
        C{Anonymous login ok}, a lie that also told them apart.
        """
        session = self.session
        if session.shell is not None:
            return (530, "Already logged in")
        refusal = self.refuseContradictedHost()
        if refusal is not None:
            return refusal
        session = self.session
        anonymous = (name.lower() in ANONYMOUS_NAMES
                     and self.anonymousOpen())
        if self.tlsRequiredFor(anonymous) and not self.tls.controlSecure:
            session.username = None
            session.anonymous = False
            return (530, "TLS required: use AUTH TLS before logging in")
        session.username = name
        session.anonymous = anonymous
        session.access = AccessPolicy.forUser(self.config, anonymous)
        if anonymous:
            return (331, "Anonymous login ok, send your e-mail as password")
        return (331, "Password required")

    def ftp_PASS(self, password):
        """
        Finish a login through the portal (the virtual host's, after
        C{HOST}); failures are delayed, and a password from an address
        whose failures are recent waits its turn to be checked
        (L{ftpkit.control.loginfailures}). A portal whose checker and
        realm answer at once gives its answer without a Deferred
        (L{ftpkit.auth.quicklogin}), and the command replies at once; one
        that waits is waited for in a coroutine (L{_loginLater}).
        """
        if self.session.shell is not None:
            return (503, "Already logged in")
        if self.session.username is None:
            return (503, self.tlsFirst("Login with USER first",
                                       "USER and PASS"))
        if self.session.anonymous:
            creds = Anonymous()
        else:
            creds = UsernamePassword(
                self.session.username.encode("utf-8", "surrogateescape"),
                password.encode("utf-8", "surrogateescape"))
            if self._hold():
                return self._checkLater(creds)
        return self._check(creds)

    def _hold(self):
        """
        @return: the seconds a password from this client must wait before
            it is checked (C{0}: it is checked now).
        """
        delay = self.config.loginFailureDelay
        if delay <= 0:
            return 0
        return self.factory.loginFailures.hold(
            self.peer, self.reactor.seconds(), delay)

    async def _checkLater(self, creds):
        """
        L{_check}, once this client's address may have a password checked.

        @param creds: the credentials.
        @return: the reply, or C{None} (replied already, or gone).
        """
        while (wait := self._hold()) > 0:
            if not await self._delayLogin(wait):
                # Gone before its turn: still a line (fail2ban counts it).
                self.publish(events.LOGIN_ABANDONED)
                return None
        result = self._check(creds)
        if isinstance(result, CoroutineType):
            result = await result
        return result

    def _check(self, creds):
        """
        Check C{creds} through the portal.

        @return: the reply, C{None} or a coroutine (see L{_loggedIn}).
        """
        portal = self.session.portal
        if portal is None:
            portal = self.factory.portal
        try:
            outcome = quicklogin.login(portal, creds, None, IFTPShell)
        except Exception:
            outcome = Failure()
        if isDeferred(outcome):
            # A check still running counts against its client's hold
            # (AddressFailures.checking) until the answer, which
            # _loggedIn records if failed. One answered at once let no
            # other session's hold run meanwhile: nothing to count.
            failures, peer = self.factory.loginFailures, self.peer
            failures.checking(peer)
            outcome.addBoth(_passing, failures.checked, peer)
            return self._loginLater(outcome)
        return self._loggedIn(outcome)

    async def _loginLater(self, waiting):
        """
        L{_loggedIn}, once the portal has answered.

        @param waiting: a Deferred firing with the portal's answer.
        @return: the reply, or C{None} (replied already).
        """
        try:
            outcome = await waiting
        except Exception:
            outcome = Failure()
        result = self._loggedIn(outcome)
        if isinstance(result, CoroutineType):
            result = await result
        return result

    def _loggedIn(self, outcome):
        """
        Take the portal's answer.

        @param outcome: C{(interface, shell, logout)}, or the L{Failure} the
            portal gave.
        @return: the reply, C{None} (replied already), or a coroutine
            giving one (a failure's delay; the acceptor's count under
            C{--workers}).
        """
        if isinstance(outcome, Failure):
            # NotImplementedError: a realm that gives no IFTPShell avatar
            # (twisted.cred's convention; ours raise the subclass
            # UnsupportedAvatarInterface).
            if outcome.check(crederror.UnauthorizedLogin,
                             crederror.UnhandledCredentials,
                             NotImplementedError):
                return self._loginFailed()
            if outcome.check(FTPError) or isOutOfDescriptors(outcome.value):
                outcome.raiseException()
            # A bug or an outage of the realm or the checker: one line.
            _log.error("Logging {user!r} in from {peer} failed with {why}",
                       user=self.session.username, peer=self.peer,
                       why=describeFailure(outcome))
            return LocalError.code, LocalError.defaultMessage
        problem = avatarProblem(outcome)
        if problem is not None:
            portal = self.session.portal or self.factory.portal
            _log.error("The realm {realm!r} gave {problem}",
                       realm=getattr(portal, "realm", portal),
                       problem=problem)
            if (isinstance(outcome, (tuple, list)) and len(outcome) == 3
                    and callable(outcome[2])):
                outcome[2]()
            return LocalError.code, LocalError.defaultMessage
        interface, shell, logout = outcome
        if self.loginUnwanted():
            logout()
            return None
        key = userKey(self.session.username, self.session.anonymous,
                      self.factory.usersOf(self.session.portal))
        if self.factory.leftSessions.full(self.leftKey()):
            logout()
            self.publish(events.LOGIN_REFUSED, reason=TOO_MANY_LEFT)
            self.reply(421, TOO_MANY_LEFT)
            self.close()
            return None
        admitted = self.factory.userSessions.admit(key)
        if isDeferred(admitted):
            return self._admitLater(admitted, key, shell, logout)
        return self._admitted(admitted, key, shell, logout)

    async def _admitLater(self, waiting, key, shell, logout):
        """
        L{_admitted}, once the acceptor (under C{--workers}, it counts
        every worker's logins) has answered.

        @param waiting: a Deferred firing with whether the login is
            admitted.
        @param key: the user's key (L{userKey}).
        @param shell: the avatar.
        @param logout: the realm's logout callable.
        @return: the reply.
        """
        admitted = await waiting
        if admitted and self.loginUnwanted():
            self.factory.userSessions.release(key)
        return self._admitted(admitted, key, shell, logout)

    def _admitted(self, admitted, key, shell, logout):
        """
        Log the user in, unless the session limits refuse.

        @param admitted: whether the user's session limit lets it in.
        @param key: the user's key (L{userKey}).
        @param shell: the avatar.
        @param logout: the realm's logout callable.
        @return: the reply, or C{None} (replied already, or closed).
        """
        if self.loginUnwanted():
            logout()
            return None
        if not admitted:
            logout()
            self.publish(events.LOGIN_REFUSED, reason=TOO_MANY_FOR_USER)
            self.reply(421, TOO_MANY_FOR_USER)
            self.close()
            return None
        self._userSessionKey = key
        self.logins += 1
        session = self.session
        # The shell's declarations looked up once for both extras.
        extras = providedBy(shell)
        if extras.isOrExtends(IFTPShellRates):
            session.downloadRate, session.uploadRate = ratesOf(shell)
        if extras.isOrExtends(IFTPShellResumeOwners):
            shell = forResumer(shell, resumerFor(key, session.anonymous,
                                                 self.peer))
        # A shell from outside ftpkit answers as the contract says, or
        # the log says in one line how it did not.
        shell = self._contractShell = heldToContract(shell)
        # A realm's own rules (a read-only user) narrow the session's, so
        # that the command table refuses what the shell would.
        session.access = session.access.within(shell)
        session.shell = session.access.guard(shell, self.factory.heldUploads)
        self.factory.loginWatch.stop(self)
        session.realmLogout = logout
        self.reportLogin()
        return (230, "Login successful")

    def loginUnwanted(self):
        """
        @return: whether a login answered now has no client to serve: the
            connection is closed, and the session does not run the
            commands its client sent before a C{QUIT} and left
            (L{ftpkit.control.quitleft}). Those run as with the client
            there, a login among them too: C{REIN}, C{USER}, C{PASS},
            C{MKD}, C{QUIT} sent behind a download, then a hang-up, had
            the login dropped without a line, and the C{MKD} refused.
        """
        return self._closed and not self._runsToQuit

    async def _loginFailed(self):
        self.failedLogins += 1
        self.publish(events.LOGIN_FAILED, count=self.failedLogins)
        self.session.username = None
        # The delay follows the address's recent failures too, so that
        # reconnecting does not start it again.
        failures = max(self.failedLogins, self.factory.loginFailures.record(
            self.peer, self.reactor.seconds()))
        delay = failureDelay(failures, self.config.loginFailureDelay)
        if delay > 0 and not await self._delayLogin(delay):
            return None
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
        Log out and start a fresh session, keeping the connection (and
        what belongs to it: its protection level after C{CCC}, its failed
        logins), as C{startAfresh} (of the connection's life) does; the
        time to log in (C{--login-timeout}) starts again only for a client
        that was logged in. On a control connection under TLS it is refused
        (C{refuseReinitialize}, of the security commands). A logged-in
        client that has had L{MAX_LOGINS} logins on this connection gets
        C{421} and is closed, logged out.
        """
        refusal = self.refuseReinitialize()
        if refusal is not None:
            return refusal
        if self.transfer is not None:
            return (503, "Transfer in progress")
        if self.refuseLoginAgain("REIN"):
            return None
        self.startAfresh()
        return (220, self.config.banner)

    def loginFirst(self):
        """
        The C{530} refusing a command that needs a login, sent before one
        (L{tlsFirst}).

        @return: the C{(530, text)} reply.
        """
        return (530, self.tlsFirst("Please log in with USER and PASS first",
                                   "log in with USER and PASS"))

    def tlsFirst(self, text, steps):
        """
        A reply text sending the client to log in, naming C{AUTH TLS} too
        when this control connection is in clear and the server requires
        TLS of its users, whose C{USER} would get C{530} for want of it.

        @param text: the text where C{USER} may come now.
        @param steps: what to send after C{AUTH TLS} otherwise.
        @return: the reply text.
        """
        if self.tls.controlSecure or not self.tlsRequiredFor(False):
            return text
        if self.tlsRequiredFor(True) or not self.anonymousOpen():
            return "Please send AUTH TLS, then " + steps
        return ("Please send AUTH TLS, then %s (anonymous logins need no "
                "TLS)" % steps)

    def anonymousOpen(self):
        """
        @return: whether the portal this session logs in through (the
            virtual host's, after C{HOST}) has anonymous logins.
        """
        portal = self.session.portal
        return portalAcceptsAnonymous(
            self.factory.portal if portal is None else portal)

    def refuseLoginAgain(self, verb):
        """
        A command that logs the user out so that the client may log in
        again on this connection (C{REIN}; C{AUTH TLS}, which logs out a
        user logged in in clear, after C{CCC} as before a first TLS): past
        L{MAX_LOGINS} logins, it gets C{421} and the connection is closed,
        logged out, the refusal logged through the server's
        L{ftpkit.control.peerwarnings}. Each such command asks here: with
        C{--tls-allow-ccc}, C{CCC} and C{AUTH TLS} logged a client out and
        in again without end, as C{REIN} did before it asked.

        @param verb: the command, for the log.
        @return: whether it is refused (the C{421} is sent, the connection
            closing); C{False} for a client not logged in, or within
            L{MAX_LOGINS}.
        """
        if self.session.shell is None or self.logins < MAX_LOGINS:
            return False
        self.factory.peerWarnings.emit(
            self.log, LogLevel.warn, "logins", self.peer,
            "{verb} from {peer} after {count} logins on one connection; "
            "closing", verb=verb, peer=self.peer, count=self.logins)
        self.reply(421, TOO_MANY_LOGINS)
        self.close()
        return True

    def ftp_QUIT(self, argument):
        """
        Say goodbye and close once the replies are sent (under TLS, the
        C{221} and the close alert in one segment: L{holdReplies}).
        """
        held = holdReplies(self.transport)
        try:
            self.reply(221, "Goodbye")
            self.close()
        finally:
            if held is not None:
                held.sendHeld()
        return None

    async def _delayLogin(self, seconds):
        """
        Wait before answering a login, as L{cancelLoginDelay} can cut
        short.

        @param seconds: how long.
        @return: whether the wait ran its course (C{False}: cancelled, the
            client is gone).
        """
        self._loginDelay = task.deferLater(self.reactor, seconds,
                                           lambda: None)
        try:
            await self._loginDelay
        except defer.CancelledError:
            return False
        finally:
            self._loginDelay = None
        # The client's idle time starts from the answer it waited for.
        self.resetTimeout()
        return True

    def cancelLoginDelay(self):
        """
        Forget the delayed answer to a failed PASS (the client is gone).
        """
        if self._loginDelay is not None:
            self._loginDelay.cancel()

    def leftKey(self):
        """
        @return: what the logged-in user's sessions left to the shell are
            counted as (L{ftpkit.control.sessionlimits.leftKey}).
        """
        return leftKey(self.session.username, self.session.anonymous,
                       self.peer, self.config.ipv6PrefixLength)

    def releaseUserSession(self):
        """
        The logged-in user, if any, is gone: the session stops counting
        for C{--max-sessions-per-user}, whatever its commands still do.

        @return: the user's key (L{userKey}), or C{None}.
        """
        key, self._userSessionKey = self._userSessionKey, None
        if key is not None:
            self.factory.userSessions.release(key)
        return key

    def logout(self):
        """
        End the logged-in user's avatar, if any.
        """
        session = self.session
        logout, session.realmLogout = session.realmLogout, None
        self.releaseUserSession()
        self.reportLogout()
        session.shell = None
        contract, self._contractShell = self._contractShell, None
        # Its counts of log lines left out are the session's (a
        # plugin's own shell, held to nothing, has none).
        stop = getattr(contract, "stopComplaints", None)
        if stop is not None:
            stop()
        if logout is None:
            return
        try:
            ending = logout()
        except Exception:
            self.log.failure("logout failed")
            return
        if isinstance(ending, CoroutineType):
            ending = defer.Deferred.fromCoroutine(ending)
        if isDeferred(ending):
            ending.addErrback(lambda f: self.log.failure("logout failed", f))


def _passing(result, call, *args):
    """
    Call C{call(*args)} and pass a Deferred's result on.

    @param result: the result.
    @param call: what to call.
    @param args: its arguments.
    @return: C{result}.
    """
    call(*args)
    return result
