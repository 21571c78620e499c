"""
Tests for L{ftpkit.auth.reloadingfile.ReloadingFile}: what a reload
parses again.
"""

from twisted.logger import Logger
from twisted.trial import unittest

from ftpkit.auth.reloadingfile import ReloadingFile, readRegularFile


class SameContentTests(unittest.TestCase):
    """
    A reload finding the bytes the users were parsed from parses nothing
    again (the parse of a large users file held the server at each
    C{SIGHUP}, a certificate's renewal included); one finding other bytes
    parses them.
    """

    def setUp(self):
        self.path = self.mktemp()
        self.write(b"alice\n")
        self.parsed = []
        self.events = []

        def parse(content, path):
            self.parsed.append(content)
            return {name: path for name in content.split()}

        self.file = ReloadingFile(self.path, readRegularFile, parse,
                                  Logger(observer=self.events.append))

    def write(self, content):
        """
        @param content: what the file is to hold, C{bytes}.
        """
        with open(self.path, "wb") as f:
            f.write(content)

    def test_sameBytesNotParsed(self):
        """
        The same bytes: the users stay, and the reload is said as one.
        """
        users = self.file.users
        self.assertTrue(self.file.reload())
        self.assertIs(self.file.users, users)
        self.assertEqual(self.parsed, [b"alice\n"])
        self.assertEqual([e["count"] for e in self.events if "count" in e],
                         [1])

    def test_otherBytesParsed(self):
        """
        Other bytes are parsed, and are the users.
        """
        self.write(b"alice\nbob\n")
        self.assertTrue(self.file.reload())
        self.assertEqual(sorted(self.file.users), [b"alice", b"bob"])
        self.assertEqual(self.parsed, [b"alice\n", b"alice\nbob\n"])
        self.write(b"alice\n")
        self.file.refresh()
        self.assertEqual(sorted(self.file.users), [b"alice"])
