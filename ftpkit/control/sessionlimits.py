"""
Who may have a session: C{--allow-from}/C{--deny-from} address rules
(L{AddressRules}), C{--max-sessions-per-user} (L{UserSessions}) and the
sessions a user left to the shell (L{LeftSessions}). Pure bookkeeping, no
reactor.
"""

import ipaddress

from ftpkit.configvalues import parseNetwork  # noqa: F401 (importable from here, as before)
from ftpkit.protocol.limitkeys import embeddedIPv4, limitKey

NOT_ALLOWED = "Not allowed from your address"
"""The C{421} text for a client outside the address rules."""

TOO_MANY_FOR_USER = "Too many sessions for this user; closing"
"""The C{421} text for a login over C{--max-sessions-per-user}."""

TOO_MANY_LEFT = ("Too many commands of this user still wait for the "
                 "storage; try again later")
"""The C{421} text for a login of a user with L{LeftSessions.limit}
sessions whose clients left before the shell answered their commands."""


EVERY_NETWORK = ("0.0.0.0/0", "::/0")
"""What no allow rule allows: every address."""


def allowsNobody(allow, deny):
    """
    Whether address rules let no client address in: every address the
    allow rules hold (every address, without one) is in a deny rule
    (C{--allow-from 10.0.0.0/8 --deny-from 10.0.0.0/8}, or C{--deny-from
    0.0.0.0/0 --deny-from ::/0}). A client without an address (a Unix
    socket's) may still be let in: see L{AddressRules.allows}.

    @param allow: network texts (see L{parseNetwork}).
    @param deny: network texts.
    @return: C{True} when no address is allowed.
    """
    allow = allow or EVERY_NETWORK
    merged = _mergedByVersion(deny)
    return all(any(network.subnet_of(wider)
                   for wider in merged[network.version])
               for network in map(ipaddress.ip_network, allow))


def _mergedByVersion(networks):
    """
    @param networks: network texts (see L{parseNetwork}).
    @return: a C{dict} from each IP version (C{4}, C{6}) to a C{list} of
        the networks of that version, merged where they touch.
    """
    byVersion = {4: [], 6: []}
    for network in map(ipaddress.ip_network, networks):
        byVersion[network.version].append(network)
    return {version: list(ipaddress.collapse_addresses(held))
            for version, held in byVersion.items()}


def familiesDenied(deny):
    """
    The IP versions every address of which deny rules hold, alone
    (C{0.0.0.0/0}) or together (C{0.0.0.0/1} and C{128.0.0.0/1}): every
    client of that version is refused.

    @param deny: network texts (see L{parseNetwork}).
    @return: a C{tuple} of those versions, C{4} before C{6}.
    """
    merged = _mergedByVersion(deny)
    return tuple(version for version in (4, 6)
                 if any(network.prefixlen == 0
                        for network in merged[version]))


def addressForms(host):
    """
    The addresses the rules match a client as: its own, and the IPv4
    address in an IPv6 one that stands for an IPv4 client
    (L{embeddedIPv4}), which networks written in IPv4 match. An
    IPv4-mapped address is that IPv4 address only (the IPv4 client of a
    dual-stack listener is no IPv6 client); one translated into
    L{ftpkit.protocol.limitkeys.NAT64_PREFIX} is both, so that a rule for
    the prefix itself still matches.

    @param host: a client address, or another name (a Unix socket's).
    @return: a tuple of C{ipaddress} addresses, empty for another name.
    """
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return ()
    embedded = embeddedIPv4(address) if address.version == 6 else None
    if embedded is None:
        return (address,)
    if address.ipv4_mapped is not None:
        return (embedded,)
    return (embedded, address)


class AddressRules:
    """
    Which client addresses may connect: with allow rules, only addresses
    in one of them; never an address in a deny rule.
    """

    def __init__(self, allow=(), deny=()):
        """
        @param allow: network texts (see L{parseNetwork}).
        @param deny: network texts.
        """
        self.allow = [ipaddress.ip_network(each) for each in allow]
        self.deny = [ipaddress.ip_network(each) for each in deny]

    def allows(self, host):
        """
        @param host: a client address (C{"10.0.0.1"}, C{"::1"}; an IPv6
            form of an IPv4 address is matched as L{addressForms} says),
            or another name (a Unix socket's), which no rule matches.
        @return: whether it may connect.
        """
        if not self.allow and not self.deny:
            return True
        forms = addressForms(host)

        def matches(networks):
            return any(address in network for network in networks
                       for address in forms
                       if network.version == address.version)

        if matches(self.deny):
            return False
        return not self.allow or matches(self.allow)


def userKey(username, anonymous, users=None):
    """
    @param username: the name given to C{USER}.
    @param anonymous: whether it is an anonymous login.
    @param users: where the user comes from when a virtual host has users
        of its own (L{ftpkit.control.server.FTPFactory.usersOf}), else
        C{None}.
    @return: what L{UserSessions} counts it as: every anonymous login as
        one user; a virtual host's own user apart from the server's user
        of that name (a NUL between, which no user name holds).
    """
    if anonymous:
        return "anonymous"
    if users is None:
        return username
    return users + "\x00" + username


class UserSessions:
    """
    Logged-in sessions per user, at most C{limit} each.

    @ivar counts: sessions per user.
    """

    def __init__(self, limit=None):
        """
        @param limit: the most sessions one user may have, or C{None}.
        """
        self.limit = limit
        self.counts = {}

    def admit(self, user):
        """
        Count a login of C{user}, unless it has its limit already.

        @param user: the user's name.
        @return: whether it was admitted (and counted).
        """
        count = self.counts.get(user, 0)
        if self.limit is not None and count >= self.limit:
            return False
        self.counts[user] = count + 1
        return True

    def release(self, user):
        """
        Forget one session of C{user} counted by L{admit}.

        @param user: the user's name.
        """
        left = self.counts.get(user, 1) - 1
        if left > 0:
            self.counts[user] = left
        else:
            self.counts.pop(user, None)


def leftKey(username, anonymous, host, ipv6PrefixLength):
    """
    @param username: the name given to C{USER}.
    @param anonymous: whether it is an anonymous login.
    @param host: the client's address.
    @param ipv6PrefixLength: see L{limitKey}.
    @return: what L{LeftSessions} counts a session as: its user, or for
        an anonymous login its client (L{limitKey}): anonymous users are
        many people, and one of them leaving commands to the shell must
        not keep the others out.
    """
    if anonymous:
        return ("anonymous", limitKey(host, ipv6PrefixLength))
    return username


class LeftSessions(UserSessions):
    """
    Per user, the sessions whose client left while the shell still worked
    on one of their commands (a C{DELE} or C{MKD} on slow storage, an
    open): each holds that work (a disk thread's call, a store's request)
    though no connection limit counts it any more (the user must be able
    to come back: a shell that never answers locked them out). Without a
    bound, a user connecting, sending C{DELE} and leaving, again and
    again, left any number of them. A user (an anonymous client:
    L{leftKey}) with C{limit} of them may not log in until one ends
    (L{TOO_MANY_LEFT}).
    """

    def leave(self, user):
        """
        Count one more session of C{user} left to the shell, over the
        limit or not (its client is gone already); L{release} forgets it.

        @param user: what the session counts as (L{leftKey}).
        """
        self.counts[user] = self.counts.get(user, 0) + 1

    def full(self, user):
        """
        @param user: what a session counts as (L{leftKey}).
        @return: whether C{user} has as many sessions left to the shell as
            L{limit}.
        """
        return self.limit is not None and self.counts.get(user, 0) >= (
            self.limit)
