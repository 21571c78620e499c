"""
What happens in sessions, as events: a session publishes one L{Event} per
thing that happened (a login, a finished transfer, a deletion...) to the
factory's L{EventHub}, and whatever wants to know subscribes to the hub:
the log (L{ftpkit.ops.eventlog}), the transfer log (L{ftpkit.ops.xferlog}),
metrics, and observers written by plugin authors.

Events are plain values: subscribers may keep them.
"""

from dataclasses import dataclass
from typing import Optional

from twisted.logger import Logger

LOGIN = "login"
"""A user logged in."""

LOGIN_FAILED = "login-failed"
"""A C{PASS} was refused (C{count} is the session's failures so far)."""

LOGIN_ABANDONED = "login-abandoned"
"""A client left with a password it sent still unchecked: held, as
passwords from an address with recent failed logins are, until that
address's delay ran out (L{ftpkit.control.loginfailures}). A guesser
hanging up instead of waiting for each answer had its attempts go
without a line."""

LOGIN_REFUSED = "login-refused"
"""A user whose password was right was refused by a limit
(C{--max-sessions-per-user}): the session got C{421} and is closed;
C{reason} says why."""

LOGOUT = "logout"
"""A logged-in user left (C{QUIT}, C{REIN}, or the connection closed):
C{seconds} since login, C{bytesIn} and C{bytesOut} moved meanwhile."""

TRANSFER = "transfer"
"""A file transfer (C{RETR}, C{STOR}, C{APPE}, C{STOU}) finished or
failed: C{code} is its final reply, C{bytes} and C{seconds} what moved
and for how long."""

LISTING = "listing"
"""A listing (C{LIST}, C{NLST}, C{MLSD}) finished or failed over a data
connection."""

CHANGE = "change"
"""Something was changed: C{command} is C{DELE}, C{RNTO} (C{path} the old
name, C{target} the new), C{MKD}, C{RMD} or C{SITE CHMOD}."""

REFUSAL = "refusal"
"""A command naming a path was refused with C{550}, C{552} or C{553}, or
failed on the server's side with C{450}, C{451} or C{452} (a full disk)."""

CONNECTION_REFUSED = "connection-refused"
"""A connection was refused before its greeting (C{reason} says why)."""

SESSION_STARTED = "session-started"
"""A control connection was accepted and greeted."""

SESSION_ENDED = "session-ended"
"""A control connection accepted earlier closed."""

REPLY = "reply"
"""A reply was sent (C{code}); published only while someone subscribes."""

KINDS = (LOGIN, LOGIN_FAILED, LOGIN_ABANDONED, LOGIN_REFUSED, LOGOUT,
         TRANSFER, LISTING, CHANGE, REFUSAL, CONNECTION_REFUSED,
         SESSION_STARTED, SESSION_ENDED, REPLY)
"""Every kind of event."""

_new = object.__new__
_setAttribute = object.__setattr__

TRANSFER_COMMANDS = ("RETR", "STOR", "APPE", "STOU")
"""The commands of L{TRANSFER} events."""

LISTING_COMMANDS = ("LIST", "NLST", "MLSD")
"""The commands of L{LISTING} events."""

UPLOADS = frozenset(["STOR", "APPE", "STOU"])
"""Transfer commands that receive a file."""

REFUSAL_CODES = frozenset([450, 451, 452, 550, 552, 553])
"""Final replies that make a L{REFUSAL} event when the command named a
path. The C{45x} are the server's trouble (a full disk: C{MKD} got C{452}
with no line in the log at all), logged as warnings."""


@dataclass(frozen=True)
class Event:
    """
    One thing that happened in a session.

    @ivar kind: one of L{KINDS}.
    @ivar peer: the client's address.
    @ivar time: when it happened, seconds since the epoch.
    @ivar user: the user name (as given to C{USER}), or C{None} before
        C{USER}.
    @ivar anonymous: whether the user logged in (or tried to) anonymously.
    @ivar command: the verb (C{"RETR"}, C{"SITE CHMOD"}...), or C{None}.
    @ivar path: the path the command named (absolute, as the user sees
        it), or C{None}.
    @ivar target: a rename's new path, or C{None}.
    @ivar code: the final reply code, or C{None}.
    @ivar bytes: bytes a transfer moved.
    @ivar seconds: how long a transfer lasted (from its data connection
        being ready; for one L{beforeData}, from its command) or a session
        (from login).
    @ivar beforeData: whether a transfer failed before its data
        connection was ready (none came, or no descriptor was left:
        C{425}; the file could not be opened: C{451}; cut while it waited
        for the connection or its TLS handshake: C{426}): it moved
        nothing, and C{seconds} say how long its command waited. A
        command refused before its transfer began (C{501}, C{503},
        C{530}, C{425} with no data connection set up) is no transfer.
    @ivar binary: whether a transfer was in C{TYPE I}.
    @ivar bytesIn: bytes a session received (L{LOGOUT}).
    @ivar bytesOut: bytes a session sent (L{LOGOUT}).
    @ivar count: failed logins so far (L{LOGIN_FAILED}).
    @ivar reason: why a connection was refused, or a transfer failed or
        a command was refused on the server's side.
    @ivar session: an id of the session, unique in the process; C{0} for
        none (L{CONNECTION_REFUSED}: the connection never became one).
    @ivar host: the virtual host name the session chose with C{HOST}
        (RFC 7151), or C{None}.
    @ivar client: the name the client gave itself with C{CLNT} or
        C{CSID}, cleaned (L{ftpkit.protocol.clientid.cleanClientName}), or
        C{None}.
    @ivar localFile: where a complete upload's file (C{226}) is on this
        machine's disk, an absolute path below the user's root, the final
        name (its shell's
        L{ftpkit.interfaces.IFTPShellLocalPath.localPath}), or C{None}:
        any other event, and an upload to storage with no local file
        (memory, an object store, a shell without that extra).
    """

    kind: str
    peer: str
    time: float = 0.0
    user: Optional[str] = None
    anonymous: bool = False
    command: Optional[str] = None
    path: Optional[str] = None
    target: Optional[str] = None
    code: Optional[int] = None
    bytes: int = 0
    seconds: float = 0.0
    beforeData: bool = False
    binary: bool = True
    bytesIn: int = 0
    bytesOut: int = 0
    count: int = 0
    reason: Optional[str] = None
    session: int = 0
    host: Optional[str] = None
    client: Optional[str] = None
    localFile: Optional[str] = None

    def __init__(self, kind, peer, time=0.0, user=None, anonymous=False,
                 command=None, path=None, target=None, code=None, bytes=0,
                 seconds=0.0, beforeData=False, binary=True, bytesIn=0,
                 bytesOut=0, count=0, reason=None, session=0, host=None,
                 client=None, localFile=None):
        # The fields in one step: the generated __init__ of a frozen
        # dataclass sets each through object.__setattr__, which costs a
        # transfer's event twice as much (one per transfer, for the log).
        self.__dict__.update(
            kind=kind, peer=peer, time=time, user=user, anonymous=anonymous,
            command=command, path=path, target=target, code=code,
            bytes=bytes, seconds=seconds, beforeData=beforeData,
            binary=binary, bytesIn=bytesIn, bytesOut=bytesOut, count=count,
            reason=reason, session=session, host=host, client=client,
            localFile=localFile)

    @classmethod
    def fromFields(cls, fields):
        """
        An event made without calling the class: what the server's
        sessions use, where events are made at every login and logout.
        Calling a class with keyword arguments and setting every field is
        most of what building an event costs; an event made here holds
        only the fields given, and the others read their defaults from
        the class, so that it equals, hashes, prints and pickles as the
        event L{Event} makes from the same fields.

        @param fields: a dict of field names (those of the class, C{kind}
            and C{peer} among them) to values; the event keeps it as its
            own, so the caller must not change it afterwards.
        @return: an L{Event}.
        """
        event = _new(cls)
        _setAttribute(event, "__dict__", fields)
        return event

    @property
    def succeeded(self):
        """
        @return: whether the final reply (if any) was a success (1xx-3xx).
        """
        return self.code is None or self.code < 400

    @property
    def upload(self):
        """
        @return: whether this is a transfer into the server.
        """
        return self.command in UPLOADS


class EventHub:
    """
    Hands each published L{Event} to the subscribers of its kind, in the
    order they subscribed. A subscriber that raises is logged and the
    others still get the event; a subscriber must not block (see
    L{ftpkit.ops.observers} for ones that do slow work).

    @ivar wanted: the kinds that have subscribers, a C{frozenset} worked
        out again at each subscription change, so that a check made for
        every reply (the L{REPLY} event) is one lookup, not a call of
        L{wants}.
    @ivar finishers: what the server's stop waits for once its sessions
        are gone (L{ftpkit.ops.drain.Drain}): callables taking the
        seconds left of its shutdown grace and returning a Deferred that
        fires once a subscriber's work on the events it had is done or
        given up (L{ftpkit.control.uploadhook.UploadCommand.finish}).
    @ivar localFiles: whether a subscriber reads the C{localFile} of
        complete uploads' events: an observer's C{uploadFinished}
        (L{ftpkit.ops.observers.ObserverSubscription.subscribeTo} sets
        it; code subscribing another callable that reads it sets it
        too). A session asks its shell where an upload is only then
        (L{ftpkit.control.handlers.reporting.localFileOf}): every upload
        would pay for the answer.
    """

    log = Logger()

    wanted = frozenset()
    localFiles = False

    def __init__(self):
        self._subscribers = {}
        self.finishers = []

    def subscribe(self, subscriber, kinds=KINDS):
        """
        @param subscriber: a callable taking an L{Event}.
        @param kinds: the kinds of event it gets.
        """
        for kind in kinds:
            self._subscribers[kind] = self._subscribers.get(kind, ()) + (
                subscriber,)
        self.wanted = frozenset(self._subscribers)

    def unsubscribe(self, subscriber):
        """
        @param subscriber: a callable given to L{subscribe}; it gets no
            more events.
        """
        for kind, subscribers in list(self._subscribers.items()):
            left = tuple(each for each in subscribers if each != subscriber)
            if left:
                self._subscribers[kind] = left
            else:
                del self._subscribers[kind]
        self.wanted = frozenset(self._subscribers)

    def publish(self, event):
        """
        @param event: an L{Event}, given to each subscriber of its kind.
        """
        for subscriber in self._subscribers.get(event.kind, ()):
            try:
                subscriber(event)
            except Exception:
                self.log.failure("event subscriber {subscriber!r} failed "
                                 "on a {kind} event", subscriber=subscriber,
                                 kind=event.kind)
