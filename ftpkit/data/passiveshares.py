"""
L{PassiveShares}: how many passive listeners each client address holds,
so that one address cannot take the whole passive port range.

A session holds at most one listener (a new PASV/EPSV replaces the last),
but one address may open many sessions (up to C{--max-connections-per-ip})
and keep each one's listener waiting: with a C{--passive-ports} range, that
leaves the other clients no port (their PASV gets C{425}). Past its share,
an address's PASV/EPSV gets C{425} instead, and other addresses still find
ports. An IPv6 client's share is its network's (L{limitKey}), or one
client with a C{/64} would hold a share per address.
"""

from collections import Counter

from ftpkit.protocol.limitkeys import DEFAULT_IPV6_PREFIX_LENGTH, limitKey


def passiveLimit(perAddress, portRange, workers=1):
    """
    The most passive listeners one client address may hold at once in
    one process.

    @param perAddress: the configured limit (C{--max-passive-per-ip}), or
        C{None} for none of its own.
    @param portRange: the C{--passive-ports} range, C{(low, high)}
        inclusive, or C{None} (the kernel's ephemeral range, which the
        per-address session limit already keeps one address from
        taking).
    @param workers: the processes (C{--workers}) serving sessions from
        that range, each counting its own sessions' listeners.
    @return: C{perAddress}, and never more than half of a configured
        range, divided among the C{workers} (at least 1 each), so that
        one address, whatever worker its sessions land on, always leaves
        ports for the others; C{None} when there is no limit.
    """
    if portRange is None:
        limit = perAddress
    else:
        low, high = portRange
        half = max(1, (high - low + 1) // 2)
        limit = half if perAddress is None else min(perAddress, half)
    if limit is None:
        return None
    return max(1, limit // workers)


def passiveCapNote(perAddress, portRange, workers=1):
    """
    @param perAddress: the configured C{--max-passive-per-ip}, or C{None}.
    @param portRange: the C{--passive-ports} range, C{(low, high)}
        inclusive, or C{None}.
    @param workers: the processes (C{--workers}) serving sessions, each
        allowing an address its part of the share (L{passiveLimit}).
    @return: text saying what L{passiveLimit} makes of C{perAddress}:
        half of the range when that is less, and, under C{--workers},
        the part of each worker (at least one, so that a share smaller
        than the workers is exceeded); else C{None}.
    """
    if perAddress is None:
        return None
    share = passiveLimit(perAddress, portRange, workers)
    if share >= perAddress and workers == 1:
        return None
    reasons = []
    ending = ""
    if portRange is not None:
        low, high = portRange
        ports = high - low + 1
        if perAddress > max(1, ports // 2):
            reasons.append(f"is more than half of --passive-ports "
                           f"({ports} ports)")
            ending = ", so that others always find a port"
    held = f"at most {share}"
    if workers > 1:
        reasons.append(f"is shared among the {workers} workers, each "
                       f"counting its own sessions' listeners")
        held += " in each worker"
    return (f"--max-passive-per-ip {perAddress} {' and '.join(reasons)}: "
            f"one client address holds {held}{ending}")


class PassiveShares:
    """
    Passive listeners held, per client address.

    @ivar limit: the most one client may hold (in this process).
    @ivar workers: the processes sharing the passive ports, each with
        its own L{PassiveShares} (C{--workers}; 1 for one process).
    @ivar held: listeners held, by L{limitKey} (an IPv4 address, an IPv6
        network).
    """

    def __init__(self, limit, ipv6PrefixLength=DEFAULT_IPV6_PREFIX_LENGTH,
                 workers=1):
        """
        @param limit: see L{passiveLimit}.
        @param ipv6PrefixLength: the bits of an IPv6 address that name
            its client (see L{limitKey}).
        @param workers: see C{workers}.
        """
        self.limit = limit
        self.workers = workers
        self.ipv6PrefixLength = ipv6PrefixLength
        self.held = Counter()

    def take(self, host):
        """
        Count one more listener for C{host}, if it is within its share.

        @param host: the client's address, normalized.
        @return: whether it may listen.
        """
        host = limitKey(host, self.ipv6PrefixLength)
        if self.held[host] >= self.limit:
            return False
        self.held[host] += 1
        return True

    def release(self, host):
        """
        Forget a listener counted by L{take}.

        @param host: the client's address, normalized.
        """
        host = limitKey(host, self.ipv6PrefixLength)
        self.held[host] -= 1
        if self.held[host] <= 0:
            del self.held[host]
