"""
Failed logins counted per client address (no reactor: the caller gives the
time).

The delay before a failed C{PASS} is answered doubles with each failure
(L{ftpkit.control.handlers.login}). Counted per connection alone, it
starts again at every connection, so a client that reconnects after each
disconnect (C{--max-login-attempts}), or opens many connections at once,
guesses passwords as fast as the first delay allows. Counted per address
too, the delay follows the address's recent failures wherever they came
from. While an address has recent failures, its passwords are checked one
a delay (L{AddressFailures.hold}), correct ones too: answered at once, a
correct password would tell a guesser that hangs up on late answers what
it wanted. The hold ends L{FORGET_AFTER} seconds after the address's last
failure, however many logins it checked meanwhile, and the address then
leaves the table the next time it is used (no timer per address). Checks
still running count as failures for the hold (L{AddressFailures.checking}):
passwords sent on many connections at once, before a slow checker
(scrypt's) answered any, were otherwise all checked together. An IPv6 client is
counted by its network (L{limitKey}), so that it cannot start again from
another of its addresses.
"""

from collections import OrderedDict

from ftpkit.protocol.limitkeys import DEFAULT_IPV6_PREFIX_LENGTH, limitKey

MAX_LOGIN_DELAY = 10.0
"""Longest delay, in seconds, before answering a failed PASS: long enough
that guessing from one address is slow, short enough that a user (or a
test suite) who mistyped on several connections from one address is not
held past its client's timeouts."""

FORGET_AFTER = 60.0
"""Seconds without a failure after which an address starts again (a
guesser fails without pause, so it never gets there) and is dropped from
the table."""

HOLD_AFTER = 5
"""Recent failures an address may have before its passwords wait their
turn (as fail2ban's default C{maxretry}): a guesser gets no more guesses
than that before it is held, a user who mistyped is never held."""

CHECKING_WAIT = 0.25
"""Seconds a password held only by the checks running (L{HOLD_AFTER} of
them at once) waits before asking again: about a slow check's time."""

MAX_ADDRESSES = 10000
"""Addresses remembered at most (those whose last failure is oldest are
forgotten first), so that failures from many addresses cannot grow the
table without limit."""


def failureDelay(failures, first):
    """
    @param failures: the failed logins counted (this one included).
    @param first: the delay of the first failure, in seconds.
    @return: the seconds a failed C{PASS} is answered after: C{first},
        doubled with each failure, at most L{MAX_LOGIN_DELAY}.
    """
    return min(MAX_LOGIN_DELAY, first * 2 ** min(failures - 1, 32))


class AddressFailures:
    """
    The recent failed logins of each client address.
    """

    def __init__(self, forgetAfter=FORGET_AFTER, maxAddresses=MAX_ADDRESSES,
                 ipv6PrefixLength=DEFAULT_IPV6_PREFIX_LENGTH,
                 holdAfter=HOLD_AFTER):
        """
        @param forgetAfter: see L{FORGET_AFTER}.
        @param maxAddresses: see L{MAX_ADDRESSES}.
        @param ipv6PrefixLength: the bits of an IPv6 address that name
            its client (see L{limitKey}).
        @param holdAfter: see L{HOLD_AFTER}.
        """
        self.forgetAfter = forgetAfter
        self.holdAfter = holdAfter
        self.maxAddresses = maxAddresses
        self.ipv6PrefixLength = ipv6PrefixLength
        self._recent = OrderedDict()
        self._checking = {}
        self.checkWeight = 1

    def record(self, host, now):
        """
        Count one more failed login from C{host}.

        @param host: the client's address.
        @param now: the time, in seconds.
        @return: the client's failures (its address's, or its IPv6
            network's), this one included, since it last went
            L{FORGET_AFTER} seconds without one.
        """
        self._forgetOld(now)
        host = limitKey(host, self.ipv6PrefixLength)
        count, last, nextCheck = self._recent.pop(host, (0, now, now))
        if now - last > self.forgetAfter:
            count = 0
        count += 1
        self._recent[host] = (count, now, nextCheck)
        while len(self._recent) > self.maxAddresses:
            self._recent.popitem(last=False)
        return count

    def hold(self, host, now, first):
        """
        Whether a password from C{host} may be checked now; if it may,
        the check is counted as started.

        An address with fewer than L{HOLD_AFTER} recent failures and
        checks running (L{checking}) together is not held; one with enough
        only counting those running waits L{CHECKING_WAIT} (or C{first}, if
        shorter) before asking again. Past L{HOLD_AFTER} failures, a check
        may start once its last failure has been
        answered (L{failureDelay} after it) and a delay has passed since
        the address's last check started, so that its connections wait
        their turn, one check a delay. Checks do not prolong the hold:
        it ends L{FORGET_AFTER} seconds after the last failure.

        @param host: the client's address.
        @param now: the time, in seconds.
        @param first: the delay of the first failure, in seconds.
        @return: C{0} when the check may start (it is then counted), or
            the seconds to wait before asking again.
        """
        self._forgetOld(now)
        address, host = host, limitKey(host, self.ipv6PrefixLength)
        count, last, nextCheck = self._recent.get(host, (0, now, now))
        if now - last > self.forgetAfter:
            count = 0
        if count < self.holdAfter:
            running = self._checking.get(host, 0) * self.checkWeight
            if count + running < self.holdAfter:
                return 0
            return min(first, CHECKING_WAIT)
        delay = failureDelay(count, first)
        wait = max(last + delay, nextCheck) - now
        if wait > 0:
            return wait
        self._recent[host] = (count, last, now + delay)
        self.checkStarted(address, now)
        return 0

    def checking(self, host):
        """
        A password from C{host} is being checked: until L{checked}, the
        check counts against L{HOLD_AFTER} (see L{hold}), C{checkWeight}
        times (a worker of C{--workers} counts its own checks once for
        each worker, L{ftpkit.deploy.sharedfailures}).

        @param host: the client's address.
        """
        host = limitKey(host, self.ipv6PrefixLength)
        self._checking[host] = self._checking.get(host, 0) + 1

    def checked(self, host):
        """
        A check L{checking} counted has its answer (a failure is then
        L{record}ed at once).

        @param host: the client's address.
        """
        host = limitKey(host, self.ipv6PrefixLength)
        left = self._checking.pop(host) - 1
        if left:
            self._checking[host] = left

    def checkStarted(self, host, now):
        """
        A held address had a check started (L{hold}): nothing here; the
        workers of C{--workers} tell each other
        (L{ftpkit.deploy.sharedfailures}).

        @param host: the client's address.
        @param now: the time, in seconds.
        """

    def learn(self, host, count, now):
        """
        Take in another count of C{host}'s recent failures (another
        worker's, L{ftpkit.deploy.sharedfailures}): its count becomes the
        larger of the two, its last failure now.

        @param host: the client's address.
        @param count: the failures counted elsewhere.
        @param now: the time, in seconds.
        """
        self._forgetOld(now)
        host = limitKey(host, self.ipv6PrefixLength)
        known, last, nextCheck = self._recent.pop(host, (0, now, now))
        if now - last > self.forgetAfter:
            known = 0
        self._recent[host] = (max(known, count), now, nextCheck)
        while len(self._recent) > self.maxAddresses:
            self._recent.popitem(last=False)

    def checkedElsewhere(self, host, now, first):
        """
        A held address had a check started elsewhere (another worker):
        its next check here waits a delay too, as after L{hold}.

        @param host: the client's address.
        @param now: the time, in seconds.
        @param first: the delay of the first failure, in seconds.
        """
        host = limitKey(host, self.ipv6PrefixLength)
        recent = self._recent.get(host)
        if recent is None:
            return
        count, last, nextCheck = recent
        self._recent[host] = (count, last,
                              max(nextCheck, now + failureDelay(count, first)))

    def _forgetOld(self, now):
        """
        Drop the addresses whose failures are forgotten (the last more
        than L{FORGET_AFTER} seconds before C{now}). L{record} and
        L{learn} move an address to the table's end, so the table is in
        the order of last failures and those are at its start: each use
        looks at one address more than it drops.

        @param now: the time, in seconds.
        """
        recent = self._recent
        while recent:
            host = next(iter(recent))
            if now - recent[host][1] <= self.forgetAfter:
                return
            del recent[host]

    def recent(self, now):
        """
        @param now: the time, in seconds.
        @return: C{(host, count)} of each address whose failures are not
            forgotten yet, the oldest last failure first.
        """
        self._forgetOld(now)
        return [(host, count) for host, (count, _, _) in self._recent.items()]

    def __len__(self):
        """
        @return: how many addresses are remembered.
        """
        return len(self._recent)
