"""
Tests for cut uploads overtaken by another upload of the same target
(L{ftpkit.shells.uploads.keepPartial}'s C{targetWas}): a client that cuts
its upload and starts it again on another connection, as lftp's parallel
mirror does when it takes a connection over, can see the second finish
before the server saw the first one's cut. The cut one then keeps nothing:
kept, it was a partial upload newer than the complete file, whose
resumer's C{SIZE} answered the cut upload's size.
"""

import os

from twisted.internet.defer import inlineCallbacks
from twisted.python.filepath import FilePath
from twisted.trial import unittest

from ftpkit.shells import uploads
from ftpkit.shells.filesystem import FilesystemShell
from tests.scratch import scratchDirectory


class OvertakenUploadTests(unittest.TestCase):
    """
    A cut upload keeps a partial upload only if its target is still the
    file (or the absence of one) it began on.
    """

    def setUp(self):
        self.root = os.fsencode(scratchDirectory(self))
        self.shell = FilesystemShell(self.root)

    def path(self, name):
        """
        @return: the local path of C{name} in the root.
        """
        return os.path.join(self.root, name)

    @inlineCallbacks
    def upload(self, name, data, offset=0):
        """
        Open C{name} for writing from C{offset} and write C{data} into it.

        @return: a L{Deferred} with the open file, not closed.
        """
        opened = yield self.shell.openForWriting((name,), offset)
        consumer = yield opened.receive()
        consumer.write(data)
        yield consumer.drain()
        return opened

    @inlineCallbacks
    def assertOvertaken(self, name, offset=0):
        """
        Upload C{name} from C{offset}, complete a second upload of it
        meanwhile, then cut the first: the second's file stays, alone.
        """
        cut = yield self.upload(name, b"first half", offset)
        whole = yield self.upload(name, b"the whole file")
        yield whole.close()
        yield cut.abort()
        self.assertEqual(sorted(os.listdir(self.root)), [name.encode()])
        self.assertEqual(FilePath(self.path(name.encode())).getContent(),
                         b"the whole file")
        self.assertEqual((yield self.shell.resumableSize((name,))), None)

    def test_newFileOvertaken(self):
        """
        The upload of a file that did not exist, cut after another upload
        created it, keeps nothing.
        """
        return self.assertOvertaken("f")

    def test_replacingOvertaken(self):
        """
        An upload replacing a file, cut after another upload replaced it,
        keeps nothing.
        """
        FilePath(self.path(b"f")).setContent(b"old")
        return self.assertOvertaken("f")

    @inlineCallbacks
    def test_resumeOvertaken(self):
        """
        A resumed partial upload, cut again after another upload completed
        the target from the start, is not kept again.
        """
        first = yield self.upload("f", b"first")
        yield first.abort()
        self.assertEqual((yield self.shell.resumableSize(("f",))), 5)
        yield self.assertOvertaken("f", 5)

    @inlineCallbacks
    def test_replacingUnchangedKept(self):
        """
        An upload replacing a file nobody changed meanwhile is kept as its
        partial upload when cut.
        """
        FilePath(self.path(b"f")).setContent(b"old")
        cut = yield self.upload("f", b"first half")
        yield cut.abort()
        self.assertEqual((yield self.shell.resumableSize(("f",))), 10)
        self.assertEqual(
            FilePath(self.path(uploads.PARTIAL_PREFIX + b"f")).getContent(),
            b"first half")
