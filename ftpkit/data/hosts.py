"""
L{normalizeHost}: addresses in the form the data channel compares them
in (L{ftpkit.data.channel.DataChannel}, and the listeners that check a
connection's client before a session has it).

And the zones of link-local IPv6 addresses (C{fe80::1%eth0}): such an
address names a host only together with its link, the zone, so a socket
binds to it or connects to it only with the zone's number (the scope ID).
Twisted gives the scope apart from the host's text (L{withZone} puts it
back), and Python's C{bind} reads no zone from a host's text
(L{socketAddress} makes the address it takes).

And the one decision of where a C{PORT} or C{EPRT} data connection may go
(L{connectBackHost}); and an address with its port as log lines write
it (L{endpointText}).
"""

import functools
import ipaddress
import socket


def endpointText(host, port):
    """
    An address and port as a log line writes them: an IPv6 address in
    brackets (RFC 3986's form), whose own colons would otherwise run into
    the port's (C{::2:5000} reads as one address).

    @param host: an IPv4 or IPv6 address (or host name) as text.
    @param port: a port number.
    @return: C{"10.0.0.9:2048"} or C{"[::2]:5000"}.
    """
    if ":" in host:
        return f"[{host}]:{port}"
    return f"{host}:{port}"


@functools.lru_cache(maxsize=4096)
def normalizeHost(host):
    """
    Reduce an address to a comparable form (IPv4-mapped IPv6 to IPv4).
    Cached: the same few addresses come back for every data connection.

    @param host: an IPv4 or IPv6 address as text.
    @return: the canonical text form, or C{host} unchanged if unparsable.
    """
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return host
    mapped = getattr(address, "ipv4_mapped", None)
    return str(mapped or address)


UNSPECIFIED = frozenset(["0.0.0.0", "::"])
"""Addresses that name no host: in PORT or EPRT, the client itself."""


def connectBackHost(host, peer):
    """
    Decide where a C{PORT} or C{EPRT} data connection goes: only back to
    the client's own address (anything else is an FTP bounce).

    lftp in active mode on loopback listens on the unspecified address and
    sends it (C{EPRT |2|::|port|}); that names no other host, so it is
    taken to mean the client. A link-local address may come with a zone
    (C{fe80::2%eth0}): the client's name for its own interface, which
    means nothing on this host, so the address alone is compared, and the
    connection goes over the link the control connection came by
    (L{onLinkOf}), never over one the client names.

    @param host: the address the command named, as text, perhaps with a
        zone.
    @param peer: the client's address, normalized (L{normalizeHost}: no
        zone).
    @return: the address to connect to, normalized, or C{None} when
        C{host} is a foreign address.
    """
    host = normalizeHost(host)
    if host in UNSPECIFIED:
        return peer
    return host if host == peer else None


def withZone(host, scope):
    """
    @param host: an address as text, as Twisted gives it (no zone).
    @param scope: its scope ID (Twisted's C{IPv6Address.scopeID}): 0 but
        for a link-local address.
    @return: C{host}, followed by C{%} and the scope's number when it has
        one (C{fe80::1%3}).
    """
    if scope and "%" not in host:
        return f"{host}%{scope}"
    return host


def onLinkOf(host, local):
    """
    Where C{host} is on the link of C{local}: a data connection goes over
    the link the control connection came by, so a link-local client's
    address needs that link's zone.

    @param host: an address as text, normalized (L{normalizeHost}).
    @param local: the control connection's local address, with its zone
        when it has one (L{withZone}).
    @return: C{host} with C{local}'s zone when C{host} is a link-local
        IPv6 address and C{local} has a zone; C{host} otherwise.
    """
    zone = local.partition("%")[2]
    if not zone:
        return host
    try:
        linkLocal = ipaddress.ip_address(host).is_link_local
    except ValueError:
        return host
    return f"{host}%{zone}" if linkLocal else host


def socketAddress(host, port):
    """
    The address a socket's C{bind} takes for C{host} and C{port}.

    @param host: an address as text, perhaps with a zone.
    @param port: a port.
    @return: C{(host, port)}; for a host with a zone, the IPv6 4-tuple
        holding its scope ID (C{bind} would ignore the zone in the text,
        and fail with C{EINVAL} on a link-local address).
    """
    if "%" not in host:
        return (host, port)
    return socket.getaddrinfo(host, port, socket.AF_INET6, socket.SOCK_STREAM,
                              0, socket.AI_NUMERICHOST)[0][4]
