"""
The fourth attack sweep, over real loopback sockets: wildcard patterns
are matched off the reactor thread.

Matching a pattern such as C{*} followed by a hundred and forty C{?} and
a C{b} costs up to a name's length times the pattern's for each name;
over a directory of 20,000 entries one C{STAT} of it kept another
client's C{NOOP} waiting most of a second, and a client sending such
commands back to back kept the whole server that busy.
"""

import os

from twisted.internet import defer
from twisted.python import threadable
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.protocol import globbing
from tests.ftpclient import ftplibLogin
from tests.scratch import scratchDirectory


class PatternThreadTests(LoopbackServerMixin, unittest.TestCase):
    """
    A server on a directory with a few files; every L{globbing.matchNames}
    call is recorded with whether it ran in the reactor thread.
    """

    timeout = 60

    def setUp(self):
        self.root = scratchDirectory(self)
        for name in ("a.txt", "b.txt", "c.bin"):
            with open(os.path.join(self.root, name), "wb") as f:
                f.write(b"x")
        self.server = self.startServer(
            FilesystemRealm(self.root), ServerConfig(loginFailureDelay=0),
            users={"alice": "secret"}, anonymous=False)
        self.inReactor = []
        matchNames = globbing.matchNames

        def recording(pattern, names):
            self.inReactor.append(threadable.isInIOThread())
            return matchNames(pattern, names)

        self.patch(globbing, "matchNames", recording)

    @defer.inlineCallbacks
    def test_matchedInThread(self):
        """
        C{STAT}, C{NLST} and C{LIST} with a pattern each match it in a
        thread, and list what it matches.
        """
        def client():
            ftp = ftplibLogin(self, self.server.port)
            stat = ftp.sendcmd("STAT *.txt")
            names = ftp.nlst("*.txt")
            lines = []
            ftp.retrlines("LIST ?.bin", lines.append)
            ftp.close()
            return stat, names, lines

        stat, names, lines = yield self.inThread(client)
        self.assertIn(" a.txt\n", stat)
        self.assertIn(" b.txt\n", stat)
        self.assertNotIn("c.bin", stat)
        self.assertEqual(names, ["a.txt", "b.txt"])
        self.assertEqual([line.split()[-1] for line in lines], ["c.bin"])
        self.assertEqual(self.inReactor, [False] * 3)
