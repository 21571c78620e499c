"""
What a failed upload batch says it received
(L{ftpkit.data.movers._splicebatch.receivedBy}): the bytes it took from
the socket, found on its error or on the error a storage's runner raised
while handling it, so that the upload's byte count has them (session 55:
a spliced upload cut by a full disk logged 65,536 bytes of 1,196,032).
"""

from twisted.trial import unittest

from ftpkit.data.movers import _splicebatch as batches
from ftpkit.errors import InsufficientStorage, fromOSError
from ftpkit.fileinfo import FileDescriptor


def _translating(function):
    """
    @return: what C{function()} raises, as a storage's runner raises it:
        an C{OSError} turned into an L{ftpkit.errors.FTPError}.
    """
    try:
        function()
    except OSError as error:
        try:
            raise fromOSError(error) from None
        except Exception as translated:
            return translated
    raise AssertionError("nothing raised")


class ReceivedByTests(unittest.TestCase):
    """
    L{batches.receivedBy}.
    """

    def test_noneSaid(self):
        """
        An error no batch marked: C{0}.
        """
        self.assertEqual(batches.receivedBy(OSError(5, "EIO")), 0)

    def test_translated(self):
        """
        The error a runner raised while handling a batch's says what the
        batch's said.
        """
        def commit(end):
            raise OSError(28, "No space left on device")
        descriptor = FileDescriptor(-1, 0, commit=commit)
        error = _translating(lambda: batches.commitAtEnd(
            descriptor, 10, 7, batches.END))
        self.assertIsInstance(error, InsufficientStorage)
        self.assertEqual(batches.receivedBy(error), 7)

    def test_commitFailing(self):
        """
        A batch at the end whose commit fails received all it moved.
        """
        def commit(end):
            raise OSError(28, "No space left on device")
        descriptor = FileDescriptor(-1, 0, commit=commit)
        error = self.assertRaises(OSError, batches.commitAtEnd, descriptor,
                                  0, 12, batches.END)
        self.assertEqual(batches.receivedBy(error), 12)
