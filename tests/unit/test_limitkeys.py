"""
L{limitKey}: what a per-address limit counts a client as, and the
bookkeeping that counts by it (sessions, failed logins, passive listeners,
connections waiting under C{--workers}).
"""

import ipaddress

from hypothesis import given
from hypothesis import strategies as st
from twisted.internet.task import Clock
from twisted.trial import unittest

from ftpkit.control.loginfailures import AddressFailures
from ftpkit.control.policies import ConnectionLimiter
from ftpkit.data.passiveshares import PassiveShares
from ftpkit.deploy.overlimit import OverLimitWaits
from ftpkit.protocol.limitkeys import (
    DEFAULT_IPV6_PREFIX_LENGTH,
    NAT64_PREFIX,
    embeddedIPv4,
    limitKey,
    parsePrefixLength,
)

_V6 = st.integers(0, 2 ** 128 - 1).map(ipaddress.IPv6Address).filter(
    lambda address: address.ipv4_mapped is None
    and address not in NAT64_PREFIX)
_LENGTHS = st.integers(1, 128)


class LimitKeyTests(unittest.SynchronousTestCase):
    """
    IPv4 as it is, IPv4-mapped IPv6 as IPv4, other IPv6 by its network.
    """

    def test_defaultIsSlash64(self):
        """
        By default an IPv6 client is its C{/64}.
        """
        self.assertEqual(DEFAULT_IPV6_PREFIX_LENGTH, 64)
        self.assertEqual(limitKey("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64")
        self.assertEqual(limitKey("2001:db8:1:2:bbbb::9"), "2001:db8:1:2::/64")
        self.assertEqual(limitKey("2001:db8:1:3::1"), "2001:db8:1:3::/64")

    def test_ipv4(self):
        """
        An IPv4 address is its own key, whatever the prefix length.
        """
        for length in (1, 64, 128):
            self.assertEqual(limitKey("192.0.2.7", length), "192.0.2.7")

    def test_mapped(self):
        """
        An IPv4-mapped IPv6 address counts as its IPv4 address (a
        dual-stack listener sees IPv4 clients that way).
        """
        for length in (1, 64, 128):
            self.assertEqual(limitKey("::ffff:192.0.2.7", length), "192.0.2.7")
            self.assertEqual(limitKey("::FFFF:c000:0207", length), "192.0.2.7")

    def test_translated(self):
        """
        An IPv4 client shown through RFC 6052's well-known prefix (a
        SIIT-DC translator in front of an IPv6-only server) counts as its
        IPv4 address: counted by the C{/64}, every IPv4 client of such a
        server was one client, sharing one C{--max-connections-per-ip}
        and one failed-login delay.
        """
        for length in (1, 64, 128):
            self.assertEqual(limitKey("64:ff9b::192.0.2.7", length),
                             "192.0.2.7")
            self.assertEqual(limitKey("64:ff9b::c633:6401", length),
                             "198.51.100.1")
        self.assertEqual(limitKey("64:ff9b:0:0:1::1"), "64:ff9b::/64")

    def test_embeddedIPv4(self):
        """
        L{embeddedIPv4} finds the IPv4 client in an IPv4-mapped address
        and in one translated into L{NAT64_PREFIX}, and none in another
        IPv6 address.
        """
        v6 = ipaddress.IPv6Address
        self.assertEqual(embeddedIPv4(v6("::ffff:192.0.2.7")),
                         ipaddress.IPv4Address("192.0.2.7"))
        self.assertEqual(embeddedIPv4(v6("64:ff9b::c633:6401")),
                         ipaddress.IPv4Address("198.51.100.1"))
        self.assertIsNone(embeddedIPv4(v6("64:ff9b:0:0:1::1")))
        self.assertIsNone(embeddedIPv4(v6("2001:db8::c633:6401")))

    def test_exact(self):
        """
        With 128 bits each IPv6 address is its own client, in its usual
        form.
        """
        self.assertEqual(limitKey("2001:DB8:0::0:1", 128), "2001:db8::1")
        self.assertNotEqual(limitKey("2001:db8::1", 128),
                            limitKey("2001:db8::2", 128))

    def test_otherLengths(self):
        """
        A shorter prefix groups a whole site.
        """
        self.assertEqual(limitKey("2001:db8:1:2::1", 48), "2001:db8:1::/48")
        self.assertEqual(limitKey("2001:db8:1:ffff::1", 48), "2001:db8:1::/48")
        self.assertEqual(limitKey("::1", 64), "::/64")

    def test_scope(self):
        """
        A link-local address's zone is not part of it.
        """
        self.assertEqual(limitKey("fe80::1%eth0", 128), "fe80::1")
        self.assertEqual(limitKey("fe80::1%eth0"), "fe80::/64")

    def test_notAnAddress(self):
        """
        Anything else (a Unix socket's name, C{"unknown"}) is its own key.
        """
        for host in ("unknown", "/run/ftp.sock", ""):
            self.assertEqual(limitKey(host), host)

    def test_badLength(self):
        """
        A prefix length outside 1-128 is refused.
        """
        for length in (0, 129, -1):
            self.assertRaises(ValueError, limitKey, "2001:db8::1", length)

    @given(_V6, _V6, _LENGTHS)
    def test_samePrefixSameKey(self, first, second, length):
        """
        Two IPv6 addresses share a key exactly when their first
        C{length} bits are equal.
        """
        shift = 128 - length
        samePrefix = int(first) >> shift == int(second) >> shift
        self.assertEqual(
            limitKey(str(first), length) == limitKey(str(second), length),
            samePrefix)

    @given(_V6, _LENGTHS)
    def test_keyHoldsTheAddress(self, address, length):
        """
        The key is the network of C{length} bits the address is in (the
        address itself for 128).
        """
        key = limitKey(str(address), length)
        if length == 128:
            self.assertEqual(key, str(address))
        else:
            network = ipaddress.IPv6Network(key)
            self.assertEqual(network.prefixlen, length)
            self.assertIn(address, network)

    @given(st.integers(0, 2 ** 32 - 1).map(ipaddress.IPv4Address), _LENGTHS)
    def test_ipv4Property(self, address, length):
        """
        An IPv4 address, plain or mapped, keys as itself.
        """
        mapped = ipaddress.IPv6Address(f"::ffff:{address}")
        self.assertEqual(limitKey(str(address), length), str(address))
        self.assertEqual(limitKey(str(mapped), length), str(address))


class ParsePrefixLengthTests(unittest.SynchronousTestCase):
    """
    L{parsePrefixLength} reads C{--ipv6-prefix-length}.
    """

    def test_valid(self):
        for text, value in [("1", 1), ("48", 48), ("64", 64), ("128", 128)]:
            self.assertEqual(parsePrefixLength(text), value)

    def test_invalid(self):
        for text in ("0", "129", "-1", "x", "", "64.5", "/64"):
            e = self.assertRaises(ValueError, parsePrefixLength, text)
            self.assertIn("from 1 to 128", str(e))


class GroupedLimitsTests(unittest.SynchronousTestCase):
    """
    Every per-address count takes two addresses of one C{/64} as one
    client, unless the prefix length is 128.
    """

    FIRST = "2001:db8:0:1::a"
    SECOND = "2001:db8:0:1:ffff::b"
    ELSEWHERE = "2001:db8:0:2::a"

    def test_connectionLimiter(self):
        """
        C{--max-connections-per-ip} counts the network.
        """
        limiter = ConnectionLimiter(10, 1)
        self.assertIsNone(limiter.admit(self.FIRST))
        self.assertIn("your address", limiter.admit(self.SECOND))
        self.assertIsNone(limiter.admit(self.ELSEWHERE))
        self.assertEqual(dict(limiter.sessionsByHost),
                         {"2001:db8:0:1::/64": 1, "2001:db8:0:2::/64": 1})
        limiter.release(self.FIRST)
        self.assertIsNone(limiter.admit(self.SECOND))
        limiter.release(self.SECOND)
        limiter.release(self.ELSEWHERE)
        self.assertEqual(dict(limiter.sessionsByHost), {})
        self.assertEqual(limiter.sessions, 0)

    def test_connectionLimiterExact(self):
        """
        With 128 bits, each address has its own count.
        """
        limiter = ConnectionLimiter(10, 1, ipv6PrefixLength=128)
        self.assertIsNone(limiter.admit(self.FIRST))
        self.assertIsNone(limiter.admit(self.SECOND))
        self.assertIn("your address", limiter.admit(self.FIRST))

    def test_addressFailures(self):
        """
        Failed logins from another address of the network add up.
        """
        failures = AddressFailures()
        self.assertEqual(failures.record(self.FIRST, 0), 1)
        self.assertEqual(failures.record(self.SECOND, 1), 2)
        self.assertEqual(failures.record(self.ELSEWHERE, 2), 1)
        exact = AddressFailures(ipv6PrefixLength=128)
        exact.record(self.FIRST, 0)
        self.assertEqual(exact.record(self.SECOND, 1), 1)

    def test_passiveShares(self):
        """
        Passive listeners of one network share one share.
        """
        shares = PassiveShares(1)
        self.assertTrue(shares.take(self.FIRST))
        self.assertFalse(shares.take(self.SECOND))
        self.assertTrue(shares.take(self.ELSEWHERE))
        shares.release(self.FIRST)
        shares.release(self.ELSEWHERE)
        self.assertEqual(dict(shares.held), {})
        exact = PassiveShares(1, ipv6PrefixLength=128)
        self.assertTrue(exact.take(self.FIRST))
        self.assertTrue(exact.take(self.SECOND))

    def test_overLimitWaits(self):
        """
        Under C{--workers}, one connection per network waits for a
        session to end; another address of it is refused at once.
        """
        class Connection:
            closed = False

            def close(self):
                self.closed = True

        clock = Clock()
        waits = OverLimitWaits(clock, lambda *_: False, lambda *_: None)
        self.assertTrue(waits.wait(Connection(), self.FIRST, "full", 2))
        self.assertFalse(waits.wait(Connection(), self.SECOND, "full", 2))
        self.assertTrue(waits.wait(Connection(), self.ELSEWHERE, "full", 2))
        clock.advance(2)
        self.assertEqual(waits.waiting, [])
        exact = OverLimitWaits(clock, lambda *_: False, lambda *_: None, 128)
        self.assertTrue(exact.wait(Connection(), self.FIRST, "full", 2))
        self.assertTrue(exact.wait(Connection(), self.SECOND, "full", 2))
        exact.stop("stopping")

