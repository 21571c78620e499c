"""
Who may read C{/sessions} on the C{--metrics} endpoint
(L{mayReadSessions}): a client on another machine (which the endpoint's
C{interface} lets in, or not), or a process of this machine running as
the server's own user or as root. Any local user could read it, on a
loopback endpoint too: the users' names, their addresses and the paths
they transfer.

The user of a local client is its socket's owner: told by the kernel on
a C{unix:} endpoint (C{SO_PEERCRED}), and on a TCP one asked of it by the
connection's ends (L{ftpkit.ops.sockdiag}: one lookup) or, where it does
not answer, found in C{/proc/net/tcp} and C{/proc/net/tcp6} (the
client's socket, whose ends are the connection's ends swapped; the
kernel writes a line there for every socket of the machine). A client
whose user cannot be found is refused when it is local: its address is
a loopback one or the endpoint's own, or it uses a C{unix:} endpoint.
"""

import errno
import ipaddress
import os
import socket
import struct

from ftpkit.ops import sockdiag

TCP_TABLES = ("/proc/net/tcp", "/proc/net/tcp6")
"""The kernel's tables of this network namespace's TCP sockets."""

_TIME_WAIT = "06"
"""The state of a closed connection's leftover, owned by nobody."""


def _address(text):
    """
    @param text: an address as C{/proc/net/tcp} writes it, e.g.
        C{0100007F:1F90}: the address's 32-bit words each in hexadecimal
        in the machine's byte order, then the port.
    @return: C{(address, port)}, an IPv4-mapped IPv6 address as IPv4.
    """
    hexAddress, _, hexPort = text.partition(":")
    packed = b"".join(struct.pack("=I", int(hexAddress[i:i + 8], 16))
                      for i in range(0, len(hexAddress), 8))
    return _plain(ipaddress.ip_address(packed)), int(hexPort, 16)


def _plain(address):
    """
    @param address: an C{ipaddress} address.
    @return: it, an IPv4-mapped IPv6 address as IPv4.
    """
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped if mapped is not None else address


def socketOwner(lines, local, remote):
    """
    @param lines: the lines of C{/proc/net/tcp} or C{/proc/net/tcp6}.
    @param local: the socket's own end, C{(ipaddress address, port)}.
    @param remote: its other end, likewise.
    @return: the user id owning the open TCP socket with those ends, or
        C{None} when there is none.
    """
    # Only a line holding the socket's port as the kernel writes it (four
    # upper-case hex digits, then the space after an address) is read:
    # parsing every line of a busy machine's tables cost each request
    # for /sessions the reactor's time for each socket open.
    port = ":%04X " % (local[1],)
    for line in lines:
        if port not in line:
            continue
        fields = line.split()
        if len(fields) < 8 or ":" not in fields[1] or fields[3] == _TIME_WAIT:
            continue
        try:
            if (_address(fields[1]) == local
                    and _address(fields[2]) == remote):
                return int(fields[7])
        except ValueError:
            continue
    return None


def _tcpPeerUser(peer, host, tables):
    """
    @return: the user id of this machine's socket at the other end of a
        TCP connection from C{peer} to C{host}, or C{None}: asked of the
        kernel (L{ftpkit.ops.sockdiag}), else looked for in C{tables}.
    """
    owner = sockdiag.socketOwner(peer, host)
    if owner is not None and owner is not sockdiag.UNKNOWN:
        return owner
    for path in tables:
        try:
            with open(path) as f:
                owner = socketOwner(f, peer, host)
        except OSError:
            continue
        if owner is not None:
            return owner
    return None


def unixPeerUser(handle):
    """
    @param handle: a connected Unix socket, a C{socket.socket}.
    @return: the user id of the process at the other end of it (as it
        connected), or C{None} when the kernel does not tell.
    """
    credentials = getattr(socket, "SO_PEERCRED", None)
    if credentials is None:
        return None
    try:
        _, uid, _ = struct.unpack("3i", handle.getsockopt(
            socket.SOL_SOCKET, credentials, struct.calcsize("3i")))
    except OSError:
        return None
    return uid


def _ipEnd(address):
    """
    @param address: a transport's C{getPeer()} or C{getHost()}.
    @return: C{(ipaddress address, port)}, or C{None} when it is not an
        IP address.
    """
    try:
        return (_plain(ipaddress.ip_address(address.host.partition("%")[0])),
                address.port)
    except (AttributeError, ValueError):
        return None


def isThisMachine(address):
    """
    @param address: an C{ipaddress} address, neither a loopback one nor
        the endpoint's own.
    @return: whether it may be an address of this machine (in this
        network namespace), where a local user's socket could be: one a
        socket can bind to (anything else but C{EADDRNOTAVAIL}, an
        IPv6 link-local address without its zone, counts as this
        machine's). A client from any other address is on another
        machine, and none of this machine's sockets has that end: looking
        for it read both tables whole, the most each request could cost.
    """
    family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
    try:
        probe = socket.socket(family, socket.SOCK_DGRAM)
    except OSError:
        # No descriptor left: looked for in the tables, as before.
        return True
    with probe:
        try:
            probe.bind((str(address), 0))
        except OSError as e:
            return e.errno != errno.EADDRNOTAVAIL
    return True


def mayReadSessions(transport, tables=TCP_TABLES, uid=None):
    """
    @param transport: a connection to the C{--metrics} endpoint.
    @param tables: see L{TCP_TABLES}.
    @param uid: the server's user id (the effective one when C{None}).
    @return: whether its client may read C{/sessions}: it is on another
        machine, or it runs as C{uid} or as root.
    """
    uid = os.geteuid() if uid is None else uid
    peer, host = _ipEnd(transport.getPeer()), _ipEnd(transport.getHost())
    if peer is None or host is None:
        handle = getattr(transport, "getHandle", lambda: None)()
        if not isinstance(handle, socket.socket) or (
                handle.family != socket.AF_UNIX):
            return False
        owner = unixPeerUser(handle)
    else:
        local = peer[0].is_loopback or peer[0] == host[0]
        if not (local or isThisMachine(peer[0])):
            return True
        owner = _tcpPeerUser(peer, host, tables)
        if owner is None:
            return not local
    return owner in (0, uid)
