"""
C{--realm memory} at its limit of files and directories
(L{ftpkit.shells.memory.MemoryShell.maxEntries}), over real sockets
(ftplib): a C{STOR} replacing a file still succeeds. Since its uploads
were written under a hidden name and renamed over their targets
(L{ftpkit.shells.keptuploads.KeptUploadsShell}), that hidden file needed
room for one more entry, and the replacement got C{552}.
"""

import io

from twisted.trial import unittest

from ftpkit.auth.realms import MemoryRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.shells.memorytree import MIN_ENTRIES
from ftpkit.testing import writeFile
from tests.ftpclient import ftplibLogin, replyCode
from tests.resets import hardClose


class FullMemoryTests(LoopbackServerMixin, unittest.TestCase):
    """
    A memory realm holding as many entries as it may: C{f} and files in
    C{d}.
    """

    def setUp(self):
        self.realm = MemoryRealm(maxBytes=MIN_ENTRIES)
        shell = self.realm.shell
        self.successResultOf(writeFile(shell, ("f",), b"old"))
        self.successResultOf(shell.makeDirectory(("d",)))
        for number in range(MIN_ENTRIES - 2):
            self.successResultOf(writeFile(shell, ("d", str(number)), b""))
        self.assertEqual(shell.entriesHeld, shell.maxEntries)
        self.server = self.startServer(
            self.realm, ServerConfig(loginFailureDelay=0), anonymous=False)

    def read(self, name="f"):
        """
        @return: the bytes of C{name} in the root.
        """
        return self.realm.shell._lookup((name,)).data

    def names(self):
        """
        @return: the names in the root, hidden ones too.
        """
        return sorted(self.realm.shell._root.children)

    def store(self, name, data):
        """
        @return: the reply to C{STOR name} of C{data} (blocking).
        """
        ftp = ftplibLogin(self, self.server.port, binary=True)
        done = replyCode(lambda: ftp.storbinary("STOR " + name,
                                            io.BytesIO(data)))
        ftp.quit()
        return done

    async def test_replacing(self):
        """
        A C{STOR} replacing a file succeeds, and the tree holds no more
        entries than before.
        """
        done = await self.inThread(self.store, "f", b"new bytes")
        self.assertEqual(done, "226")
        self.assertEqual(self.read(), b"new bytes")
        self.assertEqual(self.names(), ["d", "f"])
        self.assertEqual(self.realm.shell.entriesHeld, MIN_ENTRIES)

    async def test_new(self):
        """
        A C{STOR} making a file still gets C{552}, and leaves nothing.
        """
        done = await self.inThread(self.store, "g", b"new bytes")
        self.assertEqual(done, "552")
        self.assertEqual(self.names(), ["d", "f"])
        self.assertEqual(self.realm.shell.entriesHeld, MIN_ENTRIES)

    def cutThenStore(self):
        """
        Cut a C{STOR} replacing C{f}, then store C{f} whole (blocking).

        @return: the cut's reply, and the second C{STOR}'s.
        """
        ftp = ftplibLogin(self, self.server.port, binary=True)
        connection = ftp.transfercmd("STOR f")
        connection.sendall(b"half")
        hardClose(connection)
        cut = replyCode(ftp.voidresp)
        ftp.quit()
        return cut, self.store("f", b"whole")

    async def test_cut(self):
        """
        A cut C{STOR} replacing a file keeps nothing where the tree has no
        room for its partial upload (the old file stays), and the tree
        holds no more entries than before; a C{STOR} then replaces it.
        """
        cut, done = await self.inThread(self.cutThenStore)
        self.assertEqual((cut, done), ("426", "226"))
        self.assertEqual(self.read(), b"whole")
        self.assertEqual(self.names(), ["d", "f"])
        self.assertEqual(self.realm.shell.entriesHeld, MIN_ENTRIES)
