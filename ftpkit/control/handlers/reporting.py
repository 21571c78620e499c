"""
The session's side of L{ftpkit.ops.events}: what a session publishes, and the
little state that needs (login time, bytes in and out, the transfer a
command ran).
"""

import itertools

from ftpkit.errors import FTPError
from ftpkit.interfaces import IFTPShellLocalPath
from ftpkit.ops import events
from ftpkit.protocol import commandtable, paths
from ftpkit.protocol.commands import splitListArgument

_sessionIds = itertools.count(1)

TRANSFER_VERBS = frozenset(events.TRANSFER_COMMANDS)
"""Commands whose data connection moves a file (L{events.TRANSFER})."""

LISTING_VERBS = frozenset(events.LISTING_COMMANDS)
"""Commands whose data connection moves a listing (L{events.LISTING})."""

REPORTED_VERBS = TRANSFER_VERBS | LISTING_VERBS
"""Commands whose final reply L{SessionReporting.reportReplied} may
publish as a transfer or listing (one that began); for any other command
it publishes only a refusal (a code of L{events.REFUSAL_CODES})."""


def pathArgument(verb, argument):
    """
    @param verb: a command's verb.
    @param argument: its argument.
    @return: the part of C{argument} naming a path, or C{None} when the
        command names none.
    """
    command = commandtable.lookup(verb)
    if command is None or "pathname" not in command.syntax:
        return None
    if verb == "SITE":
        name, _, rest = argument.lstrip(" ").partition(" ")
        if name.upper() == "MKDIR":
            return rest or None
        words = rest.split(None, 1)
        if name.upper() != "CHMOD" or len(words) < 2:
            return None
        return words[1]
    if verb in ("MFMT", "MFF"):
        return argument.partition(" ")[2]
    if verb in ("LIST", "NLST", "STAT"):
        return splitListArgument(argument)[1]
    return argument


def localFileOf(shell, path):
    """
    Where a complete upload's file is on this machine's disk, for its
    event (L{events.Event.localFile}) where a subscriber reads it
    (L{events.EventHub.localFiles}): the one place that asks. A
    plugin's shell is held to the answer's shape where the login put it
    (L{ftpkit.shells.contract.ContractShell.localPath}).

    @param shell: the session's shell, wrapped or not.
    @param path: the file's shell path, a tuple of segments.
    @return: the shell's L{IFTPShellLocalPath.localPath} of it, or
        C{None} for a shell without that extra.
    """
    if IFTPShellLocalPath.providedBy(shell):
        return shell.localPath(path)
    return None


class SessionReporting:
    """
    Publishes the session's events to the factory's
    L{events.EventHub}.

    @ivar sessionId: a number naming the session in events.
    @ivar loginTime: when the user logged in (reactor seconds), or C{None}.
    @ivar bytesIn: bytes received over data connections since login.
    @ivar bytesOut: bytes sent over data connections since login.
    """

    sessionFields = frozenset(["username", "anonymous", "cwd", "binary",
                               "hostName", "shell"])
    loginTime = None
    bytesIn = 0
    bytesOut = 0
    sessionId = 0
    _reportedTransfer = None
    _commandStarted = None
    _startedInRead = None

    def publish(self, kind, **fields):
        """
        Publish an event of this session, if anyone wants it.

        @param kind: one of L{events.KINDS}.
        @param fields: the event's other fields (L{events.Event}); its
            C{time} is the reactor's now unless given (by a caller that
            read the clock already).
        """
        factory = self.factory
        hub = factory.events
        if kind in hub.wanted:
            if not self.sessionId:
                self.sessionId = next(_sessionIds)
            session = self.session
            fields["kind"] = kind
            fields["peer"] = self.peer
            if "time" not in fields:
                fields["time"] = factory.reactor.seconds()
            fields["user"] = session.username
            fields["anonymous"] = session.anonymous
            fields["session"] = self.sessionId
            fields["host"] = session.hostName
            fields["client"] = self.clientName
            hub.publish(events.Event.fromFields(fields))

    def reportRefused(self, reason):
        """
        The connection is refused before its greeting: it never became a
        session, so its event names none (as the acceptor's refusals under
        C{--workers} name none), and takes no session number.

        @param reason: the text of the C{421}.
        """
        factory = self.factory
        hub = factory.events
        if events.CONNECTION_REFUSED in hub.wanted:
            hub.publish(events.Event(
                events.CONNECTION_REFUSED, self.peer,
                time=factory.reactor.seconds(), reason=reason))

    def reportLogin(self):
        """
        The user logged in.
        """
        self.loginTime = self.factory.reactor.seconds()
        self.bytesIn = self.bytesOut = 0
        reports = self.factory.inFlight
        if reports is not None:
            session = self.session
            reports.loggedIn(self._sessionNumber(), self.loginTime,
                             self.peer, session.username, session.anonymous,
                             session.hostName, self.clientName)
        # The clock read above is the event's time: publish reads none.
        self.publish(events.LOGIN, time=self.loginTime)
        if reports is not None:
            reports.flush()

    def reportLogout(self):
        """
        The logged-in user leaves (before the session forgets who it was).
        """
        if self.loginTime is None:
            return
        now = self.factory.reactor.seconds()
        seconds = now - self.loginTime
        self.loginTime = None
        reports = self.factory.inFlight
        if reports is not None:
            reports.loggedOut(self._sessionNumber())
        self.publish(events.LOGOUT, time=now, seconds=seconds,
                     bytesIn=self.bytesIn, bytesOut=self.bytesOut)
        if reports is not None:
            reports.flush()

    def _sessionNumber(self):
        """
        @return: L{sessionId}, taken now if the session has none yet (as
            L{publish} takes it).
        """
        if not self.sessionId:
            self.sessionId = next(_sessionIds)
        return self.sessionId

    def reportChange(self, command, path, target=None):
        """
        A command changed something.

        @param command: C{"DELE"}, C{"RNTO"}, C{"MKD"}, C{"RMD"},
            C{"SITE CHMOD"}, C{"MFMT"}, C{"SITE UTIME"} or C{"MFF"} (which
            changed a time or permissions).
        @param path: the path it changed, a tuple of segments.
        @param target: a rename's new path, a tuple of segments.
        """
        self.publish(events.CHANGE, command=command, path=paths.toText(path),
                     target=None if target is None else paths.toText(target))

    def reportCommandStarted(self):
        """
        A transfer or listing command (L{REPORTED_VERBS}) begins to run:
        if it ends before its data connection is ready (cut while it
        waits for the connection or during its TLS handshake, or the
        server failed it: a C{4xx}), its event's C{seconds} run from
        now. One refused before it ran (by the command table), or with a
        C{5xx}, or before it asked for its data connection
        (L{reportTransferRefused}), is no transfer: it did nothing.
        """
        self._commandStarted = self.factory.reactor.seconds()
        self._startedInRead = self.readNumber()

    def reportAbortArrived(self, beforeData):
        """
        C{ABOR} arrived while the running transfer or listing command has
        no data connection open. If it came first, the command's transfer
        never began, and its reply publishes none, as for a command
        refused (L{reportTransferRefused}): the command still opened what
        it sends or receives, or looked it up (C{beforeData}), or the
        C{ABOR} came in the same read as the command (the client sent
        both at once, as a client pipelining C{RETR} and C{ABOR} does:
        it never meant to connect). An C{ABOR} that came later, while the
        command waited for its data connection, ends a transfer that
        began: a failed one, its event saying C{beforeData}.

        @param beforeData: whether the command had not asked for its data
            connection yet.
        """
        if beforeData or (self._startedInRead is not None
                          and self._startedInRead == self.readNumber()):
            self.reportTransferRefused()

    def reportTransferRefused(self):
        """
        The running transfer or listing command is refused before it
        asks for its data connection, as one refused before it ran is
        (none was set up: C{425}): its reply publishes no transfer, as
        wu-ftpd, ProFTPD and vsftpd log only transfers that started.
        """
        self._commandStarted = None

    def reportTransferStarted(self, transfer):
        """
        A data connection is open for the running command.

        @param transfer: its L{ftpkit.control.handlers.transferring.Transfer}.
        """
        transfer.started = self.factory.reactor.seconds()
        self._reportedTransfer = transfer
        reports = self.factory.inFlight
        if reports is not None:
            command, _, path = transfer.description.partition(" ")
            if command in REPORTED_VERBS:
                reports.transferStarted(self._sessionNumber(),
                                        transfer.started, command, path,
                                        self.session.binary,
                                        transfer.bytesMoved)

    def reportReplied(self, verb, argument, code, reason=None):
        """
        A command got its final reply: publish what it did.

        @param verb: the command's verb.
        @param argument: its argument.
        @param code: the final reply code.
        @param reason: why the command failed on the server's side (it
            had no descriptor left), for its event, or C{None}.
        @return: whether the event published says C{reason} (a file
            transfer's, or a refusal's): C{False} when none does.
        """
        if verb in TRANSFER_VERBS or verb in LISTING_VERBS:
            # Not STAT or ABOR, answered while a transfer runs.
            transfer, self._reportedTransfer = self._reportedTransfer, None
            started, self._commandStarted = self._commandStarted, None
        else:
            transfer = started = None
        if transfer is not None:
            return self._reportTransfer(verb, transfer, code, reason)
        if code in events.REFUSAL_CODES and (
                code >= 500 or verb not in TRANSFER_VERBS
                or started is None):
            # A transfer command the server failed (452 at the open) is a
            # failed transfer, below, as one cut short is; one refused
            # before its transfer began (STOU's 450: no unique name) is a
            # refusal.
            return self._reportRefusal(verb, argument, code, reason)
        if started is not None and 400 <= code < 500:
            # Begun, and failed before its data connection was ready. A
            # command refused (5xx: a syntax, a sequence, a protection)
            # or never begun is no transfer.
            kind = (events.TRANSFER if verb in TRANSFER_VERBS
                    else events.LISTING)
            self.publish(kind, command=verb,
                         path=self._pathText(verb, argument), code=code,
                         seconds=self.factory.reactor.seconds() - started,
                         beforeData=True, binary=self.session.binary,
                         reason=reason)
            return kind == events.TRANSFER
        return False

    def _reportTransfer(self, verb, transfer, code, reason):
        moved = transfer.bytesMoved()
        if transfer.mover.incoming:
            self.bytesIn += moved
        else:
            self.bytesOut += moved
        command, _, path = transfer.description.partition(" ")
        kind = events.TRANSFER if verb in TRANSFER_VERBS else events.LISTING
        reports = self.factory.inFlight
        if reports is not None and command in REPORTED_VERBS:
            reports.transferEnded(self._sessionNumber(), moved,
                                  transfer.mover.incoming)
        else:
            reports = None
        target = transfer.target
        # The clock read once, for the event's time and its seconds.
        now = self.factory.reactor.seconds()
        self.publish(kind, command=command, path=path, code=code,
                     bytes=moved, time=now, seconds=now - transfer.started,
                     binary=self.session.binary, reason=reason,
                     localFile=None if target is None or code != 226
                     or not self.factory.events.localFiles
                     else localFileOf(self.session.shell, target))
        if reports is not None:
            reports.flush()
        return kind == events.TRANSFER

    def _reportRefusal(self, verb, argument, code, reason):
        path = self._pathText(verb, argument)
        if path is None:
            return False
        if verb == "SITE":
            verb = "SITE " + argument.split(None, 1)[0].upper()
        self.publish(events.REFUSAL, command=verb, path=path, code=code,
                     reason=reason)
        return True

    def _pathText(self, verb, argument):
        text = pathArgument(verb, argument)
        if text is None:
            return None
        try:
            return paths.toText(paths.resolve(self.session.cwd, text))
        except FTPError:
            return text
