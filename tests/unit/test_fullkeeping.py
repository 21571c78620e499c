"""
Tests for L{ftpkit.shells.fullkeeping}: a cut upload keeps no bytes on a
full disk.
"""

import os

from twisted.trial import unittest

from ftpkit.errors import InsufficientStorage, QuotaExceeded, TransferAborted
from ftpkit.shells.fullkeeping import (
    FULL_BELOW,
    keepsReceived,
    keptSize,
    roomLeft,
)
from ftpkit.shells.keptregistry import DISK_FULL


class KeepsReceivedTests(unittest.TestCase):
    """
    The rule.
    """

    def test_cutWithRoom(self):
        """
        An upload cut (no write failed) on a disk with room keeps its
        bytes, and so does one where the room is not known.
        """
        self.assertTrue(keepsReceived(None, FULL_BELOW))
        self.assertTrue(keepsReceived(None, None))
        self.assertTrue(keepsReceived(TransferAborted(), 1 << 30))

    def test_writeFoundDiskFull(self):
        """
        One whose write found the disk full keeps none, whatever room
        there is now (another upload's file removed meanwhile).
        """
        self.assertFalse(keepsReceived(InsufficientStorage(), 1 << 30))
        self.assertFalse(keepsReceived(InsufficientStorage(), None))

    def test_diskFullNow(self):
        """
        One cut, or whose bytes went through its descriptor (its failed
        write not told to the file), on a disk with less than
        L{FULL_BELOW} bytes left keeps none.
        """
        self.assertFalse(keepsReceived(None, 0))
        self.assertFalse(keepsReceived(None, FULL_BELOW - 1))

    def test_quota(self):
        """
        A quota's refusal (C{552}) is not a full disk: the room decides
        (such an upload is discarded before it gets here).
        """
        self.assertTrue(keepsReceived(QuotaExceeded(), FULL_BELOW))


class KeptSizeTests(unittest.TestCase):
    """
    L{keptSize} and L{roomLeft} on a real file.
    """

    def setUp(self):
        path = self.mktemp()
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        self.addCleanup(os.close, self.fd)
        os.write(self.fd, b"x" * 1000)

    def test_roomLeft(self):
        """
        The room is what C{fstatvfs} gives an unprivileged user.
        """
        result = os.fstatvfs(self.fd)
        self.assertEqual(roomLeft(self.fd),
                         result.f_bavail * result.f_frsize)

    def test_roomNotTold(self):
        """
        A descriptor C{fstatvfs} fails on gives no room: not known.
        """
        self.assertIsNone(roomLeft(-1))

    def test_kept(self):
        """
        Where its bytes are kept, the file stays as it is.
        """
        if roomLeft(self.fd) < FULL_BELOW:
            raise unittest.SkipTest("the scratch disk is full")
        self.assertEqual(keptSize(self.fd, 1000, None), 1000)
        self.assertEqual(os.fstat(self.fd).st_size, 1000)

    def test_emptied(self):
        """
        Where they are not, the file is emptied.
        """
        self.assertEqual(keptSize(self.fd, 1000, InsufficientStorage()), 0)
        self.assertEqual(os.fstat(self.fd).st_size, 0)

    def test_emptiedTold(self):
        """
        The bytes emptied are told as dropped, reason L{DISK_FULL}, once.
        """
        told = []
        keptSize(self.fd, 1000, InsufficientStorage(),
                 lambda *args: told.append(args), b"/r/.ftpkit-partial.a",
                 "alice")
        self.assertEqual(told,
                         [(b"/r/.ftpkit-partial.a", "alice", 1000, DISK_FULL)])

    def test_emptyNotTold(self):
        """
        An upload that received nothing loses nothing: no drop.
        """
        told = []
        keptSize(self.fd, 0, InsufficientStorage(),
                 lambda *args: told.append(args))
        self.assertEqual(told, [])
