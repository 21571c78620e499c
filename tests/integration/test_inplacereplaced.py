"""
An upload written in place (C{APPE}) whose file another session replaces,
removes or moves before it ends, over real loopback sockets.

Since an upload written in place holds its file (a second one gets
C{450 File busy}), a C{STOR} replacing the file (written to a file of its
own, then renamed over the target) still went ahead meanwhile: the
C{APPE}'s bytes went into the file it replaced, which no name reached any
more, and the C{APPE} was told C{226}. Now an upload written in place
checks at its end that its path still names the file it wrote, and gets
C{450} otherwise; the replacing upload costs nothing more. A rename of
the file itself is refused (C{450}) while the upload runs: the file took
the upload's bytes along, and a client told "try again" stored them twice.
So are C{DELE} of it and C{RNTO} of another file onto it, which left the
upload's bytes in a file no name reached, the upload told C{450}. One
another program cut or wrote to meanwhile (a local user's) does not hold
the bytes it had followed by the client's: the upload gets C{450} too
(it got C{226}).
"""

import os

from twisted.internet import defer
from twisted.trial import unittest

from tests.appending import APPENDED, ORIGINAL, AppendingTestsMixin


class ReplacedDuringAppendTests(AppendingTestsMixin, unittest.TestCase):
    """
    C{f} on the disk, appended to by one session while another changes it.
    """

    @defer.inlineCallbacks
    def test_replacedByStore(self):
        """
        A C{STOR} replacing the file while an C{APPE} runs replaces it;
        the C{APPE}, whose bytes went into the replaced file, gets C{450}
        (it got C{226}).
        """
        replies, final = yield self.inThread(self.duringAppend, "STOR f")
        self.assertEqual(replies[0][:4], "226 ")
        self.assertEqual(final[:4], "450 ")
        self.assertIn("replaced", final)
        self.assertEqual(self.read(), b"B" * 1000)

    @defer.inlineCallbacks
    def test_replacedByRename(self):
        """
        C{RNTO} of another file onto it gets C{450} while the C{APPE}
        runs, and the C{APPE} C{226} with every byte in C{f}. The rename
        replaced it, and the C{APPE}, its bytes in a file no name
        reached, got C{450}.
        """
        self.write("g", b"g")
        replies, final = yield self.inThread(
            self.duringAppend, "RNFR g", "RNTO f")
        self.assertEqual((replies[1][:4], final[:4]), ("450 ", "226 "))
        self.assertEqual(self.read(), ORIGINAL + APPENDED)
        self.assertEqual(self.read("g"), b"g")

    @defer.inlineCallbacks
    def test_removed(self):
        """
        C{DELE} of it gets C{450} while the C{APPE} runs, and the C{APPE}
        C{226} with every byte in C{f}. C{DELE} removed it, and the
        C{APPE}, its bytes in a file with no name, got C{450}.
        """
        replies, final = yield self.inThread(self.duringAppend, "DELE f")
        self.assertEqual((replies[0][:4], final[:4]), ("450 ", "226 "))
        self.assertEqual(self.read(), ORIGINAL + APPENDED)

    @defer.inlineCallbacks
    def test_moved(self):
        """
        Its rename gets C{450} while the C{APPE} runs, and the C{APPE}
        C{226} with every byte in C{f}. The file was renamed, and the
        C{APPE}, every byte written into it under its new name, got
        C{450} "try again": a client retrying appended twice.
        """
        replies, final = yield self.inThread(
            self.duringAppend, "RNFR f", "RNTO h")
        self.assertEqual(replies[1][:4], "450 ")
        self.assertEqual(final[:4], "226 ")
        self.assertEqual(self.read(), ORIGINAL + APPENDED)
        self.assertFalse(self.exists("h"))

    @defer.inlineCallbacks
    def test_untouched(self):
        """
        Left alone, the C{APPE} gets C{226} with its bytes in C{f}.
        """
        replies, final = yield self.inThread(self.duringAppend)
        self.assertEqual(final[:4], "226 ")
        self.assertEqual(self.read(), ORIGINAL + APPENDED)


class ChangedByLocalUserTests(AppendingTestsMixin, unittest.TestCase):
    """
    C{f} on the disk, appended to by one session while another program
    (a local user's) changes it, which no session can stop.
    """

    @defer.inlineCallbacks
    def test_cutByLocalUser(self):
        """
        A local user's program cutting the file while the C{APPE} runs
        (C{truncate}) leaves it without its bytes from before, or some of
        the appended ones: the C{APPE} gets C{450} saying so, and the file
        is left as it is (C{O_APPEND} put the rest at its new end). It
        got C{226}.
        """
        def cut():
            os.truncate(self.path, 0)
            return "cut"
        replies, final = yield self.inThread(self.duringAppend, cut)
        self.assertEqual(final[:4], "450 ", final)
        self.assertIn("changed by another program", final)
        self.assertTrue(self.read().endswith(APPENDED[1000:]))

    @defer.inlineCallbacks
    def test_writtenByLocalUser(self):
        """
        A local user's program appending to the file too while the
        C{APPE} runs mixes its bytes with the client's: C{450} as well.
        """
        def write():
            with open(self.path, "ab") as f:
                f.write(b"local")
            return "written"
        replies, final = yield self.inThread(self.duringAppend, write)
        self.assertEqual(final[:4], "450 ", final)
        self.assertIn(b"local", self.read())

    @defer.inlineCallbacks
    def test_resumeCutBelowOffset(self):
        """
        A local user's program cutting the file below the offset of a
        C{REST 5} and C{STOR} while it runs left zeros before the
        upload's bytes, which kept the length the client expects: the
        upload gets C{450}. It got C{226}.
        """
        def cut():
            os.truncate(self.path, 2)
            return "cut"
        replies, final = yield self.inThread(
            self.duringUpload, ["REST 5", "STOR f"], cut)
        self.assertEqual(final[:4], "450 ", final)
        self.assertIn("changed by another program", final)

    @defer.inlineCallbacks
    def test_resumeCutFarBelowOffset(self):
        """
        So does one cutting it far below the offset, every byte before
        the upload's a zero or a hole by then.
        """
        self.write("f", b"x" * 300000)

        def cut():
            os.truncate(self.path, 0)
            return "cut"
        replies, final = yield self.inThread(
            self.duringUpload, ["REST 200000", "STOR f"], cut)
        self.assertEqual(final[:4], "450 ", final)
