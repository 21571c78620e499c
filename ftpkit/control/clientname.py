"""
What a session calls its client (L{clientName}): its IP address, or, for
a client of a Unix socket (C{--listen unix:PATH}), which has none, the
local user it runs as, C{unix-uid-1000} (the kernel tells: C{SO_PEERCRED}).

Every per-address limit counts a client by that name
(C{--max-connections-per-ip}, the hold after failed logins, sessions
left to the storage, the log's bounds), and the log lines name it. All
the clients of a Unix socket were named C{unknown}, and so counted as
one client: one local user opening C{--max-connections-per-ip}
connections kept every other local user out (C{421}), and its failed
logins held everybody's. Counted by user, a local user fills its own
share only; the processes of one user (or behind one user's proxy)
still share it, as the hosts behind one NAT address do.
"""

import socket

from ftpkit.compat.tcp import peerHost
from ftpkit.data.hosts import normalizeHost
from ftpkit.ops.peeruser import unixPeerUser

UNKNOWN = "unknown"
"""The name of a client with no address whose user is not told."""

LOCAL_USER = "unix-uid-{uid}"
"""The name of a client of a Unix socket, from its user id: a word, as
an address or a host name is in a log line and in the transfer log, and
with no C{:}, which would have it taken for an IPv6 address (C{EPRT}
was answered C{522} rather than C{501})."""


def clientName(transport):
    """
    @param transport: a control connection's transport.
    @return: its client's address as text (L{normalizeHost}: an
        IPv4-mapped IPv6 address as IPv4); for a Unix socket's client,
        L{LOCAL_USER}, or L{UNKNOWN} where the kernel does not tell.
    """
    host = peerHost(transport)
    if host is not None:
        return normalizeHost(host)
    try:
        handle = transport.getHandle()
    except AttributeError:
        return UNKNOWN
    # A socket of ftpkit's accept is the C one (socket.SocketType), not
    # socket.socket.
    if not isinstance(handle, socket.SocketType) or (
            handle.family != socket.AF_UNIX):
        return UNKNOWN
    uid = unixPeerUser(handle)
    return UNKNOWN if uid is None else LOCAL_USER.format(uid=uid)
