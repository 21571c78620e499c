"""
C{MFMT} on a directory, on L{StringTransport}: it sets the directory's
time, as ProFTPD 1.3.8 and Pure-FTPd 1.0.50 do, under the same access
rules as a file's; it answered C{550 Is a directory}. A directory whose
time the storage does not keep is refused saying so.
"""

from twisted.trial import unittest

from ftpkit.shells.memory import MemoryShell
from tests.memorysessions import loggedIn, repliesTo
from tests.protocol.test_siteutime import FEB_24_2004
from tests.protocol.test_unknowntimes import TimelessShell


class DirectoryTimeTests(unittest.TestCase):
    """
    C{MFMT} on a L{MemoryShell} of C{/d/e/g.txt}.
    """

    def setUp(self):
        self.shell = MemoryShell({"/d/e/g.txt": b"z"})

    def mtime(self, *path):
        return self.successResultOf(self.shell.stat(path)).mtime

    def test_set(self):
        """
        A directory named as a name, as C{name/} and as C{.} (the current
        one): C{213} with the time it then has, and that time kept. The
        root's is not set (C{550}, as for its mode: it is every user's).
        """
        root = self.mtime()
        protocol, transport = loggedIn(self.shell)
        replies = repliesTo(
            protocol, transport, b"MFMT 20040224083600 d",
            b"MFMT 20040224083601 d/e/", b"CWD d", b"MFMT 20040224083602 .",
            b"MFMT 20040224083603 /")
        self.assertEqual(replies, [
            b"213 Modify=20040224083600; /d\r\n",
            b"213 Modify=20040224083601; /d/e\r\n",
            b"250 Directory changed to /d\r\n",
            b"213 Modify=20040224083602; /d\r\n",
            b"550 The root's modification time cannot be changed\r\n"])
        self.assertEqual(
            [self.mtime("d"), self.mtime("d", "e"), self.mtime()],
            [FEB_24_2004 + 2, FEB_24_2004 + 1, root])

    def test_readOnly(self):
        """
        Under C{--read-only} a directory's time is refused as a file's is
        (C{MFMT} changes: the command table's access class).
        """
        before = self.mtime("d")
        protocol, transport = loggedIn(self.shell, readOnly=True)
        [reply] = repliesTo(protocol, transport, b"MFMT 20040224083600 d")
        self.assertEqual(reply[:4], b"550 ")
        self.assertEqual(self.mtime("d"), before)

    def test_notKept(self):
        """
        A directory the storage gives no time (a directory of
        C{fsspec:memory://}, an object store's prefix) gets C{550} saying
        so, and nothing is asked of the shell; a file there is still set.
        """
        shell = TimelessShell({"/d/g.txt": b"z"})
        protocol, transport = loggedIn(shell)
        before = self.successResultOf(MemoryShell.stat(shell, ("d",))).mtime
        directory, file = repliesTo(
            protocol, transport, b"MFMT 20040224083600 d",
            b"MFMT 20040224083600 d/g.txt")
        self.assertEqual(
            directory, b"550 This storage keeps no time for directories\r\n")
        self.assertEqual(file, b"213 Modify=20040224083600; /d/g.txt\r\n")
        self.assertEqual(
            self.successResultOf(MemoryShell.stat(shell, ("d",))).mtime,
            before)
