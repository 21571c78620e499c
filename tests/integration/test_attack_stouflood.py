"""
A client storing a hundred files of one name, then another client's
C{STOU} of that name (or C{STOU} alone, whose name every client shares).

C{STOU} tried the name, then it followed by C{.1} to C{.99}, and
answered C{450 No unique name available} once all were taken: an
anonymous client of a server with C{--anonymous-write} (which may
upload but never remove) made C{ftpkit.upload} to C{ftpkit.upload.99}
with a hundred empty C{STOU}s, and every later C{STOU} in that
directory got C{450}, for every user, for good. pyftpdlib and ProFTPD
give C{STOU} random names (mkstemp); now ftpkit tries random ones after
C{.99} (L{ftpkit.control.handlers.unique.RANDOM_ATTEMPTS}).
"""

import os
import re

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm, MemoryRealm
from ftpkit.config import ServerConfig
from ftpkit.control.handlers.unique import STOU_ATTEMPTS, UNIQUE_NAME
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.testing import readFile
from tests.attackhelpers import CLIENT_WAIT
from tests.rawclient import RawClient
from tests.scratch import scratchDirectory


class UniqueFloodMixin(LoopbackServerMixin):
    """
    An anonymous flooder and alice, on a server with
    C{--anonymous-write}.
    """

    timeout = 120

    def flood(self, argument):
        """
        Store a hundred files with C{STOU argument} as an anonymous
        client, then C{STOU argument} as alice.

        @return: a Deferred firing with the flooder's last reply and
            alice's C{150} and final replies.
        """
        line = "STOU" if argument is None else "STOU " + argument

        def run():
            flooder = RawClient(self.server.port, timeout=CLIENT_WAIT)
            self.addCleanup(flooder.close)
            flooder.login("anonymous", "x@example.com")
            for _ in range(STOU_ATTEMPTS):
                last = flooder.transfer(line, b"")[-1]
            alice = RawClient(self.server.port, timeout=CLIENT_WAIT)
            self.addCleanup(alice.close)
            alice.login()
            opening, _, final = alice.transfer(line, b"alice's")
            return last, opening, final

        return self.inThread(run)

    async def test_bareSTOU(self):
        """
        C{STOU} alone: alice's upload is stored, under a name of its own.
        """
        last, opening, final = await self.flood(None)
        self.assertEqual((last[:3], opening[:3]), (b"226", b"150"))
        self.assertEqual(final[:3], b"226")
        name = re.match(rb"150 FILE: (\S+)\Z", opening).group(1).decode()
        self.assertRegex(name, r"\A%s\.[0-9a-f]{12}\Z" % UNIQUE_NAME)
        self.assertEqual(await self.stored(name), b"alice's")

    async def test_namedSTOU(self):
        """
        C{STOU report.pdf}: the same.
        """
        last, opening, final = await self.flood("report.pdf")
        self.assertEqual((last[:3], opening[:3]), (b"226", b"150"))
        self.assertEqual(final[:3], b"226")
        name = re.match(rb"150 FILE: (\S+)\Z", opening).group(1).decode()
        self.assertRegex(name, r"\Areport\.pdf\.[0-9a-f]{12}\Z")
        self.assertEqual(await self.stored(name), b"alice's")


class DiskFloodTests(UniqueFloodMixin, unittest.TestCase):
    """
    The disk realm.
    """

    def setUp(self):
        self.root = scratchDirectory(self)
        self.server = self.startServer(
            FilesystemRealm(self.root, anonymousWrite=True),
            ServerConfig(anonymousWrite=True, loginFailureDelay=0))

    def stored(self, name):
        """
        @param name: a file of the root.
        @return: a Deferred firing with its bytes.
        """
        with open(os.path.join(self.root, name), "rb") as f:
            return defer.succeed(f.read())


class MemoryFloodTests(UniqueFloodMixin, unittest.TestCase):
    """
    The memory realm.
    """

    def setUp(self):
        self.realm = MemoryRealm(anonymousWrite=True)
        self.server = self.startServer(
            self.realm, ServerConfig(anonymousWrite=True, loginFailureDelay=0))

    def stored(self, name):
        """
        @param name: a file of the root.
        @return: a Deferred firing with its bytes.
        """
        return readFile(self.realm.shell, (name,))
