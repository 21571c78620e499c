"""
The owner of one TCP socket of this machine, asked of the kernel by its
two ends (Linux's C{NETLINK_SOCK_DIAG}, as C{ss} asks): one lookup in the
kernel's table of connections, where C{/proc/net/tcp} makes the kernel
write, and the reader read, a line for every socket of the machine
(L{ftpkit.ops.peeruser} reads it when this cannot answer).
"""

import errno
import socket
import struct

NETLINK_SOCK_DIAG = 4
"""The netlink family of socket queries."""

SOCK_DIAG_BY_FAMILY = 20
"""The message asking about sockets of one address family."""

NLM_F_REQUEST = 1
"""A netlink message that is a request."""

NLMSG_ERROR = 2
"""The type of netlink's error (or acknowledgement) message."""

NO_COOKIE = b"\xff" * 8
"""A socket named by its ends alone (C{INET_DIAG_NOCOOKIE}, both words)."""

UNKNOWN = object()
"""L{socketOwner}'s answer when the kernel could not be asked (no netlink
here, its TCP queries not loaded, a reply not understood)."""

_TIME_WAIT, _LISTEN = 6, 10
"""The TCP states of a closed connection's leftover (owned by nobody)
and of a listener (which the kernel's lookup gives for ends no
connection has, when one listens on the first)."""

_MAPPED = b"\0" * 10 + b"\xff\xff"
"""The first 12 bytes of an IPv4-mapped IPv6 address."""

_HEADER = struct.Struct("=LHHLL")
_REQUEST = struct.Struct("=BBBxI")
_ENDS = struct.Struct(">HH16s16s")
_MESSAGE = struct.Struct("=BBBB")
_COUNTERS = struct.Struct("=LLLLL")


def _packed(address):
    """
    @param address: an C{ipaddress} address.
    @return: its 16 bytes in a socket id (an IPv4 address's four first).
    """
    return address.packed.ljust(16, b"\0")


def _unmapped(packed):
    """
    @param packed: an address's 16 bytes in a socket id.
    @return: them, an IPv4-mapped IPv6 address's as its IPv4 address's (an
        IPv6 socket connected over IPv4 is described with those).
    """
    if packed[:12] == _MAPPED:
        return packed[12:].ljust(16, b"\0")
    return packed


def query(local, remote):
    """
    @param local: the socket's own end, C{(ipaddress address, port)}.
    @param remote: its other end, of the same family.
    @return: the C{SOCK_DIAG_BY_FAMILY} request for that socket.
    """
    family = socket.AF_INET6 if local[0].version == 6 else socket.AF_INET
    body = (_REQUEST.pack(family, socket.IPPROTO_TCP, 0, 0xFFFFFFFF)
            + _ENDS.pack(local[1], remote[1], _packed(local[0]),
                         _packed(remote[0]))
            + struct.pack("=I", 0) + NO_COOKIE)
    return _HEADER.pack(_HEADER.size + len(body), SOCK_DIAG_BY_FAMILY,
                        NLM_F_REQUEST, 1, 0) + body


def parseReply(reply, local, remote):
    """
    @param reply: the kernel's answer to L{query}C{(local, remote)}.
    @param local: see L{query}.
    @param remote: see L{query}.
    @return: the user id owning the open socket with those ends; C{None}
        when there is none (the kernel found none, or only a closed
        connection's leftover or a listener); L{UNKNOWN} for an answer
        that is neither.
    """
    if len(reply) < _HEADER.size:
        return UNKNOWN
    _, kind, _, _, _ = _HEADER.unpack_from(reply)
    if kind == NLMSG_ERROR:
        if len(reply) < _HEADER.size + 4:
            return UNKNOWN
        (code,) = struct.unpack_from("=i", reply, _HEADER.size)
        # No such connection (the kernel's lookup failed); anything else
        # (its TCP queries not there, not allowed) is not an answer.
        return None if -code == errno.ENOENT else UNKNOWN
    if kind != SOCK_DIAG_BY_FAMILY:
        return UNKNOWN
    offset = _HEADER.size
    if len(reply) < offset + _MESSAGE.size + 48 + _COUNTERS.size:
        return UNKNOWN
    _, state, _, _ = _MESSAGE.unpack_from(reply, offset)
    sport, dport, src, dst = _ENDS.unpack_from(reply, offset + _MESSAGE.size)
    ends = (sport, dport, _unmapped(src), _unmapped(dst))
    wanted = (local[1], remote[1], _packed(local[0]), _packed(remote[0]))
    if state in (_TIME_WAIT, _LISTEN) or ends != wanted:
        return None
    counters = _COUNTERS.unpack_from(reply, offset + _MESSAGE.size + 48)
    return counters[3]


def socketOwner(local, remote):
    """
    Ask the kernel who owns the TCP socket with these ends.

    @param local: the socket's own end, C{(ipaddress address, port)}.
    @param remote: its other end, of the same family.
    @return: its owner's user id; C{None} when no open socket has these
        ends; L{UNKNOWN} when the kernel could not be asked.
    """
    try:
        probe = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM,
                              NETLINK_SOCK_DIAG)
    except (OSError, AttributeError):
        return UNKNOWN
    with probe:
        try:
            # The kernel answers in the call itself; the timeout only
            # bounds a reply that never comes.
            probe.settimeout(1)
            probe.sendto(query(local, remote), (0, 0))
            reply = probe.recv(8192)
        except OSError:
            return UNKNOWN
    return parseReply(reply, local, remote)
