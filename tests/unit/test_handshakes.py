"""
Tests for L{ftpkit.data.handshakes}: the passive connections under
C{PROT P} whose TLS handshakes are under way.
"""

import socket
from types import SimpleNamespace

from twisted.internet import defer
from twisted.internet.task import Clock
from twisted.trial import unittest

from ftpkit.data.handshakes import (
    EVICT_GRACE,
    UNADOPTED,
    HandshakeCandidates,
    sentNothing,
)


class _Candidate:
    """
    A stand-in for a candidate's L{ftpkit.data.connection.DataConnection}:
    its handshake and its end fire when the test says.

    @ivar peerSilent: its peer has sent nothing yet (the test says).
    @ivar tlsRefused: the TLS policy refused its handshake (the test
        says).
    """

    peerSilent = True
    tlsRefused = False

    def __init__(self):
        self.secured = defer.Deferred()
        self.lost = defer.Deferred()
        self.aborted = 0

    def whenSecured(self):
        """@return: fires when the test calls L{secure}."""
        return self.secured

    def whenLost(self):
        """@return: fires when the connection is aborted."""
        return self.lost

    def abort(self):
        """End the connection (once)."""
        self.aborted += 1
        if not self.lost.called:
            self.lost.callback(None)


class HandshakeCandidatesTests(unittest.TestCase):
    """
    L{HandshakeCandidates} follows each candidate to its handshake or its
    end, times it once asked, and caps how many there are.
    """

    def setUp(self):
        self.clock = Clock()
        self.candidates = HandshakeCandidates(self.clock, limit=2,
                                              timeout=5)
        self.passed = []
        self.lost = []

    def add(self, timed=False):
        """
        @param timed: see L{HandshakeCandidates.add}.
        @return: a new L{_Candidate}, added.
        """
        candidate = _Candidate()
        self.candidates.add(candidate, self.passed.append, self.lost.append,
                            timed)
        return candidate

    def test_full(self):
        """
        Full once C{limit} are under way; not once one of them ends.
        """
        first = self.add()
        self.assertFalse(self.candidates.full)
        self.add()
        self.assertTrue(self.candidates.full)
        first.abort()
        self.assertFalse(self.candidates.full)
        self.assertEqual((len(self.candidates), self.lost), (1, [first]))

    def test_passed(self):
        """
        A candidate whose handshake is accepted is forgotten, then
        reported; its timer no longer runs.
        """
        candidate = self.add(timed=True)
        candidate.secured.callback(None)
        self.assertEqual((self.passed, len(self.candidates)), ([candidate], 0))
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_untimedUntilAsked(self):
        """
        A candidate added while no transfer waits is not timed until
        L{HandshakeCandidates.timeAll}, which times each one once.
        """
        candidate = self.add()
        self.clock.advance(60)
        self.assertEqual(candidate.aborted, 0)
        self.candidates.timeAll()
        self.candidates.timeAll()
        self.assertEqual(len(self.clock.getDelayedCalls()), 1)
        self.clock.advance(5)
        self.assertEqual((candidate.aborted, self.lost), (1, [candidate]))

    def test_drop(self):
        """
        L{HandshakeCandidates.drop} aborts every candidate and cancels its
        timer, without reporting it lost.
        """
        timed, untimed = self.add(timed=True), self.add()
        self.candidates.drop()
        self.assertEqual((timed.aborted, untimed.aborted), (1, 1))
        self.assertEqual((self.lost, len(self.candidates)), ([], 0))
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_dropNone(self):
        """
        L{HandshakeCandidates.drop} with no candidate (a clear session's
        every C{PASV} and C{EPSV}) changes nothing: candidates added
        later are kept, timed and dropped as ever.
        """
        self.candidates.drop()
        self.candidates.drop()
        candidate = self.add(timed=True)
        self.assertEqual(len(self.candidates), 1)
        self.assertEqual(len(self.clock.getDelayedCalls()), 1)
        self.candidates.drop()
        self.assertEqual((candidate.aborted, len(self.candidates)), (1, 0))
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_evictSilentOldest(self):
        """
        Full, L{HandshakeCandidates.evictSilent} aborts the oldest
        candidate that has sent nothing, cancels its timer and forgets it
        without reporting it lost; one that spoke first is kept.
        """
        spoke = self.add(timed=True)
        spoke.peerSilent = False
        silent = self.add(timed=True)
        self.clock.advance(EVICT_GRACE)
        self.assertEqual((self.candidates.full, self.candidates.hasRoom),
                         (True, True))
        self.assertTrue(self.candidates.evictSilent())
        self.assertEqual((spoke.aborted, silent.aborted), (0, 1))
        self.assertEqual((self.lost, len(self.candidates)), ([], 1))
        self.assertEqual(len(self.clock.getDelayedCalls()), 1)

    def test_evictInOrder(self):
        """
        Of several silent candidates, the one added first goes first.
        """
        first, second = self.add(), self.add()
        self.clock.advance(EVICT_GRACE)
        self.candidates.evictSilent()
        self.assertEqual((first.aborted, second.aborted), (1, 0))

    def test_noneSilent(self):
        """
        Full of candidates mid-handshake: no room, and none is evicted.
        """
        for candidate in (self.add(), self.add()):
            candidate.peerSilent = False
        self.assertFalse(self.candidates.hasRoom)
        self.assertFalse(self.candidates.evictSilent())
        self.assertEqual(len(self.candidates), 2)

    def test_anySilent(self):
        """
        L{HandshakeCandidates.anySilent}: whether one candidate's peer has
        sent nothing (it may wait for the C{150}); not once every one has
        started its handshake, nor with none.
        """
        self.assertFalse(self.candidates.anySilent())
        first, second = self.add(), self.add()
        self.assertTrue(self.candidates.anySilent())
        first.peerSilent = False
        self.assertTrue(self.candidates.anySilent())
        second.peerSilent = False
        self.assertFalse(self.candidates.anySilent())

    def test_youngSilentKept(self):
        """
        A silent candidate younger than L{EVICT_GRACE} (a client waiting
        for the transfer command's reply before its handshake) does not
        make way; once that old, it does.
        """
        first, second = self.add(), self.add()
        self.assertFalse(self.candidates.hasRoom)
        self.assertFalse(self.candidates.evictSilent())
        self.assertEqual((first.aborted, len(self.candidates)), (0, 2))
        self.clock.advance(EVICT_GRACE)
        self.assertTrue(self.candidates.hasRoom)
        self.assertTrue(self.candidates.evictSilent())
        self.assertEqual((first.aborted, second.aborted), (1, 0))

    def test_wakeWhenEvictable(self):
        """
        L{HandshakeCandidates.wakeWhenEvictable} calls back once the
        oldest silent candidate reaches L{EVICT_GRACE}, with one timer
        however often it is asked; a candidate mid-handshake is not
        waited for.
        """
        spoke = self.add()
        spoke.peerSilent = False
        self.clock.advance(EVICT_GRACE / 2)
        self.add()
        woken = []
        self.candidates.wakeWhenEvictable(lambda: woken.append(1))
        self.candidates.wakeWhenEvictable(lambda: woken.append(2))
        self.assertEqual(len(self.clock.getDelayedCalls()), 1)
        self.clock.advance(EVICT_GRACE / 2)
        self.assertEqual((woken, self.candidates.hasRoom), ([], False))
        self.clock.advance(EVICT_GRACE / 2)
        self.assertEqual((woken, self.candidates.hasRoom), ([2], True))
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_wakeCancelled(self):
        """
        The wake-up call is cancelled when a candidate ends, or all are
        dropped; none is set while no candidate is silent.
        """
        first = self.add()
        self.add()
        woken = []
        self.candidates.wakeWhenEvictable(lambda: woken.append(1))
        first.abort()
        self.assertEqual(self.clock.getDelayedCalls(), [])
        self.candidates.wakeWhenEvictable(lambda: woken.append(1))
        self.candidates.drop()
        self.assertEqual(self.clock.getDelayedCalls(), [])
        third = self.add()
        third.peerSilent = False
        self.candidates.wakeWhenEvictable(lambda: woken.append(1))
        self.assertEqual((self.clock.getDelayedCalls(), woken), ([], []))


class _Listener:
    """
    A stand-in for a channel's passive listener: whether it reads.
    """

    def __init__(self):
        self.reading = True

    def startReading(self):
        """Accept again."""
        self.reading = True

    def stopReading(self):
        """Stop accepting."""
        self.reading = False


class _Channel:
    """
    A stand-in for the L{ftpkit.data.channel.DataChannel} the flow of
    L{HandshakeCandidates} is given: what the flow asked of it.

    @ivar isConnecting: whether a transfer waits (the test says).
    @ivar listener: its L{_Listener}, or C{None} once done with.
    @ivar announced: how often the waiting transfer's C{150} was asked.
    @ivar queuedAccepts: how often its queued connections were accepted.
    @ivar claimed: the connections it took as its data connection.
    @ivar lostClaims: how often its transfer was failed for a connection
        that ended before it could take it.
    @ivar built: the connections built for it.
    """

    def __init__(self, waiting=False):
        self.isConnecting = waiting
        self.listener = _Listener()
        self.announced = self.queuedAccepts = self.lostClaims = 0
        self.claimed = []
        self.built = []

    def buildConnection(self, tls, onMade):
        """
        @return: a new L{_Candidate}, made (C{onMade}) by the reactor.
        """
        candidate = _Candidate()
        candidate.onMade = onMade
        self.built.append(candidate)
        return candidate

    def announceOpening(self):
        """Count the C{150} asked for."""
        self.announced += 1

    def acceptQueued(self):
        """Count the queued connections accepted (there are none)."""
        self.queuedAccepts += 1

    def claim(self, connection):
        """Take C{connection} as the data connection."""
        self.claimed.append(connection)

    def claimLost(self):
        """Count the transfer failed for a connection that ended."""
        self.lostClaims += 1


class _AdoptingClock(Clock):
    """
    A clock that adopts a socket as the reactor would: the connection its
    factory builds is made at once.
    """

    def adoptStreamConnection(self, fileno, family, factory):
        """
        Build the connection and report it made.
        """
        connection = factory.buildProtocol(None)
        connection.onMade(connection)


class _ResettingClock(Clock):
    """
    A clock whose reactor cannot adopt a socket: its connection was reset
    as it was accepted.
    """

    def adoptStreamConnection(self, fileno, family, factory):
        """
        @raise OSError: always, as for a socket whose peer is gone.
        """
        raise OSError(107, "Transport endpoint is not connected")


class _TLS:
    """
    A stand-in for the session's L{ftpkit.data.tls.DataTLS}.
    """

    def wrapFactory(self, factory):
        """@return: C{factory} itself."""
        return factory


class CandidateFlowTests(unittest.TestCase):
    """
    The flow L{HandshakeCandidates} runs for its channel: it takes each
    connection as a candidate, stops and resumes the listener's reading,
    and has the channel claim the one that wins.
    """

    def setUp(self):
        self.clock = _AdoptingClock()
        self.candidates = HandshakeCandidates(self.clock, limit=2,
                                              timeout=5)

    def take(self, channel):
        """
        @param channel: the L{_Channel} whose listener accepted it.
        @return: the L{_Candidate} a new connection became.
        """
        mine, theirs = socket.socketpair()
        self.addCleanup(theirs.close)
        self.candidates.take(channel, mine, _TLS())
        self.assertEqual(mine.fileno(), -1)
        return channel.built[-1]

    def test_passedIsClaimed(self):
        """
        The candidate whose handshake is accepted is claimed; while a
        transfer waits, each candidate has its C{150} asked for.
        """
        channel = _Channel(waiting=True)
        first, second = self.take(channel), self.take(channel)
        self.assertEqual((channel.announced, len(self.candidates)), (2, 2))
        second.secured.callback(None)
        self.assertEqual((channel.claimed, first.aborted), ([second], 0))

    def test_fullStopsReading(self):
        """
        With L{HandshakeCandidates.limit} silent candidates, younger than
        the grace, the listener stops reading; it reads again when the
        oldest reaches the grace, and a new connection then takes that
        one's place.
        """
        channel = _Channel()
        first = self.take(channel)
        self.assertTrue(channel.listener.reading)
        second = self.take(channel)
        self.assertFalse(channel.listener.reading)
        self.clock.advance(EVICT_GRACE)
        self.assertTrue(channel.listener.reading)
        self.take(channel)
        self.assertEqual((first.aborted, second.aborted), (1, 0))
        self.assertEqual((len(self.candidates), channel.claimed), (2, []))

    def test_lostReadsAgain(self):
        """
        A candidate that ends lets a listener stopped for the limit read
        again; while no transfer waits, it is no one's.
        """
        channel = _Channel()
        first = self.take(channel)
        self.take(channel)
        first.abort()
        self.assertTrue(channel.listener.reading)
        self.assertEqual((channel.queuedAccepts, channel.claimed), (0, []))

    def test_lostAloneIsTheTransfers(self):
        """
        The only candidate of a waiting transfer, ending at its timeout
        with nothing else queued, is claimed: the transfer ends now.
        """
        channel = _Channel(waiting=True)
        candidate = self.take(channel)
        self.clock.advance(5)
        self.assertEqual((candidate.aborted, channel.queuedAccepts),
                         (1, 1))
        self.assertEqual(channel.claimed, [candidate])

    def test_lostAsksAnnounceAgain(self):
        """
        A candidate of a waiting transfer that ends while others remain
        has the channel asked for the C{150} again: the one it held back
        (every candidate had started its handshake) may be due now.
        """
        channel = _Channel(waiting=True)
        first = self.take(channel)
        self.take(channel)
        first.abort()
        self.assertEqual((channel.announced, channel.claimed), (3, []))

    def test_refusedBeforeTransferHanded(self):
        """
        A candidate the TLS policy refused while no transfer waited is
        kept (L{HandshakeCandidates.lostEarly}) and handed to the transfer
        that comes when no other is under way
        (L{HandshakeCandidates.handLostEarly}): it ends with the refusal.
        """
        self.assertHandedLostEarly(tlsRefused=True)

    def test_lostBeforeTransferEndsIt(self):
        """
        A candidate that ended otherwise while no transfer waited (its
        client closed or reset it, or sent bytes that are not TLS) is kept
        too and handed to the transfer that comes when no other is under
        way, which it ends at once (C{150} then C{426}, as a clear
        connection its client closed gives, and as one lost while the
        transfer waits does), where it waited for the data timeout. It
        got C{425 Data connection closed} (the channel's C{claimLost}),
        so a listing's command got either answer, by timing.
        """
        self.assertHandedLostEarly(tlsRefused=False)

    def assertHandedLostEarly(self, tlsRefused):
        """
        Assert that a candidate lost while no transfer waited is kept and
        handed, claimed, to the transfer that comes next.

        @param tlsRefused: whether the TLS policy refused it.
        """
        channel = _Channel()
        candidate = self.take(channel)
        candidate.tlsRefused = tlsRefused
        candidate.abort()
        self.assertIs(self.candidates.lostEarly, candidate)
        channel.isConnecting = True
        self.candidates.handLostEarly(channel)
        self.assertEqual((channel.claimed, channel.lostClaims),
                         ([candidate], 0))

    def test_lostBeforeTransferWithOtherUnderWay(self):
        """
        A transfer that finds a candidate under way is not handed one
        that ended before (the channel does not ask,
        L{ftpkit.data.channel.DataChannel.connecting}): that one's end,
        alone, is the transfer's.
        """
        channel = _Channel()
        self.take(channel).abort()
        other = self.take(channel)
        channel.isConnecting = True
        other.abort()
        self.assertEqual((channel.claimed, channel.lostClaims),
                         ([other], 0))

    def resetOnAccept(self, channel):
        """
        Take a connection the reactor cannot adopt (reset as it was
        accepted).

        @param channel: the L{_Channel} whose listener accepted it.
        """
        mine, theirs = socket.socketpair()
        self.addCleanup(theirs.close)
        candidates = HandshakeCandidates(_ResettingClock(), limit=2,
                                         timeout=5)
        candidates.take(channel, mine, _TLS())
        self.assertEqual((mine.fileno(), channel.built), (-1, []))
        return candidates

    def test_unadoptedBeforeTransfer(self):
        """
        A connection reset before the reactor could adopt it, while no
        transfer waited, is kept as L{UNADOPTED}: the transfer that comes
        fails at once.
        """
        channel = _Channel()
        candidates = self.resetOnAccept(channel)
        self.assertIs(candidates.lostEarly, UNADOPTED)
        channel.isConnecting = True
        candidates.handLostEarly(channel)
        self.assertEqual((channel.claimed, channel.lostClaims), ([], 1))

    def test_unadoptedWhileWaiting(self):
        """
        A transfer waiting with no other candidate fails at once when the
        connection it waited for is reset before it could be adopted.
        """
        channel = _Channel(waiting=True)
        self.resetOnAccept(channel)
        self.assertEqual((channel.queuedAccepts, channel.lostClaims),
                         (1, 1))

    def test_lostEarlyForgottenOnDrop(self):
        """
        L{HandshakeCandidates.drop} (the listener claimed or closed)
        forgets a candidate that ended early: a transfer coming later,
        on a new listener, waits for its own.
        """
        channel = _Channel()
        self.take(channel).abort()
        self.candidates.drop()
        self.candidates.handLostEarly(channel)
        self.assertEqual((self.candidates.lostEarly, channel.claimed,
                          channel.lostClaims), (None, [], 0))

    def test_lostOnceDoneListening(self):
        """
        A candidate ending after its channel is done with the listener is
        no one's.
        """
        channel = _Channel(waiting=True)
        candidate = self.take(channel)
        channel.listener = None
        candidate.abort()
        self.assertEqual((channel.queuedAccepts, channel.claimed), (0, []))


class SentNothingTests(unittest.TestCase):
    """
    L{sentNothing} looks in the kernel too: a handshake that arrived but
    was not read yet is something sent.
    """

    def candidate(self):
        """
        @return: C{(candidate, peer)}: a silent L{_Candidate} on one end of
            a socket pair, and the other end.
        """
        ours, peer = socket.socketpair()
        for end in (ours, peer):
            self.addCleanup(end.close)
        candidate = _Candidate()
        candidate.socketTransport = SimpleNamespace(socket=ours)
        return candidate, peer

    def test_waitingInKernel(self):
        """
        Silent while nothing waits; not once a byte does, which stays
        there to be read.
        """
        candidate, peer = self.candidate()
        self.assertTrue(sentNothing(candidate))
        peer.sendall(b"\x16")
        self.assertFalse(sentNothing(candidate))
        self.assertEqual(candidate.socketTransport.socket.recv(8), b"\x16")

    def test_read(self):
        """
        A candidate that read something has sent something, whatever the
        kernel holds.
        """
        candidate, _ = self.candidate()
        candidate.peerSilent = False
        self.assertFalse(sentNothing(candidate))

    def test_ended(self):
        """
        A peer that ended the connection without a byte still counts as
        silent (the reply goes out as before).
        """
        candidate, peer = self.candidate()
        peer.shutdown(socket.SHUT_WR)
        self.assertTrue(sentNothing(candidate))
