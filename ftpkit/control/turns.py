"""
Fair turns at the shell's slow work: directory listings and checksums.

A shell does that work in a few shared threads, first come, first served
(the disk shell's lanes, L{ftpkit.shells.diskthreads}). Left to that
order, one client address flooding listings of a huge directory (or
checksums of big files) from many sessions fills the queue, and every
other user's listing waits behind all of it. L{Turns} takes the calls
first: each client address has at most C{perKey} calls at the shell at
once, and its further calls wait, in the order they came, until one of
its own ends. As every address has no more than that queued at the
shell, the shell's own first-come order serves the addresses in turn: a
listing waits for at most one batch of each other address busy listing,
however many sessions or pipelined commands that address sends.

A turn is one call to the shell: opening a listing, reading one batch of
it (L{TurnListing}), a whole listing, a checksum. A client that stops
reading its data connection holds no turn while it does not read. The
server keys turns by L{ftpkit.protocol.limitkeys.limitKey}, so an IPv6
client's whole network is one address here. A session asks for its turns
through L{TakingTurns}, which also gives them up when it ends.

A turn held too long no longer counts against its address: a listing of
a file system that no longer answers (a dead NFS mount, a hung FUSE
mount) never ends, and the address's other sessions waited for their
listings for ever behind it. Given a clock and C{stuckAfter}: once
calls of an address wait, its calls running then that still run
C{stuckAfter} seconds later are set aside (they still end as they will)
and the next ones start, as the disk threads start a thread beside calls
that are stuck (L{ftpkit.shells.diskthreads.STUCK_AFTER}).

Pure bookkeeping on L{Deferred}s; a timer only where calls wait.
"""

from collections import deque

from twisted.internet.defer import CancelledError, Deferred, maybeDeferred
from twisted.python.failure import Failure
from zope.interface import implementer

from ftpkit.control.coroutines import UNSETTLED, settled
from ftpkit.errors import TransferAborted
from ftpkit.interfaces import IDirectoryListing, INameListing, IStatListing
from ftpkit.protocol.limitkeys import limitKey


class _Call:
    """
    A call waiting for its turn, or at the shell.

    @ivar owner: who asked (a session), for L{Turns.forget}.
    @ivar function: the callable.
    @ivar args: its positional arguments.
    @ivar result: the Deferred its caller holds; C{None} for a call
        started at once until it is seen not to succeed at once.
    @ivar work: the Deferred of C{function}'s work while it runs, else
        C{None}.
    @ivar aside: whether it ran too long and holds no turn any more.
    """

    __slots__ = ("owner", "function", "args", "result", "work", "aside")

    def __init__(self, owner, function, args, result):
        self.owner = owner
        self.function = function
        self.args = args
        self.result = result
        self.work = None
        self.aside = False


class Turns:
    """
    Calls taking turns by key (a client address): at most C{perKey} of a
    key running at once, the others waiting first come, first served.

    @ivar perKey: the most calls of one key running at once.
    """

    def __init__(self, perKey=1, clock=None, stuckAfter=None):
        """
        @param perKey: see L{perKey}.
        @param clock: an L{IReactorTime} for C{stuckAfter}, or C{None}:
            a turn is held until its call ends.
        @param stuckAfter: seconds after calls of a key were seen waiting
            (L{run}, or the last look) at which its calls running then
            that still run hold their turns no more.
        """
        self.perKey = perKey
        self._clock = clock
        self._stuckAfter = stuckAfter
        self._running = {}
        self._waiting = {}
        self._aside = {}
        self._checks = {}
        self._granting = set()

    def run(self, key, owner, function, *args):
        """
        Call C{function(*args)} in C{key}'s turn: at once if C{key} has
        fewer than C{perKey} calls running and none waiting, else once the
        calls before it have ended.

        @param key: whose turn (a client address).
        @param owner: who asks (a session), for L{forget}.
        @param function: returns a Deferred (or a value) once its work
            is done; the turn is held until then.
        @param args: its positional arguments.
        @return: a Deferred firing with C{function}'s result or failure
            (C{function}'s own, fired, when it succeeded at once: a call
            answered without waiting, such as a batch read already, costs
            no more bookkeeping).
        """
        if key not in self._waiting and self.running(key) < self.perKey:
            call = _Call(owner, function, args, None)
            if self._start(key, call) is not UNSETTLED:
                return call.work
            return call.result
        call = _Call(owner, function, args, Deferred())
        queue = self._waiting.get(key)
        if queue is None:
            queue = self._waiting[key] = deque()
        queue.append(call)
        if self._clock is not None:
            self._watch(key)
        return call.result

    def _watch(self, key):
        """
        Calls of C{key} wait: look at its running calls in C{stuckAfter}
        seconds, unless a look is due already (its timer neither run nor
        cancelled: trial cancels every timer left at a test's end).

        @param key: the key.
        """
        check = self._checks.get(key)
        if check is None or not check.active():
            self._checks[key] = self._clock.callLater(
                self._stuckAfter, self._unstick, key,
                tuple(self._running.get(key, ())))

    def _noneWaiting(self, key):
        """
        The last call of C{key} waiting is gone: so is the look at its
        running calls (no timer is left behind).

        @param key: the key.
        """
        del self._waiting[key]
        check = self._checks.pop(key, None)
        if check is not None and check.active():
            check.cancel()

    def _unstick(self, key, seen):
        """
        C{stuckAfter} seconds after calls of C{key} waited: while they
        still do, set aside its calls that were running then and still
        are, and start the next; look again later while calls wait.

        @param key: the key.
        @param seen: the calls of C{key} running then.
        """
        del self._checks[key]
        if key not in self._waiting:
            return
        running = self._running.get(key, [])
        for call in seen:
            if call in running:
                running.remove(call)
                call.aside = True
                self._aside.setdefault(key, []).append(call)
        if not running:
            self._running.pop(key, None)
        self._next(key)
        if key in self._waiting:
            self._watch(key)

    def running(self, key):
        """
        @param key: a key.
        @return: how many of its calls are running.
        """
        return len(self._running.get(key, ()))

    def waiting(self, key):
        """
        @param key: a key.
        @return: how many of its calls wait for their turn.
        """
        return len(self._waiting.get(key, ()))

    def withdraw(self, key, result):
        """
        Take back a call that still waits: it will not run, and its
        Deferred fails with L{TransferAborted}.

        @param key: the key it was run with.
        @param result: the Deferred L{run} gave.
        @return: whether it was still waiting (C{False} when it already
            ran or is running: that one ends as it will).
        """
        return self._drop(key, lambda call: call.result is result)

    def forget(self, key, owner):
        """
        Take back every call of C{owner} that still waits (its session
        ended): each Deferred fails with L{TransferAborted}.

        @param key: the key they were run with.
        @param owner: the owner they were run with.
        """
        self._drop(key, lambda call: call.owner is owner)

    def stop(self, key, owner):
        """
        L{forget} C{owner}'s calls, and cancel those of them running (a
        checksum stops at its next step; a shell that cannot stop early
        goes on, its result dropped): each Deferred fails with
        L{TransferAborted}, and their turns pass on at once.

        @param key: the key they were run with.
        @param owner: the owner they were run with.
        """
        self.forget(key, owner)
        for call in (list(self._running.get(key, ()))
                     + list(self._aside.get(key, ()))):
            if call.owner is owner:
                call.work.cancel()

    def _drop(self, key, chosen):
        """
        Take back the waiting calls of C{key} that C{chosen} picks.

        @return: whether there was one.
        """
        queue = self._waiting.get(key)
        if queue is None:
            return False
        dropped = [call for call in queue if chosen(call)]
        if not dropped:
            return False
        kept = deque(call for call in queue if not chosen(call))
        if kept:
            self._waiting[key] = kept
        else:
            self._noneWaiting(key)
        for call in dropped:
            call.result.errback(TransferAborted())
        return True

    def _start(self, key, call):
        """
        Run a call, holding one of C{key}'s turns until it ends.

        @return: its result when it succeeded at once (a batch read
            already): its turn is given back, C{call.work} is its fired
            Deferred and C{call.result} is left for the caller to fire or
            drop; L{UNSETTLED} otherwise.
        """
        running = self._running.get(key)
        if running is None:
            running = self._running[key] = []
        running.append(call)
        call.work = maybeDeferred(call.function, *call.args)
        result = settled(call.work)
        if result is UNSETTLED:
            if call.result is None:
                call.result = Deferred()
            call.work.addBoth(self._finished, key, call)
        else:
            self._release(key, call)
        return result

    def _release(self, key, call):
        """
        Give a call's turn to the next one of its key (a call set aside
        has none).
        """
        if call.aside:
            aside = self._aside[key]
            aside.remove(call)
            if not aside:
                del self._aside[key]
            return
        running = self._running[key]
        running.remove(call)
        if not running:
            del self._running[key]
        self._next(key)

    def _finished(self, outcome, key, call):
        """
        A call ended: give the turn to the next one of its key, then hand
        the outcome to its caller (whose next call, if it makes one at
        once, comes after those already waiting).
        """
        call.work = None
        self._release(key, call)
        if isinstance(outcome, Failure):
            if outcome.check(CancelledError):
                outcome = Failure(TransferAborted())
            call.result.errback(outcome)
        else:
            call.result.callback(outcome)

    def _next(self, key):
        """
        Start the calls of C{key} that have a turn now. A call ending at
        once (a shell answering without waiting) starts the next from
        this loop, not from deeper in the stack.
        """
        if key in self._granting or key not in self._waiting:
            return
        self._granting.add(key)
        try:
            while (key in self._waiting
                   and self.running(key) < self.perKey):
                queue = self._waiting[key]
                call = queue.popleft()
                if not queue:
                    self._noneWaiting(key)
                result = self._start(key, call)
                if result is not UNSETTLED:
                    call.result.callback(result)
        finally:
            self._granting.discard(key)


class Turn:
    """
    One session's side of a L{Turns}: its key (the client address) and
    itself as the owner.
    """

    __slots__ = ("_turns", "_key", "_owner")

    def __init__(self, turns, key, owner):
        """
        @param turns: the server's L{Turns}.
        @param key: the session's client address.
        @param owner: the session.
        """
        self._turns = turns
        self._key = key
        self._owner = owner

    def call(self, function, *args):
        """
        See L{Turns.run}.
        """
        return self._turns.run(self._key, self._owner, function, *args)

    def withdraw(self, result):
        """
        See L{Turns.withdraw}.
        """
        return self._turns.withdraw(self._key, result)

    def listing(self, listing):
        """
        @param listing: an L{IDirectoryListing}.
        @return: the same listing reading each batch in this turn
            (L{TurnListing}), still formatting its own batches
            (L{IStatListing}) and naming its entries (L{INameListing})
            when it did.
        """
        return _TURN_LISTINGS[IStatListing.providedBy(listing),
                              INameListing.providedBy(listing)](listing,
                                                                self)


@implementer(IDirectoryListing)
class TurnListing:
    """
    An L{IDirectoryListing} whose batches are each read in a L{Turn};
    closed while a batch waits for its turn, that batch is taken back
    (its Deferred fails with L{TransferAborted}) so that an abandoned
    listing holds nothing in the queue.
    """

    def __init__(self, listing, turn):
        """
        @param listing: the L{IDirectoryListing}.
        @param turn: the session's L{Turn}.
        """
        self._listing = listing
        self._turn = turn
        self._asked = None

    def nextBatch(self):
        """
        See L{IDirectoryListing.nextBatch}.
        """
        self._asked = self._turn.call(self._listing.nextBatch)
        return self._asked

    def close(self):
        """
        See L{IDirectoryListing.close}.
        """
        if self._asked is not None:
            self._turn.withdraw(self._asked)
            self._asked = None
        self._listing.close()


@implementer(IStatListing)
class TurnStatListing(TurnListing):
    """
    A L{TurnListing} of a listing that formats its own batches.
    """

    def nextFormattedBatch(self, format):
        """
        See L{IStatListing.nextFormattedBatch}.
        """
        self._asked = self._turn.call(self._listing.nextFormattedBatch,
                                      format)
        return self._asked


@implementer(INameListing)
class TurnNameListing(TurnListing):
    """
    A L{TurnListing} of a listing that names its entries.
    """

    def nextNames(self):
        """
        See L{INameListing.nextNames}.
        """
        self._asked = self._turn.call(self._listing.nextNames)
        return self._asked


class TurnStatNameListing(TurnStatListing, TurnNameListing):
    """
    A L{TurnListing} of a listing that formats its own batches and names
    its entries.
    """


_TURN_LISTINGS = {
    (False, False): TurnListing,
    (True, False): TurnStatListing,
    (False, True): TurnNameListing,
    (True, True): TurnStatNameListing,
}
"""The L{TurnListing} of a listing, by whether it provides L{IStatListing}
and L{INameListing}."""


class TakingTurns:
    """
    A session's side of the turns, mixed into the control connection's
    protocol: the L{Turn} its directory listings and its checksums take,
    keyed by its client's L{limitKey} (an IPv6 client's network), and
    their release when it ends.

    Reads the protocol's C{factory} (its C{listingTurns} and
    C{hashTurns}, the L{Turns} of every client), C{peer} and C{config}.
    """

    _tookTurns = False

    @property
    def _turnKey(self):
        """
        @return: whose turn this session's listings and checksums take:
            its client's L{limitKey} (an IPv6 client's network).
        """
        return limitKey(self.peer, self.config.ipv6PrefixLength)

    @property
    def listingTurn(self):
        """
        @return: the L{Turn} this session's directory listings take among
            those of every client
            (L{ftpkit.control.server.FTPFactory.listingTurns}).
        """
        self._tookTurns = True
        return Turn(self.factory.listingTurns, self._turnKey, self)

    @property
    def hashTurn(self):
        """
        @return: the L{Turn} this session's checksums take
            (L{ftpkit.control.server.FTPFactory.hashTurns}).
        """
        self._tookTurns = True
        return Turn(self.factory.hashTurns, self._turnKey, self)

    def releaseTurns(self):
        """
        The session ended (its client left, and the transfer a C{QUIT}
        let go on, if any, ended): its calls still waiting for a turn are
        forgotten, and a checksum running stops (nobody would read it).
        Only a session that asked for a turn can have calls waiting for
        one (most sessions never list).
        """
        if self._tookTurns:
            key = self._turnKey
            self.factory.listingTurns.forget(key, self)
            self.factory.hashTurns.stop(key, self)
