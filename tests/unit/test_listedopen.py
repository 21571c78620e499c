"""
L{findListed} of a streamed listing (C{LIST}, C{NLST}, C{STAT}) opens a
path's listing before it stats the path: a directory costs the shell one
call; what is no directory is then stat'ed, and every answer is what it
was when the C{stat} came first, with the open never made twice.
"""

from twisted.internet import defer
from twisted.trial.unittest import SynchronousTestCase

from ftpkit.errors import NoSuchFile, PermissionDenied
from ftpkit.shells.memory import MemoryShell
from tests.unit.test_globbing import listed


class CallingShell(MemoryShell):
    """
    A memory shell that records the calls of C{stat} and C{openListing},
    and whose listing of C{/locked} is refused.

    @ivar calls: C{(method name, path)} of each call, in order.
    """

    def __init__(self):
        MemoryShell.__init__(self, {"/d/a.txt": b"a", "/f.txt": b"12345",
                                    "/locked/x.txt": b"x"})
        self.calls = []

    def stat(self, path):
        """
        Record the call; see L{MemoryShell.stat}.
        """
        self.calls.append(("stat", path))
        return MemoryShell.stat(self, path)

    def openListing(self, path):
        """
        Record the call; see L{MemoryShell.openListing}; C{/locked} refused.
        """
        self.calls.append(("openListing", path))
        if path == ("locked",):
            return defer.fail(PermissionDenied("locked away"))
        return MemoryShell.openListing(self, path)


class OpenFirstTests(SynchronousTestCase):
    """
    What L{findListed} asks the shell, and what it answers, when it opens
    the listing first.
    """

    def setUp(self):
        self.shell = CallingShell()

    def test_directoryOneCall(self):
        """
        A directory is opened and nothing else: no C{stat}.
        """
        for namesOnly in (False, True):
            del self.shell.calls[:]
            result = listed(self.shell, "d", namesOnly=namesOnly,
                            streamed=True)
            self.assertTrue(result.isDirectory)
            self.assertEqual(result.path, ("d",))
            self.assertEqual(self.shell.calls, [("openListing", ("d",))])
            result.entries.close()

    def test_fileStatAfterOpen(self):
        """
        A file: the open fails, the C{stat} that follows describes it.
        """
        result = listed(self.shell, "f.txt", streamed=True)
        self.assertFalse(result.isDirectory)
        [(name, info)] = result.entries
        self.assertEqual((name, info.size), ("f.txt", 5))
        self.assertEqual(self.shell.calls, [("openListing", ("f.txt",)),
                                            ("stat", ("f.txt",))])

    def test_missing(self):
        """
        Nothing there: L{NoSuchFile}, as the C{stat} says.
        """
        self.assertRaises(NoSuchFile, listed, self.shell, "gone",
                          streamed=True)

    def test_refusedOpenOnce(self):
        """
        A directory whose open is refused: the refusal, the open made once
        (the C{stat} only told it is a directory; it was opened again, a
        plugin's broken open logged twice).
        """
        error = self.assertRaises(PermissionDenied, listed, self.shell,
                                  "locked", streamed=True)
        self.assertEqual(error.message, "locked away")
        self.assertEqual(self.shell.calls, [("openListing", ("locked",)),
                                            ("stat", ("locked",))])

    def test_notStreamedStatFirst(self):
        """
        Without C{streamed}, the C{stat} comes first, as before.
        """
        listed(self.shell, "d")
        self.assertEqual(self.shell.calls[0], ("stat", ("d",)))

    def test_patternNotOpened(self):
        """
        A pattern is never opened as a directory's name.
        """
        result = listed(self.shell, "*.txt", streamed=True)
        self.assertEqual(self.shell.calls[0], ("stat", ("*.txt",)))
        self.assertNotIn(("openListing", ("*.txt",)), self.shell.calls)
        result.entries.close()
