"""
L{ftpkit.control.ccc.TLSRecords}: where a client's TLS records end and its
commands in clear begin, after C{CCC}.
"""

from twisted.trial import unittest

from ftpkit.control.ccc import TLSRecords


def record(body, contentType=21):
    """
    @return: a TLS record of C{contentType} holding C{body}.
    """
    return bytes([contentType, 3, 3]) + len(body).to_bytes(2, "big") + body


class TLSRecordsTests(unittest.TestCase):
    """
    L{TLSRecords.split}, fed what a client sends in pieces.
    """

    def test_clearAtOnce(self):
        """
        A command where a record would start is clear text, all of it.
        """
        self.assertEqual(TLSRecords().split(b"PWD\r\n"), (b"", b"PWD\r\n"))

    def test_recordsOnly(self):
        """
        Whole records are records, however many.
        """
        data = record(b"\x01\x00") + record(b"x" * 300, 23)
        self.assertEqual(TLSRecords().split(data), (data, None))

    def test_clearAfterRecords(self):
        """
        Clear text after the last record is told apart, even when it
        starts a later piece.
        """
        alert = record(b"\x01\x00")
        self.assertEqual(TLSRecords().split(alert + b"TYPE I\r\n"),
                         (alert, b"TYPE I\r\n"))
        records = TLSRecords()
        self.assertEqual(records.split(alert), (alert, None))
        self.assertEqual(records.split(b"PASV\r\n"), (b"", b"PASV\r\n"))

    def test_splitRecord(self):
        """
        A record cut anywhere, in its header or its body, is followed to
        its end; a body byte that looks like clear text is not taken for
        it.
        """
        data = record(b"QUIT" * 100, 23) + b"NOOP\r\n"
        for cut in (1, 3, 5, 6, 200):
            records = TLSRecords()
            first = records.split(data[:cut])
            second = records.split(data[cut:])
            self.assertEqual((first, second),
                             ((data[:cut], None),
                              (data[cut:-6], b"NOOP\r\n")), cut)
