"""
Listeners that would take one address: two C{--listen} values, or
C{--metrics} and a C{--listen} one, naming the same port of the same
address (or one of them every address of its family), or the same Unix
socket. The second to listen failed with C{Address already in use} (a
Unix socket: C{Cannot acquire lock}) once the first listened, and the
server stopped; read from the descriptions alone, the options refuse them
before anything listens (L{firstClash}).

So are C{--passive-ports} holding the port of such a listener where the
sessions' passive listeners bind (L{passiveClash}): each C{PASV} that
tried it found it taken, and a range of that port alone got C{425} at
every one.
"""

import ipaddress

from ftpkit.control.implicitendpoints import implicitAsTCP
from ftpkit.control.proxied import PREFIX as PROXY_PREFIX
from ftpkit.deploy.endpoints import splitEndpoint
from ftpkit.deploy.startdirectory import fromStart

_ADDRESSES = (ipaddress.IPv4Address, ipaddress.IPv6Address)

_LOOPBACK = ipaddress.IPv4Address("127.0.0.1")
"""Where the passive listeners of a C{unix:} listener's sessions bind."""

_BINDV6ONLY = "/proc/sys/net/ipv6/bindv6only"
"""Linux's default for IPv6 sockets: C{0}, a socket on C{::} takes the
port of every IPv4 address too (Twisted sets no C{IPV6_V6ONLY})."""


def dualStack(path=_BINDV6ONLY):
    """
    @param path: the file holding Linux's C{bindv6only} setting.
    @return: whether a listener on C{::} holds its port on every IPv4
        address as well: unless the setting says otherwise (where it
        cannot be read, Linux's default, yes).
    """
    try:
        with open(path) as f:
            return f.read().strip() == "0"
    except OSError:
        return True


def boundAddress(description):
    """
    Read what a listener binds.

    @param description: a C{--listen} or C{--metrics} value.
    @return: C{("inet", host, port)} for a C{tcp:}, C{tcp6:} or C{ssl:}
        endpoint (behind C{haproxy:} or not) on a port other than 0, with
        C{host} an C{ipaddress} address (an IPv4-mapped one as its IPv4
        address) or, a name, its text; C{("unix", path)} for a C{unix:}
        one; C{None} for anything else (C{systemd:}, a port chosen by the
        system, a description that does not parse).
    """
    description = _unwrapped(description)
    fields = splitEndpoint(description)
    if fields[0] == "unix":
        return _unixAddress(fields[1:])
    inet = _inetAddress(description)
    if inet is None or inet[1] == 0:
        return None
    return ("inet", *inet)


def passiveHost(description):
    """
    Read where the passive listeners of a listener's sessions bind: the
    control connection's local address.

    @param description: a C{--listen} value.
    @return: its host as L{boundAddress} gives it (every address of a
        family where it names none), C{127.0.0.1} for a C{unix:} one
        (whose connections have no address), or C{None} for anything
        else (C{systemd:}, a description that does not parse).
    """
    description = _unwrapped(description)
    if splitEndpoint(description)[0] == "unix":
        return _LOOPBACK
    inet = _inetAddress(description)
    return None if inet is None else inet[0]


def _unwrapped(description):
    """
    @param description: a C{--listen} or C{--metrics} value.
    @return: the endpoint it listens on: an C{ssl:} one's C{tcp:}, a
        C{haproxy:} one's inner endpoint.
    """
    description = implicitAsTCP(description)
    if description.startswith(PROXY_PREFIX):
        description = description[len(PROXY_PREFIX):]
    return description


def _inetAddress(description):
    """
    @param description: an endpoint description (L{_unwrapped}).
    @return: C{(host, port)} of a C{tcp:} or C{tcp6:} one, C{host} as
        L{boundAddress} gives it; C{None} for any other.
    """
    from ftpkit.deploy.acceptor import parseListenAddress

    try:
        _, host, port = parseListenAddress(description)
    except ValueError:
        return None
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host.lower(), port
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address, port


def _unixAddress(arguments):
    """
    @param arguments: a C{unix:} endpoint's fields after its kind.
    @return: C{("unix", path)}, the path absolute (an abstract one, C{@},
        as it is), or C{None} when it names none.
    """
    named = dict(field.partition("=")[::2] for field in arguments
                 if "=" in field)
    placed = [field for field in arguments if "=" not in field]
    path = named.get("address", placed[0] if placed else "")
    if not path:
        return None
    return ("unix", path if path.startswith("@") else fromStart(path))


def _covers(wide, host, dual):
    """
    @param wide: a listener's host.
    @param host: another's host.
    @param dual: see L{dualStack}.
    @return: whether C{wide} is every address, of C{host}'s family (or,
        C{::} on a dual-stack system, of IPv4 too).
    """
    if not isinstance(wide, _ADDRESSES) or not wide.is_unspecified:
        return False
    if not isinstance(host, _ADDRESSES):
        return False
    return wide.version == host.version or (
        dual and wide.version == 6 and host.version == 4)


def clashes(first, second, dual=True):
    """
    @param first: what one listener binds (L{boundAddress}), or C{None}.
    @param second: what another binds, or C{None}.
    @param dual: see L{dualStack}.
    @return: whether the second could not listen once the first does.
    """
    if first is None or second is None or first[0] != second[0]:
        return False
    if first[0] == "unix":
        return first == second
    (_, one, port), (_, other, otherPort) = first, second
    return port == otherPort and _sameHost(one, other, dual)


def _sameHost(one, other, dual):
    """
    @param one: a listener's host (L{boundAddress}).
    @param other: another's.
    @param dual: see L{dualStack}.
    @return: whether the two can take one port of one address.
    """
    return (one == other or _covers(one, other, dual)
            or _covers(other, one, dual))


def describeAddress(bound):
    """
    @param bound: what a listener binds (L{boundAddress}), not C{None}.
    @return: it in words, for a usage error.
    """
    if bound[0] == "unix":
        return f"the socket {bound[1]}"
    _, host, port = bound
    if isinstance(host, _ADDRESSES) and host.is_unspecified:
        return f"port {port} of every address"
    return f"port {port} of {host}"


def _named(listen, metrics):
    """
    @return: C{(option, description)} of each listener, in order.
    """
    named = [("--listen", each) for each in listen]
    if metrics is not None:
        named.append(("--metrics", metrics))
    return named


def firstClash(listen, metrics=None, dual=True, passivePorts=None):
    """
    Find the first two listeners that would take one address, else the
    first listener C{passivePorts} hold (L{passiveClash}).

    @param listen: the C{--listen} values, in order.
    @param metrics: the C{--metrics} value, or C{None}.
    @param dual: see L{dualStack}.
    @param passivePorts: the C{--passive-ports} range, or C{None}.
    @return: C{None}, or the one-line usage error naming the option of
        the second listener (C{--listen} or C{--metrics}), both
        descriptions and the address.
    """
    named = _named(listen, metrics)
    bound = [boundAddress(description) for _, description in named]
    for index, (option, description) in enumerate(named):
        for earlier in range(index):
            if not clashes(bound[earlier], bound[index], dual):
                continue
            other = named[earlier][1]
            narrower = bound[index]
            if describeAddress(narrower).endswith("every address"):
                narrower = bound[earlier]
            where = describeAddress(narrower)
            if option == "--listen" and description == other:
                return f"--listen: {description!r} given twice"
            return (f"{option}: {description!r} would listen on {where}, "
                    f"where --listen {other!r} listens")
    return passiveClash(listen, metrics, passivePorts, dual)


def passiveClash(listen, metrics, passivePorts, dual=True):
    """
    Find whether the listeners take every port of C{--passive-ports} on an
    address the passive listeners of some C{--listen}'s sessions could
    bind (L{passiveHost}): the same address, or one of them every address
    of its family. A range with other ports left serves from those (a
    C{PASV} that finds a port taken tries another), so a wide range that
    happens to hold the control port, as C{1024-65535} does, still
    starts; a range of taken ports alone had every C{PASV} refused.

    @param listen: the C{--listen} values, in order.
    @param metrics: the C{--metrics} value, or C{None}.
    @param passivePorts: C{(low, high)}, or C{None}.
    @param dual: see L{dualStack}.
    @return: C{None}, or the one-line usage error naming the range, the
        first listener and its port.
    """
    if passivePorts is None:
        return None
    low, high = passivePorts
    passive = [host for host in map(passiveHost, listen) if host is not None]
    taken = {}
    for option, description in _named(listen, metrics):
        bound = boundAddress(description)
        if bound is None or bound[0] != "inet" or not low <= bound[2] <= high:
            continue
        _, host, port = bound
        if any(_sameHost(host, each, dual) for each in passive):
            taken.setdefault(port, (option, description))
    if len(taken) < high - low + 1:
        return None
    port = min(taken)
    option, description = taken[port]
    return (f"--passive-ports: {low}-{high} holds port {port}, where "
            f"{option} {description!r} listens: no passive "
            "connection could use it (leave it out of the range)")
