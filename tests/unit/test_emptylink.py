"""
Tests for L{ftpkit.shells.emptylink} and the way
L{ftpkit.shells.anonymousfiles.linkAnonymous} names a file with no name.
"""

import errno
import os

from twisted.trial import unittest

from ftpkit.shells import anonymousfiles, emptylink
from tests.scratch import scratchDirectory


class EmptyPathTests(unittest.TestCase):
    """
    A file with no name (C{O_TMPFILE}) named through its descriptor alone,
    or through its C{/proc} link where that is refused.
    """

    def setUp(self):
        self.root = os.fsencode(scratchDirectory(self))
        made = anonymousfiles.createAnonymous(self.path(b"probe"))
        if made is None:
            raise unittest.SkipTest("no O_TMPFILE here")
        self.fd = made[0]
        for fd in made:
            self.addCleanup(os.close, fd)
        os.write(self.fd, b"data")
        self.patch(anonymousfiles, "_emptyPathWorks", None)

    def path(self, name):
        """
        @return: the local path of C{name} in the scratch directory.
        """
        return os.path.join(self.root, name)

    def content(self, name):
        """
        @return: the bytes of the file C{name}.
        """
        with open(self.path(name), "rb") as f:
            return f.read()

    def test_linked(self):
        """
        L{emptylink.linkEmptyPath} names the file, where Linux allows it.
        """
        if not emptylink.linkEmptyPath(self.fd, self.path(b"f")):
            raise unittest.SkipTest("AT_EMPTY_PATH refused here")
        self.assertEqual(self.content(b"f"), b"data")

    def test_exists(self):
        """
        A name taken already fails with C{FileExistsError}, both ways, and
        the file there stays.
        """
        with open(self.path(b"f"), "wb") as f:
            f.write(b"old")
        self.assertRaises(FileExistsError, anonymousfiles.linkAnonymous, self.fd,
                          self.path(b"f"))
        self.patch(anonymousfiles, "_emptyPathWorks", False)
        self.assertRaises(FileExistsError, anonymousfiles.linkAnonymous, self.fd,
                          self.path(b"f"))
        self.assertEqual(self.content(b"f"), b"old")

    def test_noProcLookup(self):
        """
        Where the descriptor alone names the file, C{/proc} is not used
        (C{os.link} of the descriptor's link is not called).
        """
        if not emptylink.linkEmptyPath(self.fd, self.path(b"probe2")):
            raise unittest.SkipTest("AT_EMPTY_PATH refused here")
        links = []
        self.patch(os, "link", lambda *a, **k: links.append(a))
        anonymousfiles.linkAnonymous(self.fd, self.path(b"f"))
        self.assertEqual((links, self.content(b"f")), ([], b"data"))
        self.assertIs(anonymousfiles._emptyPathWorks, True)

    def test_refusedThenProc(self):
        """
        Where the descriptor alone is refused (a kernel before 6.10
        without C{CAP_DAC_READ_SEARCH}), the file is named through
        C{/proc}, and that way alone is used from then on.
        """
        tries = []

        def refused(fd, path, directory):
            tries.append(path)
            return False
        self.patch(anonymousfiles, "linkEmptyPath", refused)
        anonymousfiles.linkAnonymous(self.fd, self.path(b"f"))
        anonymousfiles.linkAnonymous(self.fd, self.path(b"g"))
        self.assertEqual(tries, [self.path(b"f")])
        self.assertIs(anonymousfiles._emptyPathWorks, False)
        self.assertEqual(self.content(b"g"), b"data")

    def test_refusedAndGone(self):
        """
        A refusal that the C{/proc} way meets too (the directory is gone)
        is the link's error, and says nothing of the first way.
        """
        self.patch(anonymousfiles, "linkEmptyPath", lambda fd, path, directory: False)
        error = self.assertRaises(OSError, anonymousfiles.linkAnonymous, self.fd,
                                  self.path(b"gone/f"))
        self.assertEqual(error.errno, errno.ENOENT)
        self.assertIs(anonymousfiles._emptyPathWorks, None)

    def test_otherErrorRaised(self):
        """
        An error that does not mean "not allowed here" is raised as the
        C{OSError} it is.
        """
        self.patch(emptylink, "_linkat", lambda *args: -1)
        self.patch(emptylink.ctypes, "get_errno", lambda: errno.ENOSPC)
        error = self.assertRaises(OSError, emptylink.linkEmptyPath, self.fd,
                                  self.path(b"f"))
        self.assertEqual((error.errno, error.filename),
                         (errno.ENOSPC, self.path(b"f")))

    def test_textRefused(self):
        """
        A name that is not C{bytes} is a C{TypeError} (through C{ctypes} a
        C{str} would be a wide string), and nothing is linked.
        """
        if emptylink._linkat is None:
            raise unittest.SkipTest("no linkat here")
        self.assertRaises(TypeError, emptylink.linkEmptyPath, self.fd,
                          os.fsdecode(self.path(b"f")))
        self.assertFalse(os.path.exists(self.path(b"f")))

    def test_noLinkat(self):
        """
        Without a C{linkat} to call, nothing is done.
        """
        self.patch(emptylink, "_linkat", None)
        self.assertFalse(emptylink.linkEmptyPath(self.fd, self.path(b"f")))
        self.assertFalse(os.path.exists(self.path(b"f")))
