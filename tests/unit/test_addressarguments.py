"""
Tests for the address arguments of L{ftpkit.protocol.commands}: C{PORT}'s
host and port, C{EPRT}'s and C{EPSV}'s.
"""


from hypothesis import given
from hypothesis import strategies as st
from twisted.trial.unittest import SynchronousTestCase

from ftpkit.errors import BadArgument, FTPError, UnsupportedNetworkProtocol
from ftpkit.protocol.commands import (
    formatHostPort,
    parseEPRT,
    parseEPSV,
    parseHostPort,
)


class HostPortTests(SynchronousTestCase):
    """
    Tests for L{parseHostPort} and L{formatHostPort}.
    """

    def test_parse(self):
        """
        Six numbers give a dotted host and a port.
        """
        self.assertEqual(parseHostPort("127,0,0,1,4,1"), ("127.0.0.1", 1025))
        self.assertEqual(parseHostPort("10,1,2,3,255,255"), ("10.1.2.3", 65535))

    def test_whitespace(self):
        """
        Whitespace around numbers is allowed.
        """
        self.assertEqual(parseHostPort(" 127, 0 ,0,1,0, 21 "), ("127.0.0.1", 21))

    def test_leadingZeros(self):
        """
        Leading zeros do not change a number.
        """
        self.assertEqual(parseHostPort("010,0,0,001,0,21"), ("10.0.0.1", 21))

    def test_invalid(self):
        """
        Anything but six numbers from 0 to 255 is a L{BadArgument}.
        """
        for text in [
            "",
            "127,0,0,1,4",
            "127,0,0,1,4,1,1",
            "256,0,0,1,4,1",
            "127,0,0,1,4,256",
            "127,0,0,-1,4,1",
            "127,0,0,1,4,",
            "a,b,c,d,e,f",
            "127.0.0.1,4,1",
            "1 27,0,0,1,4,1",
            "\u0661,0,0,1,4,1",
            "0001,0,0,1,4,1",
        ]:
            self.assertRaises(BadArgument, parseHostPort, text)

    def test_format(self):
        """
        L{formatHostPort} writes the six numbers.
        """
        self.assertEqual(formatHostPort("127.0.0.1", 1025), "127,0,0,1,4,1")
        self.assertEqual(formatHostPort("10.0.0.2", 0), "10,0,0,2,0,0")
        self.assertEqual(formatHostPort("10.0.0.2", 65535), "10,0,0,2,255,255")

    def test_formatMapped(self):
        """
        An IPv4-mapped IPv6 address is written as its IPv4 address.
        """
        self.assertEqual(formatHostPort("::ffff:192.0.2.7", 21), "192,0,2,7,0,21")

    def test_formatInvalid(self):
        """
        A plain IPv6 address or a bad port is a server-side C{ValueError}.
        """
        self.assertRaises(ValueError, formatHostPort, "::1", 21)
        self.assertRaises(ValueError, formatHostPort, "127.0.0.1", 65536)
        self.assertRaises(ValueError, formatHostPort, "127.0.0.1", -1)

    @given(
        st.tuples(*[st.integers(0, 255)] * 4),
        st.integers(0, 65535),
    )
    def test_roundTrip(self, octets, port):
        """
        L{parseHostPort} reads what L{formatHostPort} writes.
        """
        host = ".".join(map(str, octets))
        self.assertEqual(parseHostPort(formatHostPort(host, port)), (host, port))


class EPRTTests(SynchronousTestCase):
    """
    Tests for L{parseEPRT}.
    """

    def test_ipv4(self):
        """
        Family 1 takes an IPv4 address.
        """
        self.assertEqual(parseEPRT("|1|132.235.1.2|6275|"), (1, "132.235.1.2", 6275))

    def test_ipv6(self):
        """
        Family 2 takes an IPv6 address, given back in its normal form.
        """
        self.assertEqual(parseEPRT("|2|::1|5282|"), (2, "::1", 5282))
        self.assertEqual(
            parseEPRT("|2|1080:0:0:0:8:800:200C:417A|5282|"),
            (2, "1080::8:800:200c:417a", 5282),
        )

    def test_ipv4Mapped(self):
        """
        Family 2 accepts an IPv4-mapped address.
        """
        self.assertEqual(
            parseEPRT("|2|::ffff:127.0.0.1|2000|"), (2, "::ffff:7f00:1", 2000)
        )

    def test_linkLocalZone(self):
        """
        A link-local IPv6 address may name its zone (an interface's name
        or number), kept after the address in its normal form.
        """
        self.assertEqual(parseEPRT("|2|FE80:0::1%eth0|2000|"),
                         (2, "fe80::1%eth0", 2000))
        self.assertEqual(parseEPRT("|2|fe80::1%3|2000|"),
                         (2, "fe80::1%3", 2000))
        self.assertEqual(parseEPRT("|2|fe80::1%ftpkn12.n_x-y|2000|"),
                         (2, "fe80::1%ftpkn12.n_x-y", 2000))

    def test_otherDelimiter(self):
        """
        Any printable ASCII character may delimit.
        """
        self.assertEqual(parseEPRT("!1!10.0.0.1!21!"), (1, "10.0.0.1", 21))
        self.assertEqual(parseEPRT("~2~::1~21~"), (2, "::1", 21))

    def test_surroundingWhitespace(self):
        """
        Whitespace around the argument is ignored.
        """
        self.assertEqual(parseEPRT(" |1|10.0.0.1|21| "), (1, "10.0.0.1", 21))

    def test_leadingZeros(self):
        """
        A port or a family padded with leading zeros, however many, is
        its number, as pyftpdlib reads it (they were refused past five
        digits, and a family past one).
        """
        self.assertEqual(parseEPRT("|1|127.0.0.1|002121|"),
                         (1, "127.0.0.1", 2121))
        self.assertEqual(parseEPRT("|1|127.0.0.1|" + "0" * 5000 + "21|"),
                         (1, "127.0.0.1", 21))
        self.assertEqual(parseEPRT("|0002|::1|21|"), (2, "::1", 21))
        self.assertEqual(parseEPRT("|000001|10.0.0.1|21|"),
                         (1, "10.0.0.1", 21))

    def test_unsupportedFamily(self):
        """
        A family other than 1 or 2 raises L{UnsupportedNetworkProtocol},
        whose reply is 522.
        """
        error = self.assertRaises(
            UnsupportedNetworkProtocol, parseEPRT, "|3|10.0.0.1|21|"
        )
        self.assertEqual(error.code, 522)
        self.assertEqual(error.message, "Network protocol not supported, use (1,2)")
        self.assertIsInstance(error, FTPError)

    def test_invalid(self):
        """
        Syntax errors, wrong-family addresses and bad ports raise
        L{BadArgument}.
        """
        for text in [
            "",
            "|1|10.0.0.1|21",
            "1|10.0.0.1|21|",
            "|1|10.0.0.1|21|x",
            "|1|10.0.0.1|21||",
            " 1 10.0.0.1 21 ",
            "\x7f1\x7f10.0.0.1\x7f21\x7f",
            "\u00e91\u00e910.0.0.1\u00e921\u00e9",
            "|x|10.0.0.1|21|",
            "||10.0.0.1|21|",
            "|1|::1|21|",
            "|2|10.0.0.1|21|",
            "|1|10.0.0.256|21|",
            "|1|010.0.0.1|21|",
            "|1|host.example|21|",
            "|2|fe80::1%|21|",
            "|2|fe80::1%eth0%1|21|",
            "|2|fe80::1%eth 0|21|",
            "|2|fe80::1%eth0\x1b[2J|21|",
            "|2|fe80::1%" + "x" * 16 + "|21|",
            "|2|2001:db8::1%eth0|21|",
            "|2|::1%lo|21|",
            "|1|10.0.0.1%eth0|21|",
            "|1|10.0.0.1|0|",
            "|1|10.0.0.1|65536|",
            "|1|10.0.0.1|-1|",
            "|1|10.0.0.1||",
            "|1|10.0.0.1|2 1|",
            "|1|10.0.0.1|\u0662\u0661|",
            "|1|10.0.0.1|0000000|",
            "|1|10.0.0.1|00065536|",
            "|1|10.0.0.1|" + "1" * 30 + "|",
        ]:
            self.assertRaises(BadArgument, parseEPRT, text)


class EPSVTests(SynchronousTestCase):
    """
    Tests for L{parseEPSV}.
    """

    def test_none(self):
        """
        No argument gives C{None}.
        """
        self.assertIsNone(parseEPSV(""))
        self.assertIsNone(parseEPSV("  "))

    def test_all(self):
        """
        C{ALL}, in any case, gives C{"ALL"}.
        """
        self.assertEqual(parseEPSV("ALL"), "ALL")
        self.assertEqual(parseEPSV("all"), "ALL")

    def test_family(self):
        """
        C{1} and C{2} give the number.
        """
        self.assertEqual(parseEPSV("1"), 1)
        self.assertEqual(parseEPSV("2"), 2)

    def test_unsupportedFamily(self):
        """
        Other numbers raise L{UnsupportedNetworkProtocol}.
        """
        for text in ("0", "3", "99", "000003", "1000000"):
            self.assertRaises(UnsupportedNetworkProtocol, parseEPSV, text)

    def test_leadingZeros(self):
        """
        A family padded with leading zeros is its number (it was refused
        past five digits).
        """
        self.assertEqual(parseEPSV("0000002"), 2)
        self.assertEqual(parseEPSV("0" * 5000 + "1"), 1)

    def test_invalid(self):
        """
        Anything else raises L{BadArgument}.
        """
        for text in ("x", "-1", "1 2", "ALLX", "9" * 100, "\u0661"):
            self.assertRaises(BadArgument, parseEPSV, text)
