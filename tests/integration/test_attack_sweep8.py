"""
The eighth attack sweep, over real loopback sockets.

A name holding a character that Python's C{str.splitlines} takes for a
line break though FTP does not (VT, FF, the C0 separators 0x1c to 0x1e,
NEL, U+2028, U+2029) broke its C{STAT} listing line in two: what followed
it became a line of its own, so a file named C{"x\\x0b-rw-r--r-- 1 u g 9
Jan 1 00:00 forged"} showed a C{STAT} client an entry that does not
exist. C{LIST}, C{NLST} and C{MLSD} kept such a name on its line.
"""

import os

from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from tests.ftpclient import ftplibLogin
from tests.scratch import scratchDirectory

FORGED = "-rw-r--r--   1 u        g               9 Jan  1 00:00 forged"
"""A listing line, as a name's tail would forge it."""

BREAKS = ["\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028",
          "\u2029"]
"""What C{str.splitlines} breaks a line at, beside CR and LF."""


class StatNamesTests(LoopbackServerMixin, unittest.TestCase):
    """
    C{STAT} of a directory whose names hold characters other line
    splitters break at.
    """

    timeout = 60

    def setUp(self):
        self.root = scratchDirectory(self)
        for index, mark in enumerate(BREAKS):
            name = "%d%s%s" % (index, mark, FORGED)
            with open(os.path.join(self.root, name), "wb"):
                pass
        self.server = self.startServer(FilesystemRealm(self.root),
                                       ServerConfig())

    async def test_oneLineAName(self):
        """
        Each name is on one line of C{STAT}'s reply, whole: no line
        of the reply is a forged entry.
        """
        def run():
            ftp = ftplibLogin(self, self.server.port)
            try:
                return ftp.sendcmd("STAT .")
            finally:
                ftp.close()
        reply = await self.inThread(run)
        entries = reply.split("\n")[1:-1]
        self.assertEqual(
            sorted(line.split(None, 8)[-1] for line in entries),
            sorted("%d%s%s" % (index, mark, FORGED)
                   for index, mark in enumerate(BREAKS)))
