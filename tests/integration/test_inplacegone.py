"""
An upload written in place (C{APPE}, C{REST} + C{STOR}) whose file a
local user (or another server on the same store) removes or replaces
before it ends, over real loopback sockets, on the realms whose files are
on this machine's disk: the disk, C{fsspec:file://} and C{fsspec:sftp://}
(an OpenSSH server on loopback serving the same directory).

No session of the server may do that meanwhile (C{450}:
L{tests.integration.test_attack_workersrename}), but what no session does
is caught at the upload's end: its path no longer names the file it
wrote, and it gets C{450}, not C{226}. On SFTP, which gives no inode, it
was believed: the upload was told C{226} for bytes no name reached.
"""

import os

from twisted.internet import defer
from twisted.trial import unittest

from tests.appending import APPENDED, ORIGINAL, AppendingTestsMixin
from tests.fsspecrealms import LocalMixin, SFTPMixin

RESUME = ["REST 5", "STOR f"]
"""A resume of C{f} from its fifth byte."""


class GoneDuringUploadTestsMixin(AppendingTestsMixin):
    """
    C{f} on the disk, written in place by one session while a local user
    changes it.
    """

    def remove(self):
        """
        Remove C{f} as a local user would.
        """
        os.unlink(self.path)

    def replace(self):
        """
        Rename another file onto C{f} as a local user would.
        """
        self.write("g", b"g")
        os.replace(os.path.join(self.root, "g"), self.path)

    @defer.inlineCallbacks
    def test_removed(self):
        """
        C{f} removed while an C{APPE} writes it: the C{APPE} gets C{450}.
        """
        _, final = yield self.inThread(self.duringAppend, self.remove)
        self.assertEqual(final[:4], "450 ")
        self.assertFalse(self.exists("f"))

    @defer.inlineCallbacks
    def test_replaced(self):
        """
        Another file renamed onto C{f} while an C{APPE} writes it: the
        C{APPE} gets C{450}, and C{f} is the other file.
        """
        _, final = yield self.inThread(self.duringAppend, self.replace)
        self.assertEqual(final[:4], "450 ")
        self.assertEqual(self.read(), b"g")

    @defer.inlineCallbacks
    def test_resumeRemoved(self):
        """
        The same for a resume (C{REST} + C{STOR}).
        """
        _, final = yield self.inThread(self.duringUpload, RESUME,
                                       self.remove)
        self.assertEqual(final[:4], "450 ")

    @defer.inlineCallbacks
    def test_untouched(self):
        """
        Left alone, the C{APPE} gets C{226}, its bytes in C{f}.
        """
        _, final = yield self.inThread(self.duringAppend)
        self.assertEqual(final[:4], "226 ")
        self.assertEqual(self.read(), ORIGINAL + APPENDED)


class DiskGoneTests(GoneDuringUploadTestsMixin, unittest.TestCase):
    """
    On the disk realm.
    """


class LocalGoneTests(LocalMixin, GoneDuringUploadTestsMixin,
                     unittest.TestCase):
    """
    On C{fsspec:file://}.
    """


class SFTPGoneTests(SFTPMixin, GoneDuringUploadTestsMixin,
                    unittest.TestCase):
    """
    On C{fsspec:sftp://}: the upload was told C{226}.
    """

    timeout = 120
