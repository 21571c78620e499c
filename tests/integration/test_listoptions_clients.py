"""
The C{ls} options real clients pass through to C{LIST}, against C{python
-m ftpkit} in a child process: C{-d} (lftp's C{ls -ld dir}, C{curl -X
"LIST -d dir"}), which shows a directory's own line, as ProFTPD and
Pure-FTPd do, rather than its entries.
"""

import os

from twisted.trial import unittest

from tests.clientmatrix import CURL, LFTP, ClientServerMixin


class DirectoryOptionTests(ClientServerMixin, unittest.TestCase):
    """
    C{LIST -d} of a directory: one line, the directory's.
    """

    def setUp(self):
        ClientServerMixin.setUp(self)
        os.makedirs(os.path.join(self.root, "sub", "inner"))
        with open(os.path.join(self.root, "sub", "file.txt"), "wb") as f:
            f.write(b"x")
        self.serve()

    def assertDirectoryLine(self, output, name):
        """
        Assert that a client's output is one C{ls -l} line: a directory's,
        named C{name}.
        """
        lines = output.decode().splitlines()
        self.assertEqual(len(lines), 1, lines)
        self.assertTrue(lines[0].startswith("d"), lines)
        self.assertEqual(lines[0].split()[-1], name)

    def test_lftp(self):
        """
        lftp's C{ls -ld sub} sends C{LIST -ld sub}: the line of C{sub}
        (it printed C{sub}'s entries, C{file.txt} and C{inner}).
        """
        if LFTP is None:
            raise unittest.SkipTest("lftp is not installed")
        self.assertDirectoryLine(self.lftp("ls -ld sub").stdout, "sub")
        self.assertDirectoryLine(self.lftp("cd sub; ls -lad inner").stdout,
                                 "inner")

    def test_curl(self):
        """
        curl's C{-X "LIST -d sub"} gets the line of C{sub}; C{-X "LIST -d"}
        the current directory's, named C{.}.
        """
        if CURL is None:
            raise unittest.SkipTest("curl is not installed")
        self.assertDirectoryLine(
            self.curl("-X", "LIST -d sub", "{url}").stdout, "sub")
        self.assertDirectoryLine(
            self.curl("-X", "LIST -d", "{url}sub/").stdout, ".")
        # GNOME's and MATE's ftp: method, for one entry's details.
        self.assertDirectoryLine(
            self.curl("-X", "LIST -ldL /sub", "{url}").stdout, "/sub")

    def test_ftplib(self):
        """
        Python's ftplib: C{dir("-ld sub")} prints C{sub}'s line; a plain
        C{LIST sub} still lists its entries.
        """
        client = self.ftplib()
        lines = []
        client.retrlines("LIST -ld sub", lines.append)
        self.assertDirectoryLine("\n".join(lines).encode(), "sub")
        lines = []
        client.retrlines("LIST sub", lines.append)
        self.assertEqual(sorted(line.split()[-1] for line in lines),
                         ["file.txt", "inner"])
        client.quit()


class TimeOrderTests(ClientServerMixin, unittest.TestCase):
    """
    C{LIST -t} and C{LIST -r}: newest first, and reversed, as C{ls} does.
    """

    def setUp(self):
        ClientServerMixin.setUp(self)
        for name, when in [("old.txt", 1000000000), ("new.txt", 1600000000),
                           ("mid.txt", 1300000000)]:
            path = os.path.join(self.root, name)
            open(path, "wb").close()
            os.utime(path, (when, when))
        self.serve()

    def names(self, output):
        """
        @return: the names of a client's C{ls -l} lines, in order.
        """
        return [line.split()[-1] for line in output.decode().splitlines()]

    def test_lftp(self):
        """
        lftp's C{ls -lt}, which users type to find the newest file, sends
        C{LIST -lt}: newest first (it listed by name); C{ls -ltr} oldest
        first.
        """
        if LFTP is None:
            raise unittest.SkipTest("lftp is not installed")
        self.assertEqual(self.names(self.lftp("ls -lt").stdout),
                         ["new.txt", "mid.txt", "old.txt"])
        self.assertEqual(self.names(self.lftp("ls -ltr").stdout),
                         ["old.txt", "mid.txt", "new.txt"])

    def test_curl(self):
        """
        curl's C{-X "LIST -r"}: by name, reversed.
        """
        if CURL is None:
            raise unittest.SkipTest("curl is not installed")
        self.assertEqual(
            self.names(self.curl("-X", "LIST -r", "{url}").stdout),
            ["old.txt", "new.txt", "mid.txt"])
