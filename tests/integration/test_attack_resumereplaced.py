"""
A resumed upload (C{REST} then C{STOR}) whose file another session
replaces, removes or renames before it ends, over real loopback sockets,
on every realm that resumes: the disk, C{fsspec:file://},
C{fsspec:memory://} and the memory realm.

The memory realm stores an upload in one step once it is complete, and
a resume took the file's first bytes from whatever the path held then: a
file a C{STOR} had replaced meanwhile with 10 bytes became those 10
bytes, 80 zero bytes and the resume's, and one C{DELE} had removed came
back as zero bytes and the resume's; both were told C{226}. Now such a
resume gets C{450}, as on the disk.

So does an C{APPE} on the memory realm (the forty-fifth sweep): it
appended to whatever the path held once it was complete, so that one
whose file a C{STOR} had replaced meanwhile put its bytes after the new
file's, one whose file was removed or renamed made a file of its own
bytes alone, and each was told C{226}; the other realms answer C{450}
(L{tests.integration.test_inplacereplaced},
L{tests.integration.test_attack_fsspecinplace}).

A C{DELE} of the file meanwhile gets C{450} now, on every realm: it
went ahead, and the upload got C{450}, its bytes in no file.
"""

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.auth.realms import MemoryRealm
from tests.appending import APPENDED, ORIGINAL, AppendingTestsMixin
from tests.fsspecrealms import LocalMixin, MemoryMixin

RESUME = ["REST 5", "STOR f"]
"""The first session's upload: C{f} continued from its fifth byte."""


class ResumeReplacedTestsMixin(AppendingTestsMixin):
    """
    C{f} resumed from its fifth byte by one session while another changes
    it.

    @cvar upload: the first session's command lines.
    @cvar kept: how many of the file's first bytes the upload keeps.
    """

    upload = RESUME
    kept = 5

    @defer.inlineCallbacks
    def test_replacedByStore(self):
        """
        A C{STOR} replacing the file meanwhile replaces it; the resume,
        which continued the replaced file, gets C{450}.
        """
        replies, final = yield self.inThread(self.duringUpload, self.upload,
                                             "STOR f")
        self.assertEqual(replies[0][:4], "226 ")
        self.assertEqual(final[:4], "450 ")
        self.assertEqual(self.read(), b"B" * 1000)

    @defer.inlineCallbacks
    def test_removed(self):
        """
        A C{DELE} meanwhile gets C{450}, and the upload C{226}, its bytes
        in the file. The C{DELE} removed the file, and the upload got
        C{450} (not bringing it back).
        """
        replies, final = yield self.inThread(self.duringUpload, self.upload,
                                             "DELE f")
        self.assertEqual((replies[0][:4], final[:4]), ("450 ", "226 "))
        self.assertEqual(self.read(), ORIGINAL[:self.kept] + APPENDED)

    @defer.inlineCallbacks
    def test_untouched(self):
        """
        Left alone, the resume gets C{226}: the file's first five bytes,
        then its own.
        """
        replies, final = yield self.inThread(self.duringUpload, self.upload)
        self.assertEqual(final[:4], "226 ")
        self.assertEqual(self.read(), ORIGINAL[:self.kept] + APPENDED)


class DiskResumeReplacedTests(ResumeReplacedTestsMixin, unittest.TestCase):
    """
    On the disk.
    """


class LocalResumeReplacedTests(LocalMixin, ResumeReplacedTestsMixin,
                               unittest.TestCase):
    """
    On C{fsspec:file://}.
    """


class FsspecMemoryResumeReplacedTests(MemoryMixin, ResumeReplacedTestsMixin,
                                      unittest.TestCase):
    """
    On C{fsspec:memory://}.
    """


class MemoryRealmResumeReplacedTests(ResumeReplacedTestsMixin,
                                     unittest.TestCase):
    """
    On the memory realm.
    """

    def setUp(self):
        self.realm = MemoryRealm(maxBytes=None)
        return super().setUp()

    def makeRealm(self):
        """
        @return: the memory realm made first.
        """
        return self.realm

    def write(self, name, data):
        """
        @param name: a file's name in the root.
        @param data: the bytes it is to hold.
        """
        opened = self.successResultOf(
            self.realm.shell.openForWriting((name,)))
        self.successResultOf(opened.writeAt(0, data))
        self.successResultOf(opened.close())

    def exists(self, name):
        """
        @param name: a name in the root.
        @return: whether anything has it.
        """
        return name in self.successResultOf(self.realm.shell.list(()))

    def read(self, name="f"):
        """
        @param name: a file's name in the root.
        @return: its bytes.
        """
        opened = self.successResultOf(self.realm.shell.openForReading(
            (name,)))
        try:
            return self.successResultOf(opened.readAt(0, opened.size))
        finally:
            opened.close()


class MemoryRealmAppendReplacedTests(MemoryRealmResumeReplacedTests):
    """
    On the memory realm, C{f} appended to (C{APPE}) rather than resumed.
    """

    upload = ["APPE f"]
    kept = len(ORIGINAL)

    @defer.inlineCallbacks
    def test_moved(self):
        """
        Its rename gets C{450} while the C{APPE} runs, as on the other
        realms (L{tests.integration.test_inplacereplaced}), and the
        C{APPE} C{226} with every byte in C{f}. The rename went ahead,
        and the C{APPE}, stored once complete, got C{450} with nothing of
        it stored.
        """
        replies, final = yield self.inThread(
            self.duringUpload, self.upload, "RNFR f", "RNTO h")
        self.assertEqual(replies[1][:4], "450 ")
        self.assertEqual(final[:4], "226 ")
        self.assertEqual(self.read(), ORIGINAL + APPENDED)
        self.assertFalse(self.exists("h"))
