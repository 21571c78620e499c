"""
C{STAT -R path} on L{StringTransport}: the tree on the control connection,
as C{LIST -R} sends it on a data connection, within the same bounds and
within C{STAT}'s own.
"""

from twisted.trial import unittest

from ftpkit.control.handlers import session
from ftpkit.protocol.listingtree import TreeLimits
from ftpkit.shells.memory import MemoryShell
from tests.memorysessions import loggedIn

TREE = {"/d/f": b"", "/d/a/x": b"", "/d/a/b/y": b"", "/top": b""}


def statLines(protocol, transport, argument):
    """
    Send C{STAT argument}.

    @return: the reply's lines, each entry's cut to its name.
    """
    transport.clear()
    protocol.dataReceived(b"STAT " + argument + b"\r\n")
    lines = transport.value().decode().split("\r\n")[:-1]
    return [line.split()[-1] if len(line.split()) > 4 and line[0] in "-d"
            else line for line in lines]


class StatRecursiveTests(unittest.TestCase):
    """
    C{STAT -R} of a directory lists the directories below it too.
    """

    def stat(self, argument, **settings):
        protocol, transport = loggedIn(MemoryShell(TREE), **settings)
        self.addCleanup(protocol.connectionLost, None)
        return statLines(protocol, transport, argument)

    def test_tree(self):
        """
        Each directory's header and entries, a blank line between, in a
        212 reply; C{-lR} alike.
        """
        for argument in [b"-R d", b"-lR d"]:
            self.assertEqual(self.stat(argument), [
                "212-Status of /d:", "d:", "a", "f", "", "d/a:", "b", "x",
                "", "d/a/b:", "y", "212 End of status"])

    def test_current(self):
        """
        Of the current directory: C{.} and below it.
        """
        self.assertEqual(self.stat(b"-R")[:4],
                         ["212-Status of /:", ".:", "d", "top"])

    def test_depth(self):
        """
        The depth allowed cuts it, and its last line says so.
        """
        lines = self.stat(b"-R d", listingTreeLimits=TreeLimits(depth=1))
        self.assertEqual(lines[:-1], [
            "212-Status of /d:", "d:", "a", "f", "", "d/a:", "b", "x"])
        self.assertRegex(lines[-1], "^212 End of status; listing truncated")

    def test_entries(self):
        """
        So do the entries allowed, and C{STAT}'s own limit, the lower.
        """
        lines = self.stat(b"-R d", listingTreeLimits=TreeLimits(entries=3))
        self.assertEqual(lines[:-1], ["212-Status of /d:", "d:", "a", "f",
                                      "", "d/a:", "b"])
        self.assertIn("at most 3 entries", lines[-1])
        self.patch(session, "STAT_LIST_LIMIT", 2)
        lines = self.stat(b"-R d")
        self.assertEqual(lines[:-1], ["212-Status of /d:", "d:", "a", "f"])
        self.assertIn("at most 2 entries", lines[-1])

    def test_notRecursive(self):
        """
        Without C{-R}, with a depth of C{0} and of a file, C{STAT} lists
        as it did (a pattern: test_recursive_listings).
        """
        self.assertEqual(self.stat(b"-l d"), [
            "212-Status of /d:", "a", "f", "212 End of status"])
        self.assertEqual(self.stat(b"-R d",
                                   listingTreeLimits=TreeLimits(depth=0)),
                         ["212-Status of /d:", "a", "f", "212 End of status"])
        self.assertEqual(self.stat(b"-R top"), [
            "213-Status of /top:", "top", "213 End of status"])

    def test_directoryItself(self):
        """
        C{STAT -d} of a directory gives its own line (C{213}, one entry's
        status), as C{ls -d} and Pure-FTPd's C{STAT -d} do, whatever C{-R}
        asks; the current directory's is named C{.}. The directory was
        listed (C{212}).
        """
        self.assertEqual(self.stat(b"-ld d"), [
            "213-Status of /d:", "d", "213 End of status"])
        self.assertEqual(self.stat(b"-dR d/a"), [
            "213-Status of /d/a:", "d/a", "213 End of status"])
        lines = self.stat(b"-d")
        self.assertEqual(lines[1:], [".", "213 End of status"])
        self.assertTrue(lines[0].startswith("213-Status of /"))

    def test_newestFirst(self):
        """
        C{STAT -lt} lists newest first, C{-ltr} oldest first, C{-r} by
        name reversed, as C{ls} does (they were in name order).
        """
        shell = MemoryShell(TREE)
        for path, when in [(("d", "f"), 300), (("d", "a"), 100)]:
            shell.setModificationTime(path, when)
        protocol, transport = loggedIn(shell)
        self.addCleanup(protocol.connectionLost, None)
        self.assertEqual(
            [statLines(protocol, transport, argument)[1:3]
             for argument in [b"-lt d", b"-ltr d", b"-r d", b"-l d"]],
            [["f", "a"], ["a", "f"], ["f", "a"], ["a", "f"]])

    def test_optionsBeforeParent(self):
        """
        Options before a path whose C{..} goes back over its first
        segment (C{-d d/..}) are options: the whole argument is not taken
        as a name written as it is (rclone's C{LIST -dir} of a directory
        C{-dir}) because, its C{-d d} segment dropped by the C{..}, it
        reaches something that exists. It was: C{STAT -d d/..} listed
        C{/}.
        """
        self.assertEqual(self.stat(b"-d d/.."), [
            "213-Status of /:", "d/..", "213 End of status"])
        self.assertEqual(self.stat(b"-ld d/../top"), [
            "213-Status of /top:", "top", "213 End of status"])
        self.assertEqual(self.stat(b"-r d/../d")[:3], [
            "212-Status of /d:", "f", "a"])
