"""
The PROXY protocol header (HAProxy's, versions 1 and 2) as data: bytes in,
the client's address out. No reactor here; L{ftpkit.control.proxied} reads it off
connections.

A load balancer that forwards TCP connections (HAProxy with C{send-proxy}
or C{send-proxy-v2}, nginx's stream module, AWS NLB) writes one header
before the client's first byte: version 1 is a text line
(C{PROXY TCP4 203.0.113.7 192.0.2.1 50123 21\\r\\n}), version 2 a binary
block (a 12-byte signature, the command, the family, a length, then the
addresses). See haproxy's C{doc/proxy-protocol.txt}.
"""

import ipaddress
import struct
from dataclasses import dataclass
from typing import Optional

V1_PREFIX = b"PROXY "
V1_MAX = 107
"""The longest version 1 line, CRLF included."""

V2_SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"
V2_FIXED = 16
"""The signature, version and command, family and length."""

V2_MAX = V2_FIXED + 4096
"""What a version 2 header may take here. The spec has a receiver accept
at least 536 bytes after the fixed part (the longest address block, two
Unix paths), but a balancer adding TLVs (HAProxy's SSL one with the
certificate's CN, unique-id, authority, cloud endpoint IDs) can write
more, up to what its 16-bit length field allows; 4 KiB takes every real
one while a longer header is refused rather than buffered."""

_V2_ADDRESSES = {
    0x11: (12, "!4s4sHH", 4),   # TCP over IPv4
    0x21: (36, "!16s16sHH", 6),  # TCP over IPv6
}


class InvalidProxyHeader(ValueError):
    """
    The bytes are not a PROXY header this server accepts.
    """


@dataclass(frozen=True)
class ProxyHeader:
    """
    What a header says.

    @ivar source: the client's C{(host, port)}, or C{None} when the
        header is a health check or health-check-like C{LOCAL}/C{UNKNOWN}
        one that names no client (the connection's own address applies).
    @ivar destination: the address the client connected to, C{(host,
        port)}, or C{None}.
    @ivar version: 1 or 2.
    """

    source: Optional[tuple]
    destination: Optional[tuple]
    version: int


def parseProxyHeader(data):
    """
    Parse the header at the start of C{data}.

    @param data: the first bytes of a connection.
    @return: C{(header, rest)}: the L{ProxyHeader} and the bytes after it;
        or C{(None, data)} when more bytes are needed.
    @raise InvalidProxyHeader: when C{data} does not start with a valid
        header (or starts with one longer than this server accepts).
    """
    if data[:len(V2_SIGNATURE)] == V2_SIGNATURE[:len(data)]:
        return _parseV2(data)
    if data[:len(V1_PREFIX)] == V1_PREFIX[:len(data)]:
        return _parseV1(data)
    raise InvalidProxyHeader("no PROXY header")


def _parseV1(data):
    end = data.find(b"\r\n", 0, V1_MAX)
    if end < 0:
        if len(data) >= V1_MAX:
            raise InvalidProxyHeader("version 1 header too long")
        return None, data
    fields = data[:end].split(b" ")
    rest = data[end + 2:]
    if len(fields) >= 2 and fields[1] == b"UNKNOWN":
        return ProxyHeader(None, None, 1), rest
    if len(fields) != 6 or fields[1] not in (b"TCP4", b"TCP6"):
        raise InvalidProxyHeader("malformed version 1 header")
    version = 4 if fields[1] == b"TCP4" else 6
    try:
        source = (_client(_address(fields[2], version)), _port(fields[4]))
        destination = (_address(fields[3], version), _port(fields[5]))
    except ValueError as e:
        raise InvalidProxyHeader(f"malformed version 1 header: {e}")
    return ProxyHeader(source, destination, 1), rest


def _address(text, version):
    """
    @return: the address C{text} as a C{str}, checked to be of C{version}
        and to have no IPv6 scope ID.
    @raise ValueError: when it is not.
    """
    address = ipaddress.ip_address(text.decode("ascii"))
    if address.version != version:
        raise ValueError("address family mismatch")
    if getattr(address, "scope_id", None) is not None:
        # A balancer writes what inet_ntop gives, which has no scope. Its
        # text would be any bytes but space and CRLF (control characters
        # included), carried into the acceptor-worker channel and the logs.
        raise ValueError("scoped address")
    return str(address)


_NO_CLIENT = [ipaddress.ip_network(network) for network in (
    "0.0.0.0/8", "224.0.0.0/4", "255.255.255.255/32", "::/128", "ff00::/8")]
"""Addresses no TCP client connects from: "this network" (C{0.0.0.0}
among them), multicast, broadcast, IPv6's unspecified and multicast."""


def _client(text):
    """
    @param text: a header's source address, as L{_address} gives it.
    @return: C{text}.
    @raise ValueError: when no TCP client can have it (L{_NO_CLIENT}, or
        an IPv4-mapped IPv6 form of one): taken as the client, C{0.0.0.0}
        would make C{PORT 0,0,0,0,...} (the client's own address) reach
        the server's host.
    """
    address = ipaddress.ip_address(text)
    address = getattr(address, "ipv4_mapped", None) or address
    if any(address in network for network in _NO_CLIENT):
        raise ValueError("no client has this address")
    return text


def _port(text):
    """
    @return: the port C{text} as an C{int}.
    @raise ValueError: when it is not a decimal port without leading zeros.
    """
    if not text.isdigit() or (len(text) > 1 and text[:1] == b"0"):
        raise ValueError("bad port")
    port = int(text)
    if port > 65535:
        raise ValueError("bad port")
    return port


def _parseV2(data):
    if len(data) < V2_FIXED:
        return None, data
    versionCommand, family, length = struct.unpack_from("!BBH", data, 12)
    if versionCommand >> 4 != 2:
        raise InvalidProxyHeader("unknown PROXY header version")
    command = versionCommand & 0x0F
    if command > 1:
        raise InvalidProxyHeader("unknown version 2 command")
    total = V2_FIXED + length
    if total > V2_MAX:
        raise InvalidProxyHeader(
            f"version 2 header too long ({total} bytes, at most {V2_MAX}"
            " accepted)")
    if len(data) < total:
        return None, data
    rest = data[total:]
    if command == 0 or family not in _V2_ADDRESSES:
        # LOCAL (the balancer's own health check), or a family without
        # IP addresses (UNSPEC, UDP, Unix): the connection's own addresses.
        return ProxyHeader(None, None, 2), rest
    size, layout, version = _V2_ADDRESSES[family]
    if length < size:
        raise InvalidProxyHeader("version 2 address block too short")
    source, destination, sourcePort, destinationPort = struct.unpack_from(
        layout, data, V2_FIXED)
    try:
        client = _client(str(ipaddress.ip_address(source)))
    except ValueError as e:
        raise InvalidProxyHeader(f"version 2 header: {e}")
    return ProxyHeader(
        (client, sourcePort),
        (str(ipaddress.ip_address(destination)), destinationPort), 2), rest


def formatV1(source, destination):
    """
    A version 1 header (for tests and tools that speak to a server behind
    a balancer).

    @param source: the client's C{(host, port)}.
    @param destination: the address connected to, C{(host, port)}.
    @return: the header's bytes.
    """
    family = "TCP6" if ":" in source[0] else "TCP4"
    return (f"PROXY {family} {source[0]} {destination[0]} {source[1]}"
            f" {destination[1]}\r\n").encode("ascii")


def formatV2(source, destination):
    """
    A version 2 C{PROXY} header over TCP.

    @param source: the client's C{(host, port)}.
    @param destination: the address connected to, C{(host, port)}.
    @return: the header's bytes.
    """
    six = ":" in source[0]
    family, (size, layout, _) = (0x21, _V2_ADDRESSES[0x21]) if six else (
        0x11, _V2_ADDRESSES[0x11])
    addresses = struct.pack(
        layout, ipaddress.ip_address(source[0]).packed,
        ipaddress.ip_address(destination[0]).packed, source[1],
        destination[1])
    return V2_SIGNATURE + struct.pack("!BBH", 0x21, family, size) + addresses
