"""
AUTH, PBSZ, PROT and CCC: explicit FTPS (RFC 4217), and the TLS rules the
other commands consult.
"""

from OpenSSL import SSL
from twisted.internet.error import ConnectionLost
from twisted.internet.interfaces import ISSLTransport
from twisted.logger import LogLevel

from ftpkit import compat
from ftpkit.control import tlslayer
from ftpkit.control.ccc import canClearTLS, clearTLS
from ftpkit.control.tls import describeTLSError
from ftpkit.control.tlsstate import CLEAR, ControlTLS
from ftpkit.control.vhosts import parseHostName
from ftpkit.data.tls import (
    DataTLS,
    ResumedTickets,
    dataChannelTLS,
    sessionSecret,
)

TLS_MECHANISMS = frozenset(["TLS", "TLS-C", "TLS-P", "SSL"])
"""The C{AUTH} arguments that start TLS: RFC 4217's C{TLS}, and the names
older clients send from the drafts before it."""

PROTECTED_MECHANISMS = frozenset(["TLS-P"])
"""The C{AUTH} arguments that protect the data connections too, as if
C{PBSZ 0} and C{PROT P} had followed (C{TLS-C}, like C{TLS}, leaves them
clear until C{PROT P})."""

MAX_BUFFER_SIZE = 2 ** 32 - 1
"""The largest C{PBSZ} argument: RFC 2228 answers C{501} to one that does
not fit in 32 bits."""


def validBufferSize(argument):
    """
    @param argument: a C{PBSZ} argument.
    @return: whether it is a decimal number (ASCII digits) that fits in 32
        bits, as RFC 2228 wants it.
    """
    text = argument.strip()
    if not (text.isascii() and text.isdigit()):
        return False
    # Leading zeros of any length are fine; past ten digits int() is not
    # needed (and refuses more than sys.get_int_max_str_digits()).
    digits = text.lstrip("0")
    return len(digits) <= 10 and int(digits or "0") <= MAX_BUFFER_SIZE


class SecurityCommands:
    """
    TLS state: the control connection is plain or TLS; data connections
    are clear (PROT C) or private (PROT P). It belongs to the connection,
    not to the L{ftpkit.protocol.sessionstate.Session}: C{REIN}, refused
    under TLS (L{refuseReinitialize}), keeps it after C{CCC}.

    @ivar tls: the L{ftpkit.control.tlsstate.ControlTLS}: the class's
        L{CLEAR} until TLS starts, then the session's own, which the
        commands (and the connection's C{handshakeCompleted}) change.
    """

    sessionFields = frozenset(["anonymous", "shell", "username", "hostName",
                               "portal"])
    tls = CLEAR

    def startedImplicitTLS(self):
        """
        The session was TLS from its first byte (an C{ssl:} endpoint):
        data connections are protected by default, as if C{PBSZ 0} and
        C{PROT P} had been sent (so a C{PROT} needs no C{PBSZ} first, as
        after C{AUTH TLS-P}); its TLS records are sent at once
        (L{compat.sendRecordsAtOnce}).
        """
        compat.sendRecordsAtOnce(self.transport)
        self.tls = ControlTLS(controlSecure=True, bufferSizeSet=True,
                              protectData=True,
                              context=self._startedContext())

    def _startedContext(self):
        """
        @return: the OpenSSL context TLS on the control connection just
            started with, for L{releaseTLSContext}, or C{None}.
        """
        try:
            return self.transport.getHandle().get_context()
        except AttributeError:
            return None

    def tlsConnectionLost(self, reason):
        """
        The control connection ended: say why its TLS handshake failed, if
        it did (L{noteTLSEnded}), and give its TLS context back
        (L{releaseTLSContext}).

        @param reason: the L{Failure} the connection ended with.
        """
        self.noteTLSEnded(reason)
        if self.tls.context is not None:
            self.releaseTLSContext()

    def noteHandshakeDone(self):
        """
        The control connection's TLS handshake completed (implicit, or
        after C{AUTH TLS}). A session refused before it started TLS (an
        implicit listener's, over a limit) gets a state of its own here:
        set in L{CLEAR}, it was every later session's (whose failed
        handshakes then went unlogged).
        """
        if self.tls is CLEAR:
            self.tls = ControlTLS(controlSecure=True)
        self.tls.handshakeDone = True

    def noteTLSEnded(self, reason):
        """
        The control connection ended: if its TLS handshake failed, log why
        (a client offering only TLS versions or cipher suites the server
        refuses gets no reply it could read, so this line is the only
        trace of it). A client that just closed the connection (a health
        check on an C{ssl:} port) is not logged, nor one past its
        address's lines of the minute (L{ftpkit.control.peerwarnings}).

        @param reason: the L{Failure} the connection ended with.
        """
        tls = self.tls
        if (tls.controlSecure and not tls.handshakeDone
                and reason.check(SSL.Error)):
            self.factory.peerWarnings.emit(
                self.log, LogLevel.info, "handshake", self.peer,
                "TLS handshake with {peer} failed: {error}",
                peer=self.peer, error=describeTLSError(reason.value))

    def releaseTLSContext(self):
        """
        The control connection ended: give its TLS context back to the
        server's context factory, for a later control connection (see
        L{ftpkit.control.tls.FTPSContextFactory.release}), unless a data
        connection used it.
        """
        tls = self.tls
        if tls.context is None:
            return
        context, tls.context = tls.context, None
        if tls.contextLent:
            return
        release = getattr(self.config.tlsContextFactory, "release", None)
        if release is not None:
            release(context)

    def tlsRequiredFor(self, anonymous):
        """
        @param anonymous: whether the user is anonymous.
        @return: whether this user must use TLS.
        """
        config = self.factory.config
        if not config.tlsRequired:
            return False
        return not anonymous or config.tlsRequiredForAnonymous

    def tlsServerName(self):
        """
        @return: the host name the client gave the control connection's
            TLS handshake (SNI), normalized by
            L{ftpkit.control.vhosts.parseHostName}, or C{None} when it gave none
            (or the connection is not under TLS).
        """
        if not self.tls.controlSecure:
            return None
        try:
            name = self.transport.getHandle().get_servername()
        except AttributeError:
            return None
        if not name:
            return None
        try:
            return parseHostName(name.decode("ascii"))
        except ValueError:
            return None

    def dataTLSContext(self):
        """
        @return: the context factory securing data connections (sharing
            the control connection's TLS context, so its session can be
            resumed), or C{None} for clear data connections.
        """
        tls = self.tls
        if not tls.protectData:
            return None
        if not tls.contextLent:
            tls.contextLent = True
        if tls.clearedContext is not None:
            return DataTLS(tls.clearedContext,
                           self.config.tlsRequireSessionReuse,
                           refused=self._reuseRefused,
                           controlSecret=tls.clearedSecret,
                           allowUploadEOF=self.config.tlsAllowUploadEOF)
        if tls.resumedTickets is None:
            tls.resumedTickets = ResumedTickets()
        return dataChannelTLS(self.transport, self.config.tlsContextFactory,
                              self.config.tlsRequireSessionReuse,
                              self._reuseRefused, tls.resumedTickets,
                              self.config.tlsAllowUploadEOF)

    def _reuseRefused(self):
        """
        Log a data connection refused by C{--tls-require-session-reuse},
        unless the server's L{ftpkit.control.peerwarnings} leave it out: a
        client can have it refused at will, on as many sessions.
        """
        self.factory.peerWarnings.emit(
            self.log, LogLevel.warn, "no session reuse", self.peer,
            "data connection TLS handshake from {peer} refused (no session "
            "reuse); dropping it", peer=self.peer)

    def refuseReinitialize(self):
        """
        C{REIN} on a control connection under TLS (C{AUTH TLS}, or an
        implicit C{ssl:} listener) is refused. RFC 4217 (section 11) has
        it end TLS on the control and data connections alike, so that the
        next C{USER} and C{PASS} would go in clear: the downgrade
        C{--tls-allow-ccc} guards C{CCC} against, and one a client
        keeping TLS (as pyftpdlib does) would not expect. Keeping TLS
        instead is what a client following the RFC would not expect: its
        next bytes in clear would end the session. vsftpd and ProFTPD
        answer every C{REIN} with C{502}; so does ftpkit here, leaving the
        session as it was (the user logged in, TLS on). After C{CCC} the
        control connection is in clear and C{REIN} works, keeping C{PROT}
        as C{CCC} does (it cannot be lowered over the clear channel).

        @return: the C{502} refusing it, or C{None} when the control
            connection is in clear.
        """
        if not self.tls.controlSecure:
            return None
        return (502, "REIN is not available on a TLS control connection; "
                     "QUIT and connect again")

    def refuseClearData(self):
        """
        @return: whether a clear data transfer must be refused (C{521}).
        """
        # Without --tls-required, tlsRequiredFor's answer without the
        # call (one a transfer).
        return (not self.tls.protectData and self.factory.config.tlsRequired
                and self.tlsRequiredFor(self.session.anonymous))

    def refusesClearProtection(self):
        """
        @return: whether C{PROT C} is refused (L{ftp_PROT}): TLS is
            required of the user logged in, or, before login, of the
            server's users at all. C{--tls-anonymous-exempt} exempts an
            anonymous user once logged in, as ProFTPD reads
            C{TLSRequired} again in an C{<Anonymous>} context after
            C{PASS} (before it, the server's setting holds): a C{200}
            before login would leave a user who then logs in, not
            exempt, with a level every transfer of his refuses (C{521}).
        """
        if self.session.shell is None:
            return self.tlsRequiredFor(False)
        return self.tlsRequiredFor(self.session.anonymous)

    def clearProtectionRefusal(self):
        """
        The C{534} refusing C{PROT C} (L{refusesClearProtection}), the
        protection level kept; before login, where anonymous users are
        exempt (and the session's portal has anonymous logins), it says
        they may send it once logged in.

        @return: the C{(534, text)} reply.
        """
        kept = "Private" if self.tls.protectData else "Clear"
        if (self.session.shell is None and not self.tlsRequiredFor(True)
                and self.anonymousOpen()):
            return (534, "PROT C refused before login: this server requires "
                         "protected data connections (PROT P) of all but "
                         "anonymous users, who may send it once logged "
                         "in; data protection stays %s" % kept)
        return (534, "PROT C refused: this server requires protected data "
                     "connections (PROT P); data protection stays %s" % kept)

    def clearDataRefusal(self):
        """
        The C{521} refusing a clear data transfer (L{refuseClearData}),
        naming what this session can do about it: C{PROT P}, after
        C{PBSZ 0} if it was not sent; after C{CCC}, where C{PROT} is
        refused (L{refuseOutsideTLS}), C{AUTH TLS} and a new login.

        @return: the C{(521, text)} reply.
        """
        if self.tls.clearedContext is not None:
            return (521, "Data connections must be protected, and PROT "
                         "cannot change after CCC: send AUTH TLS and log "
                         "in again")
        if not self.tls.bufferSizeSet:
            return (521, "Data connections must be protected "
                         "(PBSZ 0, PROT P)")
        return (521, "Data connections must be protected (PROT P)")

    def ftp_AUTH(self, argument):
        """
        Switch the control connection to TLS (RFC 4217). A user logged
        in (in clear, or under a TLS session C{CCC} ended) is logged out,
        to log in again under TLS: a login of the connection's
        L{ftpkit.control.handlers.login.MAX_LOGINS}, as after C{REIN}
        (C{421} past them, the connection closed).
        """
        mechanism = argument.strip().upper()
        if self.alreadyTLS():
            return (503, "Already using TLS")
        if self.config.tlsContextFactory is None:
            return (502, "TLS is not configured on this server")
        if mechanism not in TLS_MECHANISMS:
            return (504, "Unknown security mechanism; use AUTH TLS")
        if self.refuseLoginAgain("AUTH"):
            return None
        self.reply(234, "AUTH %s successful" % mechanism)
        self.discardPipelined()
        # RFC 2228: after AUTH the user logs in again; a USER, or a whole
        # login, made in clear (which anyone on the path could have sent
        # or changed) does not carry over into the TLS session.
        if self.session.shell is not None:
            self.startAfresh(hostName=self.session.hostName,
                             portal=self.session.portal)
        else:
            self.session.username = None
        # After CCC: the context TLS ended with goes back (unless a data
        # connection used it) before the new TLS takes one. Dropped, it
        # was never given back: each AUTH TLS after CCC made a new one.
        self.releaseTLSContext()
        tlslayer.startTLS(self.transport, self.config.tlsContextFactory)
        compat.sendRecordsAtOnce(self.transport)
        # RFC 2228: an accepted AUTH removes the state of the security
        # commands before it (those of a TLS session CCC ended): PBSZ and
        # PROT again, and data connections resume the new session.
        # Nothing is kept from the session before (after CCC): its new
        # handshake is still to be done (kept done, a failed one went
        # unlogged), and its new context is lent to no data connection.
        protected = mechanism in PROTECTED_MECHANISMS
        self.tls = ControlTLS(controlSecure=True, bufferSizeSet=protected,
                              protectData=protected,
                              context=self._startedContext())
        self.clearSecureFxp()
        return None

    def alreadyTLS(self):
        """
        @return: whether the control connection is under TLS, which
            C{AUTH} cannot start again (C{503}): after C{AUTH TLS}, on an
            implicit C{ssl:} listener; not after C{CCC}.
        """
        return (self.tls.controlSecure
                or ISSLTransport.providedBy(self.transport))

    def tlsClearable(self):
        """
        @return: whether C{CCC} could end the control connection's TLS:
            TLS that C{AUTH TLS} started, not an implicit C{ssl:}
            listener's (where C{CCC} gets C{534}).
        """
        return canClearTLS(self.transport)

    def refuseOutsideTLS(self, verb):
        """
        C{PBSZ} and C{PROT} are for a control connection under TLS. Before
        C{AUTH TLS} they come too early; after C{CCC} too late: the
        protection level then stays as it was, for a command in clear
        (which anyone on the path could have sent) must not lower it.
        Both get C{503} (bad sequence, one of the replies RFC 2228 gives
        them), each saying which it is: after C{CCC} a client told to
        send C{AUTH TLS} first would have been told something untrue.

        @param verb: C{"PBSZ"} or C{"PROT"}.
        @return: the C{503} refusing C{verb}, or C{None} when the control
            connection is under TLS.
        """
        tls = self.tls
        if tls.controlSecure:
            return None
        if tls.clearedContext is not None:
            return (503, "%s is not allowed after CCC (the control "
                         "connection is in clear); data protection stays "
                         "%s" % (verb, "Private" if tls.protectData
                                 else "Clear"))
        if self.config.tlsContextFactory is None:
            # AUTH gets 502 here: naming it would send the client to a
            # refusal.
            return (503, "%s is not available: TLS is not configured on "
                         "this server" % verb)
        return (503, "%s requires AUTH TLS first" % verb)

    def ftp_PBSZ(self, argument):
        """
        Protection buffer size: always 0 for TLS.
        """
        refusal = self.refuseOutsideTLS("PBSZ")
        if refusal is not None:
            return refusal
        if not validBufferSize(argument):
            return (501, "PBSZ takes a number from 0 to %d" % MAX_BUFFER_SIZE)
        self.tls.bufferSizeSet = True
        return (200, "PBSZ=0")

    def ftp_PROT(self, argument):
        """
        Choose clear (C) or private (P) data connections. C{PROT C} where
        policy requires TLS of the session's user, or before login of
        the server's users (L{refusesClearProtection}), gets RFC 4217's
        C{534}, as under ProFTPD's C{TLSRequired}, the level staying as
        it was: rather than C{200} and C{521} at the transfer.
        """
        level = argument.strip().upper()
        refusal = self.refuseOutsideTLS("PROT")
        if refusal is not None:
            return refusal
        if not self.tls.bufferSizeSet:
            return (503, "PROT requires PBSZ first")
        if level == "C" and self.refusesClearProtection():
            return self.clearProtectionRefusal()
        if level == "C":
            self.tls.protectData = False
            return (200, "Protection level set to Clear")
        if level == "P":
            self.tls.protectData = True
            return (200, "Protection level set to Private")
        if level in ("S", "E"):
            return (536, "Protection level not supported")
        return (504, "Unknown protection level")

    async def ftp_CCC(self, argument):
        """
        Clear Command Channel (RFC 4217 section 6): end TLS on the control
        connection after login, keeping the data connections' protection
        level; only with C{--tls-allow-ccc}.
        """
        if not self.config.tlsAllowCCC:
            return (534, "CCC is not allowed on this server")
        if not self.tls.controlSecure:
            return (533, "The control connection is not under TLS")
        if not self.tlsClearable():
            return (534, "CCC is not possible on this connection "
                    "(implicit TLS)")
        handle = self.transport.getHandle()
        context, secret = handle.get_context(), sessionSecret(handle)
        self.reply(200, "CCC OK: the control connection continues in clear")
        self.discardPipelined()
        try:
            await clearTLS(self.transport, self.reactor)
        except ConnectionLost:
            # The client went away before TLS ended: nobody to answer.
            return None
        tls = self.tls
        tls.clearedContext, tls.clearedSecret = context, secret
        tls.controlSecure = False
        return None
