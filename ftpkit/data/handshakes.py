"""
L{HandshakeCandidates}: the passive connections under C{PROT P} whose TLS
handshakes are under way, each of which may turn out to be the client's.

Under C{PROT P} a passive listener (L{ftpkit.data.channel.DataChannel})
takes every connection from the client's address and puts it under TLS;
the first whose handshake the session's policy accepts is the data
connection. A stranger sharing that address (the same host, the same NAT)
can so hold only one of L{PENDING_HANDSHAKES} places, each for at most
L{HANDSHAKE_TIMEOUT} seconds from the transfer command on; and while one
of them has sent nothing yet, it makes way for a newer connection
(L{HandshakeCandidates.evictSilent}), so that silent strangers cannot
hold all of them, once it has been so for L{EVICT_GRACE} seconds.

L{HandshakeCandidates} also runs that flow for its channel: it takes a
connection (L{HandshakeCandidates.take}), says when the listener may
accept (L{HandshakeCandidates.admits}), stops and restarts its reading,
and hands the channel the connection that wins (the channel's C{claim}).
"""

import socket
from functools import partial

from ftpkit.data.adopting import adopt

PENDING_HANDSHAKES = 4
"""TLS handshakes a session's passive listener runs at once under
C{PROT P}; while that many are under way and none may make way (each
has sent something, or is younger than L{EVICT_GRACE}), further
connections wait in its queue."""

EVICT_GRACE = 0.5
"""Seconds a passive candidate under C{PROT P} stays, silent, before it
may make way for a newer connection. A client may connect, send its
transfer command and start its handshake only after the reply (ftplib
waits for C{150}): its connection is silent for about a round trip, in
which a stranger on its address connecting without pause could otherwise
have it closed by newer ones."""

HANDSHAKE_TIMEOUT = 10.0
"""Seconds a passive connection under C{PROT P} has, once a transfer
command waits for it, to complete its TLS handshake."""

UNADOPTED = object()
"""What L{HandshakeCandidates} has, in place of a candidate's connection,
of one that ended before the reactor could adopt it (reset as it was
accepted)."""


class HandshakeCandidates:
    """
    A session's candidate data connections in their TLS handshakes, with
    the timer each gets once a transfer waits, and their cap; and the flow
    of its channel's passive listener while they are under way.

    It keeps no reference to its channel beyond the callbacks its
    candidates' Deferreds and its wake-up call hold (a session is freed
    without the cyclic garbage collector): the flow's methods are given
    the channel, a L{ftpkit.data.channel.DataChannel}, of which they use
    C{isConnecting}, C{listener}, C{announceOpening}, C{acceptQueued},
    C{claim} and C{claimLost}.

    @ivar limit: how many may be under way at once (L{full}).
    @ivar timeout: seconds each has, once timed, for its handshake.
    @ivar grace: seconds each stays before it may make way, silent
        (L{EVICT_GRACE}).
    @ivar lostEarly: the last candidate that ended before its handshake was
        accepted while no transfer waited (L{_lost}; L{UNADOPTED} for one
        never adopted), until L{drop}; else C{None}.
    """

    __slots__ = ("_reactor", "limit", "timeout", "grace", "_kept", "_wake",
                 "lostEarly")

    def __init__(self, reactor, limit=PENDING_HANDSHAKES,
                 timeout=HANDSHAKE_TIMEOUT, grace=EVICT_GRACE):
        """
        @param reactor: provides IReactorTime.
        @param limit: see L{PENDING_HANDSHAKES}.
        @param timeout: see L{HANDSHAKE_TIMEOUT}.
        @param grace: see L{EVICT_GRACE}.
        """
        self._reactor = reactor
        self.limit = limit
        self.timeout = timeout
        self.grace = grace
        self._kept = {}
        self._wake = None
        self.lostEarly = None

    def __len__(self):
        """
        @return: how many handshakes are under way.
        """
        return len(self._kept)

    @property
    def full(self):
        """
        @return: whether L{limit} handshakes are under way.
        """
        return len(self._kept) >= self.limit

    @property
    def hasRoom(self):
        """
        @return: whether another candidate can be taken: L{full} is not
            reached, or one under way may make way (L{evictSilent}).
        """
        return not self.full or self._evictable() is not None

    def _evictable(self):
        """
        @return: the oldest candidate whose peer has sent nothing yet and
            that has been here for L{grace} seconds, or C{None}.
        """
        now = self._reactor.seconds()
        for connection, kept in self._kept.items():
            if connection.peerSilent and now - kept.since >= self.grace:
                return connection
        return None

    def anySilent(self):
        """
        @return: whether a candidate's peer has sent nothing yet: no byte
            read, none waiting in the kernel (L{sentNothing}). Such a client
            may wait for the transfer's C{150} before it starts its
            handshake (ftplib does); one that has started it does not.
        """
        return any(sentNothing(connection) for connection in self._kept)

    def evictSilent(self):
        """
        Abort the oldest candidate whose peer has sent nothing yet (not
        even the start of a handshake) for L{grace} seconds, forgetting it
        first: it makes way for a newer connection. Candidates
        mid-handshake, or younger, are kept.

        @return: whether one was evicted.
        """
        connection = self._evictable()
        if connection is None:
            return False
        self._forget(connection)
        connection.abort()
        return True

    def wakeWhenEvictable(self, wake):
        """
        Call C{wake} once the oldest silent candidate has been here for
        L{grace} seconds (its owner, out of room, may accept again then),
        instead of any such call asked before; none if no candidate is
        silent. Any change to the candidates cancels it.

        @param wake: called with no argument.
        """
        self._stopWaking()
        now = self._reactor.seconds()
        for connection, kept in self._kept.items():
            if connection.peerSilent:
                self._wake = self._reactor.callLater(
                    max(0, kept.since + self.grace - now), self._woken, wake)
                return

    def _woken(self, wake):
        """
        The call L{wakeWhenEvictable} asked for is due.

        @param wake: the callable to call.
        """
        self._wake = None
        wake()

    def _stopWaking(self):
        """
        Cancel the call L{wakeWhenEvictable} asked for, if any.
        """
        wake, self._wake = self._wake, None
        _cancel(wake)

    def _forget(self, connection):
        """
        Forget a candidate and cancel its timer and any wake-up call.

        @param connection: a candidate here.
        """
        self._stopWaking()
        _cancel(self._kept.pop(connection).timer)

    def add(self, connection, passed, lost, timed):
        """
        Follow a candidate's handshake until it is accepted or the
        connection ends, whichever comes first.

        @param connection: the candidate's
            L{ftpkit.data.connection.DataConnection}.
        @param passed: called with C{connection} once its handshake is
            accepted, after it is forgotten here.
        @param lost: called with C{connection} if it ends first, after it
            is forgotten here; not once L{drop} or L{evictSilent} dropped
            it.
        @param timed: whether to start its timer now (a transfer waits);
            otherwise L{timeAll} starts it.
        """
        self._stopWaking()
        self._kept[connection] = _Kept(self._reactor.seconds())
        connection.whenSecured().addCallback(self._ended, connection,
                                             passed)
        connection.whenLost().addCallback(self._ended, connection, lost)
        if timed:
            self._time(connection)

    def timeAll(self):
        """
        Start the timer of every candidate not timed yet: a transfer now
        waits for one of them.
        """
        for connection in list(self._kept):
            self._time(connection)

    def _time(self, connection):
        """
        Give a candidate L{timeout} seconds, unless timed already (or
        gone).

        @param connection: a candidate's
            L{ftpkit.data.connection.DataConnection}.
        """
        kept = self._kept.get(connection)
        if kept is not None and kept.timer is None:
            kept.timer = self._reactor.callLater(self.timeout,
                                                 connection.abort)

    def handLostEarly(self, channel):
        """
        A transfer now waits and no candidate is under way: if one ended
        before (L{lostEarly}), the transfer ends now with it (L{_hand}),
        instead of waiting for another until the data timeout (C{425 Data
        connection timed out}), its client long gone: C{150}, then C{426}
        (the refusal of one the session's TLS policy refused: curl,
        Python's C{ssl} under TLS 1.3, whose handshake is over on the
        client's side before it sends its command), as a clear connection
        its client closed, or sent bytes on, before its command or just
        after it gets, and as one lost while the transfer waits does
        (L{_lost}); C{425 Data connection closed} for one reset as it was
        accepted (L{UNADOPTED}), as a clear listing's command gets. It got
        C{425} for each before session 50, so a listing's command, which
        asks for its connection a step later than C{RETR} and C{STOR},
        got either answer for a connection lost just after it, by timing.
        A stranger's ended connection cannot end the client's transfer
        so: the client's own, made before its command, is there (and one
        from another address is refused on arrival, as port theft).

        @param channel: the channel whose transfer waits.
        """
        lost = self.lostEarly
        if lost is None:
            return
        _hand(channel, lost)

    def _ended(self, ignored, connection, then):
        """
        A candidate's handshake was accepted, or it ended: forget it and
        call C{then} with it, unless it was dropped already.
        """
        if connection not in self._kept:
            return
        self._forget(connection)
        then(connection)

    def drop(self):
        """
        Abort every candidate still in its handshake, forgetting it first,
        and forget L{lostEarly}.
        """
        self.lostEarly = None
        if self._wake is not None:
            self._stopWaking()
        if not self._kept:
            # A clear session's channel drops none at every PASV and
            # EPSV: no new dict, no calls (docs/benchmark-investigations.rst,
            # bench-small-stor-35).
            return
        kept, self._kept = self._kept, {}
        for connection, each in kept.items():
            _cancel(each.timer)
            connection.abort()

    def take(self, channel, sock, tls):
        """
        Put a passive connection from the client's address under TLS as a
        candidate (C{PROT P}: no bare connection can be wanted, and the
        client may start its handshake before its transfer command); when
        L{full}, a silent candidate makes way for it (L{evictSilent},
        L{admits}). The first whose handshake is accepted wins.

        @param channel: the channel whose listener accepted it.
        @param sock: the accepted socket.
        @param tls: the session's L{ftpkit.data.tls.DataTLS}.
        """
        if self.full:
            self.evictSilent()
        if not adopt(self._reactor, sock, channel, tls,
                     partial(self._made, channel)):
            self._lost(channel, UNADOPTED)

    def _made(self, channel, connection):
        """
        A candidate connection is made: wait for its handshake (timed
        once a transfer waits) or its end; stop accepting while L{limit}
        are under way and none is silent.

        @param channel: the channel it is a candidate of.
        @param connection: its L{ftpkit.data.connection.DataConnection}.
        """
        waiting = channel.isConnecting
        self.add(connection, partial(self._passed, channel),
                 partial(self._lost, channel), waiting)
        if waiting:
            channel.announceOpening()
        listener = channel.listener
        if listener is not None and not self.admits(channel):
            listener.stopReading()

    def admits(self, channel):
        """
        Tell whether the channel's passive listener may accept a
        connection (asked before each one, and when a transfer starts
        waiting).

        @param channel: the channel whose listener asks.
        @return: whether fewer than L{limit} candidates are under way, or
            one of them has sent nothing yet for L{grace} seconds and will
            make way for it (L{take}), if it is the client's. The listener
            stops reading otherwise, until a candidate ends (L{_lost}) or
            a silent one reaches the grace (L{_readAgain}, then asked here
            again).
        """
        if self.hasRoom:
            return True
        self.wakeWhenEvictable(partial(self._readAgain, channel))
        return False

    def _readAgain(self, channel):
        """
        A silent candidate may make way now: let the channel's passive
        listener accept again (L{admits} is asked before each
        connection).

        @param channel: the channel whose listener stopped reading.
        """
        listener = channel.listener
        if listener is not None and not listener.reading:
            listener.startReading()

    def _lost(self, channel, connection):
        """
        A candidate ended before its handshake was accepted (garbage, a
        refused handshake, its timeout): accept again if that had stopped
        for L{limit}.

        If it was the only connection a waiting transfer had (none other
        pending or queued), it is the transfer's, as the client's own
        connection would be (one not resuming the session under
        C{--tls-require-session-reuse}, say): the transfer ends now, saying
        why, rather than at the data timeout. A client connects before
        its transfer command, so a stranger's failure cannot end it so.
        One that ended while no transfer waited (closed, reset, not TLS,
        refused by the session's TLS policy) is kept for the next
        (L{lostEarly}, L{handLostEarly}): a transfer command may be on its
        way already (a listing's asks for its connection a step later).

        @param channel: the channel it was a candidate of.
        @param connection: its L{ftpkit.data.connection.DataConnection},
            or L{UNADOPTED}.
        """
        listener = channel.listener
        if listener is None:
            return
        if not listener.reading and not self.full:
            listener.startReading()
        if not channel.isConnecting:
            self.lostEarly = connection
            return
        if self:
            channel.announceOpening()
            return
        channel.acceptQueued()
        if channel.isConnecting and not self:
            _hand(channel, connection)

    def _passed(self, channel, connection):
        """
        A candidate's handshake was accepted: it is the data connection
        (the channel drops the other candidates).

        @param channel: the channel it was a candidate of.
        @param connection: its L{ftpkit.data.connection.DataConnection}.
        """
        channel.claim(connection)


class _Kept:
    """
    What L{HandshakeCandidates} keeps of a candidate.

    @ivar since: when it was taken, in the reactor's seconds.
    @ivar timer: the L{IDelayedCall} aborting it, once timed; else
        C{None}.
    """

    __slots__ = ("since", "timer")

    def __init__(self, since):
        """
        @param since: when the candidate is taken, in the reactor's
            seconds.
        """
        self.since = since
        self.timer = None


def _hand(channel, lost):
    """
    Give a waiting transfer the candidate that ended, whose end ends it.

    @param channel: the channel whose transfer waits.
    @param lost: the candidate's L{ftpkit.data.connection.DataConnection},
        claimed as the data connection; or L{UNADOPTED}, for which the
        channel fails the transfer (its C{claimLost}).
    """
    if lost is UNADOPTED:
        channel.claimLost()
    else:
        channel.claim(lost)


def sentNothing(connection):
    """
    @param connection: a candidate's L{ftpkit.data.connection.DataConnection}.
    @return: whether its peer has sent nothing: no byte read
        (C{peerSilent}) and none waiting in the kernel either (a
        handshake that arrived just as the transfer command did); C{True}
        too when the peer ended the connection without a byte.
    """
    if not connection.peerSilent:
        return False
    sock = getattr(getattr(connection, "socketTransport", None), "socket",
                   None)
    if sock is None:
        return True
    try:
        return not sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except BlockingIOError:
        return True
    except OSError:
        return False


def _cancel(timer):
    """
    @param timer: an L{IDelayedCall} to cancel if still pending, or
        C{None}.
    """
    if timer is not None and timer.active():
        timer.cancel()
