"""
Tests for L{ftpkit.protocol.proxyheader}: the PROXY protocol header as data.
"""

from hypothesis import given
from hypothesis import strategies as st
from twisted.trial import unittest

from ftpkit.protocol.proxyheader import (
    V2_MAX,
    V2_SIGNATURE,
    InvalidProxyHeader,
    ProxyHeader,
    formatV1,
    formatV2,
    parseProxyHeader,
)

V1 = b"PROXY TCP4 203.0.113.7 192.0.2.1 50123 21\r\n"


class VersionOneTests(unittest.TestCase):
    """
    The text header.
    """

    def test_tcp4(self):
        """
        The source and destination come out, and the bytes after the
        header are handed back.
        """
        self.assertEqual(parseProxyHeader(V1 + b"USER x\r\n"), (
            ProxyHeader(("203.0.113.7", 50123), ("192.0.2.1", 21), 1),
            b"USER x\r\n"))

    def test_tcp6(self):
        header, rest = parseProxyHeader(
            b"PROXY TCP6 2001:db8::7 2001:db8::1 4000 21\r\n")
        self.assertEqual(header.source, ("2001:db8::7", 4000))
        self.assertEqual(rest, b"")

    def test_unknown(self):
        """
        C{UNKNOWN} names no client: the connection's own address applies.
        """
        self.assertEqual(parseProxyHeader(b"PROXY UNKNOWN\r\n"),
                         (ProxyHeader(None, None, 1), b""))

    def test_incomplete(self):
        """
        Every prefix of a header asks for more bytes.
        """
        for end in range(len(V1)):
            self.assertEqual(parseProxyHeader(V1[:end]), (None, V1[:end]))

    def test_bad(self):
        """
        A malformed line, a wrong family, a bad port, an address with
        leading zeros, or no CRLF within 107 bytes is refused.
        """
        for line in [b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n",
                     b"PROXY TCP4 2001:db8::1 5.6.7.8 1 2\r\n",
                     b"PROXY TCP4 1.2.3.4 5.6.7.8 70000 2\r\n",
                     b"PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n",
                     b"PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n",
                     b"PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n",
                     b"PROXY " + b"x" * 120,
                     b"USER anonymous\r\n"]:
            self.assertRaises(InvalidProxyHeader, parseProxyHeader, line)


    def test_scopedAddress(self):
        """
        An IPv6 address with a scope ID is refused: a balancer's header
        has none, and its text may hold control characters (a newline
        would break lines in the acceptor-worker channel and the logs).
        """
        for source in [b"fe80::1%a\nb", b"fe80::1%eth0", b"fe80::1%\x00",
                       b"fe80::1%\x1b[2J"]:
            line = b"PROXY TCP6 " + source + b" 2001:db8::1 4000 21\r\n"
            self.assertRaises(InvalidProxyHeader, parseProxyHeader, line)
        self.assertRaises(
            InvalidProxyHeader, parseProxyHeader,
            b"PROXY TCP6 2001:db8::7 fe80::2%1 4000 21\r\n")


class NoClientTests(unittest.TestCase):
    """
    A source address no TCP client can have is refused, in either
    version: taken as the client, C{0.0.0.0} made C{PORT 0,0,0,0,...}
    (the client's own address) connect to the server's host.
    """

    def test_refused(self):
        for source, family in [("0.0.0.0", "TCP4"), ("0.1.2.3", "TCP4"),
                               ("224.0.0.1", "TCP4"),
                               ("255.255.255.255", "TCP4"), ("::", "TCP6"),
                               ("ff02::1", "TCP6"), ("::ffff:0.0.0.0", "TCP6")]:
            destination = "192.0.2.1" if family == "TCP4" else "2001:db8::1"
            line = f"PROXY {family} {source} {destination} 4000 21\r\n"
            self.assertRaises(InvalidProxyHeader, parseProxyHeader,
                              line.encode("ascii"))
            self.assertRaises(InvalidProxyHeader, parseProxyHeader,
                              formatV2((source, 4000), (destination, 21)))

    def test_destinationAny(self):
        """
        Only the source is the client: a destination of C{0.0.0.0} (what
        a balancer listening on every address may write) is taken.
        """
        header, _ = parseProxyHeader(
            b"PROXY TCP4 203.0.113.7 0.0.0.0 4000 21\r\n")
        self.assertEqual(header.source, ("203.0.113.7", 4000))


class VersionTwoTests(unittest.TestCase):
    """
    The binary header.
    """

    def test_tcp4(self):
        data = formatV2(("203.0.113.7", 50123), ("192.0.2.1", 21))
        self.assertEqual(parseProxyHeader(data + b"rest"), (
            ProxyHeader(("203.0.113.7", 50123), ("192.0.2.1", 21), 2),
            b"rest"))

    def test_tcp6(self):
        data = formatV2(("2001:db8::7", 1), ("2001:db8::1", 2))
        self.assertEqual(parseProxyHeader(data)[0].source, ("2001:db8::7", 1))

    def test_local(self):
        """
        A C{LOCAL} header (the balancer's health check) names no client.
        """
        data = V2_SIGNATURE + b"\x20\x00\x00\x00"
        self.assertEqual(parseProxyHeader(data),
                         (ProxyHeader(None, None, 2), b""))

    def test_tlvsSkipped(self):
        """
        Bytes after the addresses within the stated length (TLVs) belong
        to the header.
        """
        data = bytearray(formatV2(("10.0.0.1", 1), ("10.0.0.2", 2)))
        data[15] += 5
        data += b"\x04\x00\x02ab" + b"after"
        self.assertEqual(parseProxyHeader(bytes(data))[1], b"after")

    def test_longTLVs(self):
        """
        A header whose TLVs take it past the spec's 536-byte minimum (as
        HAProxy's SSL, unique-id and authority ones can) is read up to
        L{V2_MAX} bytes; a longer one is refused, saying its length.
        """
        def header(size):
            data = bytearray(formatV2(("10.0.0.1", 1), ("10.0.0.2", 2)))
            padding = size - len(data) - 3
            data[14:16] = (size - 16).to_bytes(2, "big")
            return bytes(data) + b"\x04" + padding.to_bytes(2, "big") + \
                b"\x00" * padding

        for size in [16 + 537, 2048, V2_MAX]:
            data = header(size)
            self.assertEqual(parseProxyHeader(data + b"after"), (
                ProxyHeader(("10.0.0.1", 1), ("10.0.0.2", 2), 2), b"after"),
                size)
        error = self.assertRaises(InvalidProxyHeader, parseProxyHeader,
                                  header(V2_MAX + 1))
        self.assertEqual(str(error), f"version 2 header too long"
                         f" ({V2_MAX + 1} bytes, at most {V2_MAX} accepted)")

    def test_bad(self):
        """
        Another version, an unknown command, a length past what is
        accepted, or an address block too short is refused.
        """
        good = formatV2(("10.0.0.1", 1), ("10.0.0.2", 2))
        for data in [good[:12] + b"\x31" + good[13:],
                     good[:12] + b"\x22" + good[13:],
                     good[:14] + b"\xff\xff" + good[16:],
                     good[:14] + b"\x00\x04" + good[16:20]]:
            self.assertRaises(InvalidProxyHeader, parseProxyHeader, data)


_ADDRESS_CHARACTERS = set("0123456789abcdef:.")


class PropertyTests(unittest.TestCase):
    """
    Whatever the bytes, the parser answers with a header, a request for
    more, or L{InvalidProxyHeader}.
    """

    @given(st.binary(max_size=300))
    def test_anyBytes(self, data):
        try:
            header, rest = parseProxyHeader(data)
        except InvalidProxyHeader:
            return
        if header is None:
            self.assertEqual(rest, data)
        else:
            self.assertTrue(data.endswith(rest))

    @given(st.text(max_size=20), st.binary(min_size=32, max_size=32),
           st.sampled_from([1, 2]))
    def test_addressesPlain(self, scope, packed, version):
        """
        Any address a header names, in either version, is written only
        with hex digits, colons and dots.
        """
        if version == 1:
            source = ("fe80::1%" + scope).encode("utf-8", "surrogatepass")
            data = b"PROXY TCP6 " + source + b" ::1 1 2\r\n"
        else:
            data = (V2_SIGNATURE + b"\x21\x21\x00\x24" + packed
                    + b"\x00\x01\x00\x02")
        try:
            header, _ = parseProxyHeader(data)
        except InvalidProxyHeader:
            return
        if header is not None and header.source is not None:
            for host, _ in (header.source, header.destination):
                self.assertLessEqual(set(host), _ADDRESS_CHARACTERS, host)

    @given(st.ip_addresses(v=4).filter(lambda a: not (
               a.is_multicast or a.packed[0] == 0 or a.packed == b"\xff" * 4)),
           st.ip_addresses(v=4),
           st.integers(0, 65535), st.integers(0, 65535),
           st.sampled_from([formatV1, formatV2]))
    def test_roundTrip(self, source, destination, sport, dport, format):
        data = format((str(source), sport), (str(destination), dport))
        header, rest = parseProxyHeader(data)
        self.assertEqual((header.source, header.destination, rest),
                         ((str(source), sport), (str(destination), dport),
                          b""))
