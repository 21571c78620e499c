"""
What the acceptor of C{--workers} knows of each worker's logged-in
sessions and running file transfers, so that when a worker dies
(C{SIGKILL}, the out-of-memory killer, a crash, or killed as hung) the
acceptor logs for them what the worker would have logged had they been
cut: each transfer's line (C{426}, the transfer log's C{i}, a failed
transfer in the metrics), each listing's event (a failed listing in the
metrics, as one process counts it) and each session's C{logout}. Before,
a worker killed in the middle of transfers left no trace of them but the
count of the acceptor's C{worker PID exited (...); N session(s) cut}.

The worker tells (L{InFlightReports}) by records in its log pipe
(L{ftpkit.ops.workerlog}, marked L{REPORT_MARK}), which the acceptor
reads at a pace (L{ftpkit.deploy.logpipe}) and wholly once the worker
exited, before it ends its sessions: a login, a logout, a transfer's
or a listing's start, its progress and its end. A start is one record
written at once (one C{write} of the worker; none more for the acceptor,
which reads the pipe when it reads the worker's log lines); a transfer
running a second or more has its bytes written once a second
(L{ftpkit.deploy.progress}, one C{write} for all); the others are held
(L{ftpkit.ops.workerlog.HeldText}) and go to the pipe with the event's
own log line, in the same C{write} (L{InFlightReports.flush} writes them
alone when no line follows). The acceptor keeps them (L{InFlight}) and,
when the worker exited, makes the events (L{InFlight.cutEvents}) its own
event hub publishes.
"""

import json
import signal
from json.encoder import encode_basestring_ascii
from math import isfinite

from twisted.internet.error import ProcessTerminated

from ftpkit.deploy.progress import ProgressTicks
from ftpkit.ops import events
from ftpkit.ops.workerlog import RECORD_SEPARATOR, REPORT_MARK, microseconds

CUT_CODE = 426
"""The final reply code of a transfer its worker's death cut: that of a
transfer whose data connection was cut."""

_LOGIN = "l"
_LOGOUT = "o"
_START = "s"
_PROGRESS = "p"
_END = "e"

_STARTED = frozenset(events.TRANSFER_COMMANDS + events.LISTING_COMMANDS)
"""The commands whose start is reported."""

_compact = json.JSONEncoder(separators=(",", ":")).encode


class InFlightReports:
    """
    A worker's side: writes its sessions' logins and logouts and its file
    transfers' and listings' starts, progress and ends to its log pipe,
    for the acceptor (L{InFlight}). Each record is C{KIND SESSION} and,
    for some, what follows: a login's and a start's fields as a JSON
    array (read only if the worker dies; its time first, in whole
    microseconds, L{microseconds}), the bytes moved so far, an end's
    bytes and direction.
    """

    def __init__(self, out, reactor):
        """
        @param out: the L{ftpkit.ops.workerlog.HeldText} of the worker's
            log pipe (L{ftpkit.ops.workerlog.beginWorkerLogging}).
        @param reactor: the reactor, whose timer reports long transfers'
            bytes (L{ftpkit.deploy.progress}).
        """
        self._out = out
        self._progress = ProgressTicks(reactor, self._progressed,
                                       self.flush)

    def _write(self, text):
        """
        @param text: a record, held to be written ahead of the next log
            record (or by L{flush}).
        """
        self._out.hold(f"{RECORD_SEPARATOR}{REPORT_MARK}{text}\n")

    def flush(self):
        """
        Send what is held, if anything: nothing when the event's log line,
        written since, took it.
        """
        self._out.send()

    def loggedIn(self, session, when, peer, user, anonymous, host, client):
        """
        A user logged in (written before the login's line).

        @param session: the session's id (L{events.Event.session}), an
            C{int}.
        @param when: when, seconds since the epoch.
        @param peer: the client's address.
        @param user: the user name.
        @param anonymous: whether anonymously.
        @param host: the virtual host's name, or C{None}.
        @param client: the client's C{CLNT} name, or C{None}.
        """
        self._write(f"{_LOGIN} {session:d} " + loginFields(
            when, peer, user, anonymous, host, client))

    def loggedOut(self, session):
        """
        The session's user left (written before the logout's line).

        @param session: the session's id.
        """
        self._progress.ended(session)
        self._write(f"{_LOGOUT} {session:d}")

    def transferStarted(self, session, when, command, path, binary, moved):
        """
        A file transfer's or a listing's data connection is ready:
        written and sent at once.

        @param session: the session's id.
        @param when: when, seconds since the epoch (the reactor's).
        @param command: C{RETR}, C{STOR}, C{APPE}, C{STOU}, C{LIST},
            C{NLST} or C{MLSD}.
        @param path: the path, as the user sees it.
        @param binary: whether in C{TYPE I}.
        @param moved: a callable returning the bytes it moved so far,
            which are reported should it run long.
        """
        self._write(f"{_START} {session:d} " + startFields(
            when, command, path, binary))
        self.flush()
        self._progress.started(session, when, moved)

    def _progressed(self, session, moved):
        """
        @param session: the id of a session whose transfer runs long.
        @param moved: the bytes it moved so far, held to be sent once
            every transfer's are.
        """
        self._write(f"{_PROGRESS} {session:d} {int(moved):d}")

    def transferEnded(self, session, moved, upload):
        """
        The session's transfer or listing ended (written before its
        line).

        @param session: the session's id.
        @param moved: the bytes it moved, an C{int}.
        @param upload: whether into the server.
        """
        self._progress.ended(session)
        self._write(
            f"{_END} {session:d} {int(moved):d} {'i' if upload else 'o'}")


def loginFields(when, peer, user, anonymous, host, client):
    """
    @param when: a login record's time, seconds since the epoch.
    @param peer: its client's address.
    @param user: its user name.
    @param anonymous: whether anonymously.
    @param host: its virtual host's name, or C{None}.
    @param client: its client's C{CLNT} name, or C{None}.
    @return: the JSON array of the six, the time in whole microseconds
        (L{microseconds}), as C{_compact} writes it, made without the
        encoder each call of C{encode} builds (some 5 µs a login) where
        each is of its usual type.
    """
    if (type(when) is float and isfinite(when) and type(peer) is str
            and type(user) is str and type(anonymous) is bool
            and _textOrNone(host) and _textOrNone(client)):
        return (f"[{round(when * 1_000_000)},"
                f"{encode_basestring_ascii(peer)},"
                f"{encode_basestring_ascii(user)},"
                f'{"true" if anonymous else "false"},'
                f"{_jsonTextOrNull(host)},{_jsonTextOrNull(client)}]")
    return _compact([microseconds(when), peer, user, anonymous, host,
                     client])


def _textOrNone(value):
    """
    @param value: a login field.
    @return: whether it is a C{str} or C{None}.
    """
    return value is None or type(value) is str


def _jsonTextOrNull(value):
    """
    @param value: a C{str} or C{None}.
    @return: its JSON text.
    """
    return "null" if value is None else encode_basestring_ascii(value)


def startFields(when, command, path, binary):
    """
    @param when: a start record's time, seconds since the epoch.
    @param command: its command.
    @param path: its path.
    @param binary: its type.
    @return: the JSON array of the four, the time in whole microseconds
        (L{microseconds}), as C{_compact} writes it, made without the
        encoder each call of C{encode} builds (a worker writes one for
        each transfer) where each is of its usual type.
    """
    if (type(when) is float and isfinite(when) and type(path) is str
            and type(binary) is bool and command in _STARTED):
        return (f'[{round(when * 1_000_000)},"{command}",'
                f'{encode_basestring_ascii(path)},'
                f'{"true" if binary else "false"}]')
    return _compact([microseconds(when), command, path, binary])


class InFlight:
    """
    The acceptor's side, for one worker: its logged-in sessions and their
    file transfers and listings running, as its records
    (L{InFlightReports}) say. What the acceptor does for each record is
    cheap (no JSON is read until the worker died): a worker sends two
    for each transfer, and one a second for one running long.

    @ivar sessions: by session id (its text), C{[fields, bytesIn,
        bytesOut]} of each logged-in session, C{fields} the JSON text of
        its login's.
    @ivar transfers: by session id, the JSON text of the fields of the
        transfer or listing it runs.
    @ivar moved: by session id, the text of the bytes its running
        transfer moved, as last reported (none before its first
        report).
    """

    def __init__(self):
        self.sessions = {}
        self.transfers = {}
        self.moved = {}

    def recordReceived(self, text):
        """
        Take in one record.

        @param text: its text (after L{REPORT_MARK}); one that is not a
            record is ignored.
        """
        kind, _, rest = text.rstrip("\n").partition(" ")
        session, _, rest = rest.partition(" ")
        if kind == _START:
            self.transfers[session] = rest
            self.moved.pop(session, None)
        elif kind == _PROGRESS:
            self.moved[session] = rest
        elif kind == _END:
            self.transfers.pop(session, None)
            held = self.sessions.get(session)
            moved, _, direction = rest.partition(" ")
            if held is not None and moved.isdecimal():
                held[1 if direction == "i" else 2] += int(moved)
        elif kind == _LOGIN:
            self.sessions[session] = [rest, 0, 0]
        elif kind == _LOGOUT:
            self.sessions.pop(session, None)
            self.transfers.pop(session, None)
            self.moved.pop(session, None)

    def cutEvents(self, now, reason):
        """
        The worker is gone: the events of what it held.

        @param now: seconds since the epoch.
        @param reason: why its transfers failed (L{deathReason}).
        @return: a C{list} of L{events.Event}: a L{events.TRANSFER} event
            (L{CUT_CODE}, the bytes last reported moved: 0 for one cut
            before its first report) for each file transfer running, a
            L{events.LISTING} event likewise for each listing, then a
            L{events.LOGOUT} event for each logged-in session (counting
            its cut transfer's bytes too), in the order of their ids (a
            record that does not read is left out); the held state is
            emptied.
        """
        logins = {}
        for session, (fields, bytesIn, bytesOut) in self.sessions.items():
            login = _fields(session, fields, 6)
            if login is not None:
                logins[login[0]] = [login[1], bytesIn, bytesOut]
        starts = {}
        for session, fields in self.transfers.items():
            start = _fields(session, fields, 4)
            if start is not None and start[0] in logins:
                moved = self.moved.get(session, "")
                starts[start[0]] = (start[1],
                                    int(moved) if moved.isdecimal() else 0)
        cut = []
        for session in sorted(starts):
            (started, command, path, binary), moved = starts[session]
            held = logins[session]
            held[1 if command in events.UPLOADS else 2] += moved
            cut.append(_event(
                held[0], session, now,
                events.LISTING if command in events.LISTING_COMMANDS
                else events.TRANSFER,
                command=command, path=path, code=CUT_CODE, bytes=moved,
                seconds=now - started, binary=binary, reason=reason))
        for session in sorted(logins):
            login, bytesIn, bytesOut = logins[session]
            cut.append(_event(
                login, session, now, events.LOGOUT, seconds=now - login[0],
                bytesIn=bytesIn, bytesOut=bytesOut))
        self.sessions.clear()
        self.transfers.clear()
        self.moved.clear()
        return cut


def _fields(session, text, count):
    """
    @param session: a record's session id, its text.
    @param text: the JSON text of its fields.
    @param count: how many it has.
    @return: C{(session, fields)}, the id an C{int}, the first field (a
        time, whole microseconds: L{microseconds}) in seconds; C{None}
        when either does not read.
    """
    try:
        fields = json.loads(text)
        number = int(session)
    except ValueError:
        return None
    if (type(fields) is not list or len(fields) != count
            or type(fields[0]) is not int):
        return None
    fields[0] /= 1_000_000
    return number, fields


def _event(held, session, now, kind, **fields):
    """
    @param held: a session's login fields (L{InFlightReports.loggedIn}).
    @param session: its id.
    @param now: the event's time.
    @param kind: the event's kind.
    @param fields: its other fields.
    @return: the L{events.Event}.
    """
    _, peer, user, anonymous, host, client = held
    return events.Event(kind, peer, time=now, user=user,
                        anonymous=anonymous, session=session, host=host,
                        client=client, **fields)


def deathReason(pid, reason):
    """
    @param pid: a worker's process id.
    @param reason: why it exited (a L{twisted.python.failure.Failure}).
    @return: what its cut transfers' lines say: C{worker 1234 killed by
        SIGKILL}, C{worker 1234 exited with status 1}.
    """
    value = reason.value
    if isinstance(value, ProcessTerminated) and value.signal is not None:
        try:
            name = signal.Signals(value.signal).name
        except ValueError:
            name = f"signal {value.signal}"
        return f"worker {pid} killed by {name}"
    status = getattr(value, "exitCode", None)
    if status:
        return f"worker {pid} exited with status {status}"
    return f"worker {pid} exited"
