"""
Tests for L{ftpkit.control.handlers.transferring.shortDownload}.
"""

from twisted.trial import unittest

from ftpkit.control.handlers.transferring import shortDownload


class ShortDownloadTests(unittest.TestCase):
    """
    A download that sent fewer bytes than its file had when opened gets
    C{451}; otherwise, or when that cannot be told, nothing.
    """

    def test_short(self):
        """
        Fewer bytes than the size, in C{TYPE I}: C{451} with both counts.
        """
        self.assertEqual(
            shortDownload(True, 10, 4),
            (451, "File shrank during the transfer: 4 of 10 bytes sent"))

    def test_oneShort(self):
        """
        One byte fewer than the size is short too.
        """
        self.assertEqual(
            shortDownload(True, 10, 9),
            (451, "File shrank during the transfer: 9 of 10 bytes sent"))

    def test_shortASCII(self):
        """
        In C{TYPE A} too (it was C{None}, a C{226}): the counts are the
        file's bytes, not the more sent for its LFs, and the reply says
        so.
        """
        self.assertEqual(
            shortDownload(False, 10, 4),
            (451, "File shrank during the transfer: 4 of 10 file bytes"
                  " sent, counted before TYPE A's CRLF conversion"))
        self.assertIsNone(shortDownload(False, 10, 10))

    def test_whole(self):
        """
        All the bytes (or more: a file that grew is sent to its size).
        """
        self.assertIsNone(shortDownload(True, 10, 10))
        self.assertIsNone(shortDownload(True, 10, 12))

    def test_unknown(self):
        """
        Without a size or a count, nothing is told.
        """
        self.assertIsNone(shortDownload(True, None, 4))
        self.assertIsNone(shortDownload(True, 10, None))

    def test_notACount(self):
        """
        What a plugin's C{send} fired with that is no count (Twisted's
        C{FileSender} fires with the last byte, C{b"d"}) is taken as not
        known: it was a C{TypeError}, the whole file sent then C{451}
        and a traceback.
        """
        self.assertIsNone(shortDownload(True, 10, b"d"))
        self.assertIsNone(shortDownload(True, 10, 4.0))
