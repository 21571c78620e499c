"""
Tests for L{ftpkit.data.movers.Download.takesBeforeHandshake}: which
downloads take an active data connection under TLS before its handshake
(L{ftpkit.data.channel.DataChannel.connecting}). A listing does, as an
empty file in C{MODE S} does: curl 7.87-7.88 never start such a
connection's TLS, and an empty directory's listing, which worked with
them, waited for the handshake and failed with curl's error 56
(activetls54).
"""

from twisted.internet.task import Clock
from twisted.trial import unittest

from ftpkit.data.movers import Download, Upload
from tests.unit.test_movers import DescriptorOnlyFile


class SizedFile:
    """
    A read file of which only its size is read.

    @ivar size: its size in bytes, or C{None} when not known.
    """

    def __init__(self, size):
        """
        @param size: see L{size}.
        """
        self.size = size


class TakesBeforeHandshakeTests(unittest.SynchronousTestCase):
    """
    L{Download.takesBeforeHandshake}, decided when the download is made.
    """

    def takes(self, readFile, deflate=None, listing=False):
        """
        @return: whether a L{Download} of C{readFile} takes the connection
            before its handshake.
        """
        return Download(readFile, True, Clock(), deflate=deflate,
                        listing=listing).takesBeforeHandshake

    def test_listing(self):
        """
        A listing does, its size unknown, in C{MODE S} or C{MODE Z}.
        """
        self.assertTrue(self.takes(SizedFile(None), listing=True))
        self.assertTrue(self.takes(SizedFile(None), 6, listing=True))

    def test_emptyFile(self):
        """
        An empty file in C{MODE S} does; in C{MODE Z} it sends the
        compressed stream's bytes, and does not.
        """
        self.assertTrue(self.takes(SizedFile(0)))
        self.assertFalse(self.takes(SizedFile(0), 6))

    def test_otherFiles(self):
        """
        A file with bytes does not, nor one of unknown size, nor one
        without a size (an outside plugin's).
        """
        self.assertFalse(self.takes(SizedFile(1)))
        self.assertFalse(self.takes(SizedFile(None)))
        self.assertFalse(self.takes(DescriptorOnlyFile(None)))

    def test_upload(self):
        """
        An upload never does.
        """
        self.assertFalse(Upload.takesBeforeHandshake)
