"""
Whether a file an upload wrote in place from an offset still holds its
bytes before the offset (L{resumedIntact}), from the bytes read just
before it (L{bytesBefore}) and where its first hole begins.
"""

from twisted.trial import unittest

from ftpkit.shells.diskplacing import (
    RESUME_CHECKED,
    bytesBefore,
    resumedIntact,
)


class ResumedIntactTests(unittest.TestCase):
    """
    L{resumedIntact} and L{bytesBefore}.
    """

    def test_bytesBefore(self):
        """
        The L{RESUME_CHECKED} bytes before the offset, fewer near the
        file's start.
        """
        data = bytes(range(256)) * 1000

        def read(length, offset):
            return data[offset:offset + length]

        self.assertEqual(bytesBefore(read, 100), data[:100])
        self.assertEqual(bytesBefore(read, 200000),
                         data[200000 - RESUME_CHECKED:200000])

    def test_judged(self):
        """
        Intact when the bytes before the offset are as they were and no
        hole begins before the upload's end (or the first hole of the
        file as it was), or the store tells no holes.
        """
        self.assertTrue(resumedIntact(b"ab", b"ab", 100, 150, 50, 150))
        self.assertTrue(resumedIntact(b"ab", b"ab", None, None, 50, 150))
        self.assertTrue(resumedIntact(None, None, 100, 150, 50, 150))
        self.assertTrue(resumedIntact(b"ab", b"ab", 40, 40, 50, 150))
        self.assertFalse(resumedIntact(b"ab", b"\0\0", 100, 150, 50, 150))
        self.assertFalse(resumedIntact(b"ab", b"ab", 100, 30, 50, 150))
        self.assertFalse(resumedIntact(b"ab", b"ab", 40, 30, 50, 150))

    def test_ownBytesCut(self):
        """
        A file with no hole before the offset has none before the
        upload's end, past the file's old end too: one there is a cut
        into the upload's own bytes.
        """
        self.assertFalse(resumedIntact(b"ab", b"ab", 100, 120, 50, 150))
        self.assertTrue(resumedIntact(b"ab", b"ab", 100, 150, 50, 150))
