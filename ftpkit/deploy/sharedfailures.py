"""
Failed logins counted per client address across the workers of
C{--workers} (L{ftpkit.control.loginfailures}): each worker counting
alone, a password guesser whose connections the acceptor spread over N
workers got N times L{ftpkit.control.loginfailures.HOLD_AFTER} guesses
before its passwords were held, and N checks a delay once held.

A worker tells the acceptor each failure (C{failed HOST}) and each held
check it starts (C{checking HOST}); the acceptor counts the failures of
every worker (L{AcceptorFailures}) and tells every worker the count
(C{failures HOST COUNT}) and each held check (C{checking HOST}), which
each worker takes into its own table (L{WorkerAddressFailures}). A
worker decides from its table at once, without asking: what another
worker counted in the last moment (a message's way there and back) may
be missed, not more. A worker started in place of one that died is told
every count as it gets ready (L{AcceptorFailures.recentLines}): it held
none, and a guesser's next connections there were checked as a new
client's until it failed there again. The checks running are not told:
each worker counts its own once for each worker, so that the workers
together start about L{ftpkit.control.loginfailures.HOLD_AFTER} at
once, not that many each.
"""

from ftpkit.control.loginfailures import AddressFailures
from ftpkit.protocol.limitkeys import DEFAULT_IPV6_PREFIX_LENGTH


class WorkerAddressFailures(AddressFailures):
    """
    The C{loginFailures} of a worker's factory: the worker's own count,
    told to the acceptor, and the counts the acceptor tells it.
    """

    def __init__(self, channel, first,
                 ipv6PrefixLength=DEFAULT_IPV6_PREFIX_LENGTH, workers=1):
        """
        @param channel: the L{ftpkit.deploy.channel.Channel} to the
            acceptor.
        @param first: the delay of a first failure, in seconds (the
            server's C{loginFailureDelay}).
        @param ipv6PrefixLength: see L{AddressFailures}.
        @param workers: how many workers serve: the checks this one runs
            count that many times (C{checkWeight}), as the others may run
            as many meanwhile, unseen.
        """
        AddressFailures.__init__(self, ipv6PrefixLength=ipv6PrefixLength)
        self.channel = channel
        self.first = first
        self.checkWeight = workers

    def record(self, host, now):
        """
        See L{AddressFailures.record}; the acceptor is told.
        """
        count = AddressFailures.record(self, host, now)
        self.channel.sendLine(b"failed " + host.encode("ascii", "replace"))
        return count

    def checkStarted(self, host, now):
        """
        See L{AddressFailures.checkStarted}: the acceptor is told.
        """
        self.channel.sendLine(b"checking " + host.encode("ascii", "replace"))

    def lineReceived(self, line, now):
        """
        Take in what the acceptor tells about failures.

        @param line: a line from the acceptor (one of another kind is
            skipped).
        @param now: the time, in seconds.
        """
        words = line.split(b" ")
        if len(words) == 3 and words[0] == b"failures" \
                and words[2].isdigit():
            self.learn(words[1].decode("ascii", "replace"),
                       int(words[2]), now)
        elif len(words) == 2 and words[0] == b"checking":
            self.checkedElsewhere(words[1].decode("ascii", "replace"),
                                  now, self.first)


class AcceptorFailures:
    """
    The acceptor's count of every worker's failed logins per address.
    """

    def __init__(self, ipv6PrefixLength=DEFAULT_IPV6_PREFIX_LENGTH):
        """
        @param ipv6PrefixLength: see L{AddressFailures}.
        """
        self.failures = AddressFailures(ipv6PrefixLength=ipv6PrefixLength)

    def handle(self, kind, host, now):
        """
        Act on one message of a worker.

        @param kind: C{b"failed"} or C{b"checking"}.
        @param host: the client's address, C{bytes}.
        @param now: the time, in seconds.
        @return: the line to tell every worker, without its end.
        """
        if kind == b"failed":
            count = self.failures.record(host.decode("ascii", "replace"), now)
            return b"failures %s %d" % (host, count)
        return b"checking " + host

    def recentLines(self, now):
        """
        What a worker that just got ready is told: the count of every
        address with recent failures (taken as of now there: it forgets
        them L{ftpkit.control.loginfailures.FORGET_AFTER} seconds later,
        where the acceptor may sooner).

        @param now: the time, in seconds.
        @return: the lines, without their ends.
        """
        return [b"failures %s %d" % (host.encode("ascii", "replace"), count)
                for host, count in self.failures.recent(now)]
