"""
L{EventLog}: one C{twisted.logger} event per session L{Event} worth a log
line, with stable field names (listed in L{FIELDS} and in
C{docs/logging.rst}) for C{--log-format json} and log shippers.

In the text form the client's address comes before anything the client
chose, and user names and paths are quoted with C{repr}, so that a user
name holding C{" from 10.9.8.7 "} or a line break cannot pass for another
address or another line (fail2ban reads these lines).

A client can have commands refused as fast as it sends them, and each
refusal's line is longer than its command: a session's refusals get
L{REFUSAL_LINES} lines a minute (L{LogThrottle}), and the count of those
left out is one L{REFUSALS_NOT_LOGGED} line, written before the
session's next refusal line or its logout, or once its minute is over,
whichever comes first (a session may stay connected, silent, for hours).
A transfer that failed before its data connection opened (C{beforeData}:
a C{RETR} of an existing file after C{PASV}, cut by C{ABOR} before the
client connected, gets C{425}) is such a refusal: it did no work, and
its line (with the file's path) is longer than its command, so it
shares the session's refusal lines; it counted as a transfer, a line
each, and 2,000 pipelined logged 2,000 lines. (One refused before it
began, with no data connection set up, is no transfer at all:
L{ftpkit.control.handlers.reporting}.) Only the log is bounded: the
hub's other subscribers (metrics, observers, the transfer log) get every
refusal and every transfer.

A client refused at the door (C{connection-refused}: over a connection
limit, or the server draining) can open and drop connections as fast as
it likes, without logging in: each client address (an IPv6 client's
network, L{ftpkit.protocol.limitkeys}) gets
L{CONNECTION_REFUSAL_LINES} of those lines a minute, the first after them
ending with how many were left out (L{MORE_NOT_LOGGED}), or, once the
minute is over with none, one L{CONNECTION_REFUSALS_NOT_LOGGED} line
saying it (a client that floods and stops causes no next line).

Logins: each successful one is a line, always, and so is its
C{logout} (what a session did: an operator audits them, as vsftpd and
ProFTPD log each), and each failed one (fail2ban counts them; the failed
logins of one address are already held to one a delay,
L{ftpkit.control.loginfailures}). A client that knows a password (or
logs in anonymously) can have its logins refused as fast as it connects,
though, once its user has C{--max-sessions-per-user} sessions: each
address gets L{LOGIN_REFUSAL_LINES} C{login-refused} lines a minute, and
once its minute is over, one L{LOGIN_REFUSALS_NOT_LOGGED} line counts
those left out (the first line of its next minute, when that comes
first, ends with the count instead). So does a client that hangs up
with its password unchecked (C{login-abandoned}: held by its address's
delay), which it can do as fast as it connects: L{LOGIN_ABANDON_LINES}
a minute, then one L{LOGIN_ABANDONS_NOT_LOGGED} line.

And each line is bounded: the fields a client chose at length (the user
name, a path, a rename's target) are cut to L{FIELD_LENGTH} characters
in the log (L{clipped}), their middle replaced by a marker saying how
much is left out. A path of the longest kind, in a working directory as
deep as a session may go, is far longer than the command naming it: a
loop of C{MKD x} and C{RMD x} there had the log grow much faster than the
client sent.
"""

from time import time

from twisted.internet.defer import succeed
from twisted.logger import Logger, LogLevel

from ftpkit.ops import events
from ftpkit.ops.directlines import DirectLines, compileLine
from ftpkit.ops.logthrottle import INTERVAL, LogThrottle, Summaries
from ftpkit.protocol.limitkeys import DEFAULT_IPV6_PREFIX_LENGTH, limitKey

REFUSALS_NOT_LOGGED = "refusals-not-logged"
"""The kind of the line counting a session's refusals left out of the
log (no L{events.EventHub} event: the log writes it)."""

REFUSAL_LINES = 100
"""Refusal lines a session gets a minute."""

CONNECTION_REFUSAL_LINES = 10
"""C{connection-refused} lines an address gets a minute."""

CONNECTION_REFUSAL_ADDRESSES = 1000
"""Addresses whose C{connection-refused} lines are counted apart; past
them (a client of many addresses), the others' lines are counted as one
address's."""

LOGIN_REFUSAL_LINES = 10
"""C{login-refused} lines an address gets a minute."""

LOGIN_REFUSALS_NOT_LOGGED = "login-refusals-not-logged"
"""The kind of the line counting an address's C{login-refused} lines left
out of the log, a minute after the first of them (no L{events.EventHub}
event: the log writes it)."""

LOGIN_ABANDON_LINES = 10
"""C{login-abandoned} lines an address gets a minute."""

LOGIN_ABANDONS_NOT_LOGGED = "login-abandons-not-logged"
"""The kind of the line counting an address's C{login-abandoned} lines
left out of the log, a minute after the first of them (no
L{events.EventHub} event: the log writes it)."""

CONNECTION_REFUSALS_NOT_LOGGED = "connection-refusals-not-logged"
"""The kind of the line counting an address's C{connection-refused} lines
left out of the log, once the minute holding them is over and no later
one of its lines said it (no L{events.EventHub} event: the log writes
it)."""

MORE_NOT_LOGGED = " (and {count} more not logged)"
"""What ends the first C{connection-refused} line of an address after
some of its refusals were left out (the words of
L{ftpkit.ops.logthrottle.skippedNote})."""

FIELDS = {
    "ftpkit_event": "kind",
    "peer": "peer",
    "user": "user",
    "anonymous": "anonymous",
    "command": "command",
    "path": "path",
    "target": "target",
    "code": "code",
    "bytes": "bytes",
    "seconds": "seconds",
    "bytes_in": "bytesIn",
    "bytes_out": "bytesOut",
    "count": "count",
    "reason": "reason",
    "session": "session",
    "host": "host",
    "client": "client",
}
"""Log event field names, each mapped to the L{events.Event} attribute it
holds."""

FIELD_LENGTH = 512
"""Most characters of a client-chosen field a log line holds."""

_CLIPPED = frozenset(["user", "path", "target"])
"""The fields a client chooses, up to a command line's length, or a
path's."""

_FORMATS = {
    events.LOGIN: (
        LogLevel.info, "login from {peer} user {user!r}",
        ("user", "anonymous")),
    events.LOGIN_FAILED: (
        LogLevel.warn, "failed login from {peer} user {user!r} ({count})",
        ("user", "anonymous", "count")),
    events.LOGIN_ABANDONED: (
        LogLevel.warn,
        "abandoned login from {peer} user {user!r} (password not checked)",
        ("user", "anonymous")),
    events.LOGIN_REFUSED: (
        LogLevel.warn, "refused login from {peer} user {user!r}: {reason}",
        ("user", "anonymous", "reason")),
    events.LOGOUT: (
        LogLevel.info,
        "logout from {peer} user {user!r}: {seconds:.3f} s, "
        "{bytes_in} bytes in, {bytes_out} bytes out",
        ("user", "anonymous", "seconds", "bytes_in", "bytes_out")),
    events.TRANSFER: (
        LogLevel.info,
        "{command} from {peer} user {user!r} path {path!r}: {code}, "
        "{bytes} bytes in {seconds:.3f} s",
        ("user", "anonymous", "command", "path", "code", "bytes",
         "seconds")),
    events.CHANGE: (
        LogLevel.info, "{command} from {peer} user {user!r} path {path!r}",
        ("user", "anonymous", "command", "path")),
    events.REFUSAL: (
        LogLevel.info,
        "refused {command} from {peer} user {user!r} path {path!r}: "
        "{code}",
        ("user", "anonymous", "command", "path", "code")),
    events.CONNECTION_REFUSED: (
        LogLevel.warn, "refused connection from {peer}: {reason}",
        ("reason",)),
    REFUSALS_NOT_LOGGED: (
        LogLevel.warn,
        "{count} more refused commands from {peer} user {user!r} "
        "not logged",
        ("user", "anonymous", "count")),
    LOGIN_REFUSALS_NOT_LOGGED: (
        LogLevel.warn, "{count} more refused logins from {peer} not logged",
        ("count",)),
    LOGIN_ABANDONS_NOT_LOGGED: (
        LogLevel.warn,
        "abandoned logins from {peer} not logged: {count}",
        ("count",)),
    CONNECTION_REFUSALS_NOT_LOGGED: (
        LogLevel.warn, "refused connections from {peer} not logged: {count}",
        ("count",)),
}

ONE_NOT_LOGGED = ("{count} more refused command from {peer} user {user!r} "
                  "not logged")
"""The text format of a L{REFUSALS_NOT_LOGGED} line counting one
refusal."""

ONE_LOGIN_NOT_LOGGED = "{count} more refused login from {peer} not logged"
"""The text format of a L{LOGIN_REFUSALS_NOT_LOGGED} line counting one
refused login."""

LOGGED = tuple(kind for kind in _FORMATS if kind in events.KINDS)
"""The kinds of hub event that are logged."""

TEXT_FORMATS = tuple(text for _, text, _ in _FORMATS.values()) + (
    ONE_NOT_LOGGED, ONE_LOGIN_NOT_LOGGED)
"""The text format of each logged kind's lines (without the host,
target or reason a line may add)."""

_REASON_KINDS = frozenset([events.TRANSFER, events.REFUSAL])
"""Kinds whose lines say why, when the event does: a transfer failed, or
a command was refused, on the server's side (no descriptor left)."""

_HOST_KINDS = frozenset([events.LOGIN, events.LOGIN_FAILED,
                         events.LOGIN_ABANDONED,
                         events.LOGIN_REFUSED])
"""Kinds whose lines name the virtual host, when C{HOST} chose one (a
host name is checked: it holds no space, quote or line break), and the
client's name, when it gave one with C{CLNT} or C{CSID} (quoted: the
client chose it)."""

_log = Logger(namespace="ftpkit")
"""The logger of ftpkit's event lines (their namespace, C{ftpkit})."""


def clipped(text, length=FIELD_LENGTH):
    """
    Bound a client-chosen field for the log.

    @param text: the field's value (C{None}, or text).
    @param length: the most characters to keep.
    @return: C{text} if no longer than C{length}, or its first and last
        characters around C{"...[N characters]..."} (C{N} those left
        out), C{length} characters in all, and some more for the marker.
    """
    if text is None or len(text) <= length:
        return text
    kept = length // 2
    return (f"{text[:kept]}...[{len(text) - 2 * kept} characters]..."
            f"{text[-kept:]}")


def logFields(event, skipped=0):
    """
    @param event: an L{events.Event} of a kind in L{LOGGED}.
    @param skipped: for a C{connection-refused} event, how many of its
        address's refusals were left out of the log before it.
    @return: C{(level, format, fields)}: the log level, the text format
        and the log event's fields.
    """
    level, text, names = _FORMATS[event.kind]
    fields = {"ftpkit_event": event.kind, "peer": event.peer}
    if event.session:
        fields["session"] = event.session
    for name in names:
        value = getattr(event, FIELDS[name])
        fields[name] = clipped(value) if name in _CLIPPED else value
    if event.kind == REFUSALS_NOT_LOGGED and event.count == 1:
        text = ONE_NOT_LOGGED
    elif event.kind == LOGIN_REFUSALS_NOT_LOGGED and event.count == 1:
        text = ONE_LOGIN_NOT_LOGGED
    elif event.kind == events.CHANGE and event.target is not None:
        text += " to {target!r}"
        fields["target"] = clipped(event.target)
    elif event.kind in _REASON_KINDS and event.reason is not None:
        text += " ({reason})"
        fields["reason"] = event.reason
    elif skipped:
        text += MORE_NOT_LOGGED
        fields["count"] = skipped
    if event.host is not None and event.kind in _HOST_KINDS:
        text += " on host {host}"
        fields["host"] = event.host
    if event.client is not None and event.kind in _HOST_KINDS:
        text += " client {client!r}"
        fields["client"] = event.client
    return lineLevel(event, level), text, fields


def lineLevel(event, level=None):
    """
    @param event: an L{events.Event} of a kind in L{LOGGED} (or
        L{REFUSALS_NOT_LOGGED}, L{LOGIN_REFUSALS_NOT_LOGGED}).
    @param level: its kind's level, or C{None} to look it up.
    @return: the log level of its line: its kind's, but a warning for a
        failed transfer (C{4xx} or C{5xx}) and for a refusal that is the
        server's trouble (C{4xx}).
    """
    kind = event.kind
    if kind == events.TRANSFER:
        if event.code is not None and event.code >= 400:
            return LogLevel.warn
    elif kind == events.REFUSAL and event.code < 500:
        return LogLevel.warn
    return _FORMATS[kind][0] if level is None else level


def _directLine(kind):
    """
    @param kind: a kind in L{LOGGED}.
    @return: its L{compileLine} function: the text of its line when the
        event has none of the fields that make it longer (a target, a
        reason, a host, a client) and no refusals were left out before
        it.
    """
    _, text, names = _FORMATS[kind]
    guards = ()
    if kind == events.CHANGE:
        guards += ("target",)
    if kind in _REASON_KINDS:
        guards += ("reason",)
    if kind in _HOST_KINDS:
        guards += ("host", "client")
    attributes = {name: FIELDS[name] for name in ("peer", *names)}
    return compileLine(text, attributes, _CLIPPED.intersection(names),
                       guards, FIELD_LENGTH, clipped)


_direct = DirectLines(
    _log, {kind: line for kind in LOGGED
           if (line := _directLine(kind)) is not None}, lineLevel)
"""Writes the lines of L{_log} straight to the text log when it can."""


def notLogged(event, count):
    """
    @param event: an L{events.Event} of a session.
    @param count: how many of the session's refusals were left out of
        the log.
    @return: the L{REFUSALS_NOT_LOGGED} event saying so, with the
        session's fields.
    """
    return events.Event.fromFields({
        "kind": REFUSALS_NOT_LOGGED, "peer": event.peer,
        "time": event.time, "user": event.user,
        "anonymous": event.anonymous, "count": count,
        "session": event.session, "host": event.host,
        "client": event.client})


class EventLog:
    """
    Subscribes to an L{events.EventHub} and logs each event of a kind in
    L{LOGGED} through C{twisted.logger}.

    Each log event is the one C{Logger.emit} would make (the fields and
    C{twisted.logger}'s documented C{log_*} keys), handed to the logger's
    observer directly: C{emit} checks the level against every level and
    copies the fields, for every line. When ftpkit's text log is that
    observer's only observer, a line of its kind's format is written there
    straight from the event instead (L{ftpkit.ops.directlines}): the same
    bytes.
    """

    def __init__(self, clock=None, refusalLines=REFUSAL_LINES,
                 ipv6PrefixLength=DEFAULT_IPV6_PREFIX_LENGTH,
                 interval=INTERVAL):
        """
        @param clock: an C{IReactorTime}, the reactor if C{None} (its
            C{callLater} too: the lines counting those left out, at the
            end of their minute).
        @param refusalLines: the refusal lines a session gets a minute.
        @param ipv6PrefixLength: the bits of an IPv6 address that name its
            client (L{limitKey}): the C{connection-refused} lines of one
            client are bounded together, whichever addresses of its
            network it comes from, as the limits that refuse it count it.
        @param interval: the seconds of the throttles' windows (a
            minute; less in tests).
        """
        if clock is None:
            from twisted.internet import reactor as clock
        self._refusals = Summaries(
            LogThrottle(clock, interval, refusalLines), self._refusalsEnded)
        self._doorRefusals = Summaries(
            LogThrottle(clock, interval, CONNECTION_REFUSAL_LINES,
                        maxKinds=CONNECTION_REFUSAL_ADDRESSES),
            self._addressEnded(CONNECTION_REFUSALS_NOT_LOGGED))
        self._loginRefusals = Summaries(
            LogThrottle(clock, interval, LOGIN_REFUSAL_LINES,
                        maxKinds=CONNECTION_REFUSAL_ADDRESSES),
            self._addressEnded(LOGIN_REFUSALS_NOT_LOGGED))
        self._loginAbandons = Summaries(
            LogThrottle(clock, interval, LOGIN_ABANDON_LINES,
                        maxKinds=CONNECTION_REFUSAL_ADDRESSES),
            self._addressEnded(LOGIN_ABANDONS_NOT_LOGGED))
        # The kinds whose lines are bounded by the client's address.
        self._byAddress = {events.CONNECTION_REFUSED: self._doorRefusals,
                           events.LOGIN_REFUSED: self._loginRefusals,
                           events.LOGIN_ABANDONED: self._loginAbandons}
        # The last refusal left out of each session's lines, whose
        # fields its REFUSALS_NOT_LOGGED line takes.
        self._leftOut = {}
        self._clock = clock
        self._prefixLength = ipv6PrefixLength

    def __call__(self, event):
        """
        @param event: an L{events.Event} to log.
        """
        kind = event.kind
        if kind == events.REFUSAL or (kind == events.TRANSFER
                                      and event.beforeData):
            skipped = self._refusals.admit(event.session)
            if skipped is None:
                self._leftOut[event.session] = event
                return
            if skipped:
                del self._leftOut[event.session]
                self._write(notLogged(event, skipped))
        elif kind == events.LOGOUT:
            skipped = self._refusals.throttle.takeSkipped(event.session)
            if skipped:
                del self._leftOut[event.session]
                self._write(notLogged(event, skipped))
        elif kind in self._byAddress:
            skipped = self._byAddress[kind].admit(
                limitKey(event.peer, self._prefixLength))
            if skipped is not None:
                self._write(event, skipped)
            return
        self._write(event)

    def _refusalsEnded(self, session, count):
        """
        Write the L{REFUSALS_NOT_LOGGED} line of a session whose minute
        ended with refusals left out.

        @param session: the session's number.
        @param count: how many.
        """
        self._write(notLogged(self._leftOut.pop(session), count))

    def _addressEnded(self, kind):
        """
        @param kind: L{LOGIN_REFUSALS_NOT_LOGGED},
            L{LOGIN_ABANDONS_NOT_LOGGED} or
            L{CONNECTION_REFUSALS_NOT_LOGGED}.
        @return: the C{summarize} of a L{Summaries} counting by address:
            it writes a line of C{kind} for an address (its L{limitKey})
            whose minute ended with lines left out.
        """
        def ended(peer, count):
            self._write(events.Event.fromFields({
                "kind": kind, "peer": peer, "time": self._clock.seconds(),
                "count": count}))
        return ended

    def stop(self):
        """
        Write the lines counting what was left out, minutes over or not,
        and drop their timers: the server stops.
        """
        for summaries in (self._refusals, self._doorRefusals,
                          self._loginRefusals, self._loginAbandons):
            summaries.stop()

    def finish(self, left):
        """
        L{stop}, as one of the hub's C{finishers} (once the sessions are
        gone).

        @param left: the seconds left of the shutdown grace (unused).
        @return: a Deferred that has fired.
        """
        self.stop()
        return succeed(None)

    def _write(self, event, skipped=0):
        """
        @param event: an L{events.Event} to log, unthrottled.
        @param skipped: see L{logFields}.
        """
        when = time()
        if not skipped and _direct(event, when):
            return
        level, text, fields = logFields(event, skipped)
        fields["log_logger"] = _log
        fields["log_level"] = level
        fields["log_namespace"] = _log.namespace
        fields["log_source"] = _log.source
        fields["log_format"] = text
        fields["log_time"] = when
        _log.observer(fields)

    def subscribeTo(self, hub):
        """
        @param hub: the L{events.EventHub} whose events to log.
        """
        hub.subscribe(self, LOGGED)
        hub.finishers.append(self.finish)
