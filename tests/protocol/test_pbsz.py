"""
Tests for C{PBSZ}'s argument: RFC 2228 makes it a decimal number that
fits in 32 bits, and has a server answer C{501} to any other.
"""

from twisted.trial import unittest

from tests.memorysessions import replyCodes
from tests.protocol.test_authmechanisms import authenticate


def bufferSize(argument):
    """
    Send C{PBSZ argument} on a fresh session under C{AUTH TLS}.

    @param argument: the C{PBSZ} argument, as bytes.
    @return: C{(protocol, codes)}: the session's protocol and the codes
        of the replies to C{PBSZ}.
    """
    protocol, transport = authenticate(b"TLS")
    transport.clear()
    protocol.dataReceived(b"PBSZ " + argument + b"\r\n")
    return protocol, replyCodes(transport)


class BufferSizeTests(unittest.TestCase):
    """
    C{PBSZ} takes any 32-bit unsigned number (and answers C{PBSZ=0});
    anything else is C{501} and leaves C{PROT} refused.
    """

    def test_accepted(self):
        """
        A number from 0 to 2**32 - 1, leading zeros allowed (any number
        of them), gets C{200}.
        """
        for argument in (b"0", b"00", b"16384", b"4294967295",
                         b"0" * 5000 + b"1"):
            protocol, codes = bufferSize(argument)
            self.assertEqual(codes, ["200"], argument)
            self.assertTrue(protocol.tls.bufferSizeSet, argument)

    def test_refused(self):
        """
        A number past 32 bits (one longer than C{int} reads too), a
        negative one, or digits that are not
        ASCII (C{str.isdigit} takes a superscript two) get C{501}, and
        C{PBSZ} still counts as not given.
        """
        for argument in (b"4294967296", b"99999999999999999999",
                         b"9" * 5000, b"-1",
                         "\u00b2".encode("utf-8"),
                         "\u0661".encode("utf-8")):
            protocol, codes = bufferSize(argument)
            self.assertEqual(codes, ["501"], argument)
            self.assertFalse(protocol.tls.bufferSizeSet, argument)
