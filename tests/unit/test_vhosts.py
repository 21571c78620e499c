"""
Tests for L{ftpkit.control.vhosts}: host names as RFC 7151 has them, C{--vhost}
values, and which realm a C{HOST} name picks.
"""

from twisted.trial import unittest

from ftpkit.control.vhosts import (
    DEFAULT,
    VirtualHost,
    chooseHost,
    hostTable,
    localAddressNames,
    parseHostName,
    parseVhostOption,
)


class ParseHostNameTests(unittest.TestCase):
    """
    L{parseHostName} takes domain names (A-labels), IPv4 addresses and
    bracketed IPv6 addresses, and normalizes them.
    """

    def test_domainCaseAndTrailingDot(self):
        """
        Names compare without case and without a trailing dot.
        """
        self.assertEqual(parseHostName("FTP.Example.COM."), "ftp.example.com")
        self.assertEqual(parseHostName(" localhost "), "localhost")

    def test_aLabels(self):
        """
        An internationalized name in A-labels is a name; in U-labels it
        is refused, saying to use A-labels.
        """
        self.assertEqual(parseHostName("xn--bcher-kva.example"),
                         "xn--bcher-kva.example")
        e = self.assertRaises(ValueError, parseHostName, "bücher.example")
        self.assertIn("A-labels", str(e))

    def test_addresses(self):
        """
        IPv4 addresses as they are; IPv6 addresses only in brackets, in
        compressed form.
        """
        self.assertEqual(parseHostName("192.0.2.1"), "192.0.2.1")
        self.assertEqual(parseHostName("[2001:DB8:0::1]"), "[2001:db8::1]")
        # Not "[::ffff:c000:201]": ftpkit takes an IPv4-mapped address for
        # the IPv4 address everywhere (limits, --allow-from, its own
        # address by localAddressNames).
        self.assertEqual(parseHostName("[::FFFF:192.0.2.1]"), "192.0.2.1")
        self.assertEqual(parseHostName("[::ffff:c000:201]"), "192.0.2.1")
        for bad in ("::1", "[::1", "[not-an-address]", "2001:db8::1",
                    "[fe80::1%eth0]", "[::1%\x1b[31m x\x00]"):
            self.assertRaises(ValueError, parseHostName, bad)

    def test_badIPv4(self):
        """
        Text ending in a label of digits is an IPv4 address or nothing:
        RFC 1123 (section 2.1) keeps a host name's last label from being
        all digits, so C{256.1.1.1} is refused as an address, not taken
        for a name (which C{--vhost-fallback} sent to the default realm).
        An address with a trailing dot is refused too: a dotted quad has
        none (C{inet_pton} refuses it), and as an absolute domain name
        (whose trailing dot a name may have) it ends in a number.
        """
        for bad in ("256.1.1.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "10",
                    "example.123"):
            e = self.assertRaises(ValueError, parseHostName, bad)
            self.assertEqual(str(e), "not an IPv4 address (a host name "
                                     "does not end in a number)")
        for bad in ("192.0.2.1.", "256.1.1.1.", "example.123."):
            e = self.assertRaises(ValueError, parseHostName, bad)
            self.assertEqual(str(e), "not an IPv4 address (which has no "
                                     "trailing dot) nor a host name (which "
                                     "does not end in a number)")
        self.assertEqual(parseHostName("1a.example"), "1a.example")
        self.assertEqual(parseHostName("example.1a"), "example.1a")

    def test_port(self):
        """
        A name or an address followed by a port (as HTTP's C{Host} has
        it) is refused as such: it was told that an IPv6 address goes in
        brackets, for C{ftp.example.com:21} and C{[::1]:21} alike.
        """
        for bad in ("ftp.example.com:21", "192.0.2.1:2121", "[::1]:21"):
            e = self.assertRaises(ValueError, parseHostName, bad)
            self.assertEqual(str(e), "a host name or address, without a"
                                     " port")
        e = self.assertRaises(ValueError, parseHostName, "2001:db8::1")
        self.assertIn("brackets", str(e))

    def test_notNames(self):
        """
        Spaces, empty labels, bad characters (a line feed ending a label
        inside the name too) and over-long names are refused.
        """
        for bad in ("", "a b", "a..b", "-a.example", "a_b.example",
                    "a" * 64 + ".example", ".".join(["a" * 60] * 5),
                    "a\r\n230 x", "ftp\n.example", "a\n.b\n.c"):
            self.assertRaises(ValueError, parseHostName, bad)


class LocalAddressNamesTests(unittest.TestCase):
    """
    L{localAddressNames} gives the C{HOST} spellings of the server's own
    address.
    """

    def test_versions(self):
        """
        IPv4 as is, IPv6 in brackets, an IPv4-mapped address as its IPv4
        address (which L{parseHostName} makes of the mapped one too).
        """
        self.assertEqual(localAddressNames("127.0.0.1"), {"127.0.0.1"})
        self.assertEqual(localAddressNames("::1"), {"[::1]"})
        self.assertEqual(localAddressNames("::ffff:127.0.0.1"),
                         {"127.0.0.1"})
        self.assertEqual(localAddressNames("/run/ftp.sock"), set())


class ParseVhostOptionTests(unittest.TestCase):
    """
    L{parseVhostOption} splits C{NAMES=REALM[:ARGS]}.
    """

    def test_split(self):
        """
        Names are comma-separated and normalized; the realm spec keeps its
        own colons and equals signs.
        """
        self.assertEqual(
            parseVhostOption("A.example, b.example=fsspec:memory://x?a=b"),
            (("a.example", "b.example"), "fsspec:memory://x?a=b"))

    def test_sameNameTwice(self):
        """
        A name given twice in one value is refused, naming it: written
        the same (most likely a slip for another name, which no host
        would serve) or in spellings that normalize to one (an IPv4
        address and its mapped form, a name with and without its
        trailing dot), both spellings named.
        """
        e = self.assertRaises(ValueError, parseVhostOption,
                              "a.example,b.example,a.example=memory")
        self.assertEqual(str(e), "'a.example' is given twice")
        e = self.assertRaises(ValueError, parseVhostOption,
                              "a.example., A.example=memory")
        self.assertEqual(str(e), "'a.example' is given twice (as "
                         "'a.example.' and 'A.example')")
        e = self.assertRaises(ValueError, parseVhostOption,
                              "192.0.2.1,[::ffff:192.0.2.1]=memory")
        self.assertIn("'192.0.2.1' is given twice", str(e))

    def test_bad(self):
        """
        A missing part, or a bad name (named in the message), is refused.
        """
        for bad in ("a.example", "=memory", "a.example=", "a b=memory"):
            self.assertRaises(ValueError, parseVhostOption, bad)
        e = self.assertRaises(ValueError, parseVhostOption, "a..b=memory")
        self.assertIn("'a..b'", str(e))


class ChooseHostTests(unittest.TestCase):
    """
    L{chooseHost}: the one decision of what C{HOST} picks.
    """

    def setUp(self):
        self.a = VirtualHost(("a.example", "www.a.example"), "memory",
                             object())
        self.table = hostTable([self.a])

    def test_named(self):
        """
        Any name of a virtual host picks it.
        """
        for name in self.a.names:
            self.assertIs(chooseHost(name, self.table, set(), False), self.a)

    def test_unknown(self):
        """
        A name no host has is unknown (C{None}: 504), unless it names the
        server's own address, or C{fallback} is on.
        """
        self.assertIsNone(chooseHost("b.example", self.table, set(), False))
        self.assertIsNone(chooseHost("192.0.2.9", self.table, {"192.0.2.1"},
                                     False))
        self.assertEqual(chooseHost("192.0.2.1", self.table, {"192.0.2.1"},
                                    False), DEFAULT)
        self.assertEqual(chooseHost("b.example", self.table, set(), True),
                         DEFAULT)

    def test_noVirtualHosts(self):
        """
        Without virtual hosts, every name picks the default realm.
        """
        self.assertEqual(chooseHost("b.example", {}, set(), False), DEFAULT)

    def test_nameTwice(self):
        """
        Two hosts may not share a name.
        """
        other = VirtualHost(("www.a.example",), "memory", object())
        self.assertRaises(ValueError, hostTable, [self.a, other])
