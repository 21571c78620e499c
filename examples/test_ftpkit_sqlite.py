"""
Tests for the SQLite storage example: ftpkit's conformance kit run
against it, and a real server around it driven by ftplib, as a storage
plugin's own tests do (C{python -m twisted.trial test_ftpkit_sqlite},
with this directory on C{sys.path}).
"""

import ftplib
import io

from ftpkit_sqlite import SQLiteShell
from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.loopback import LoopbackServerMixin
from ftpkit.realms import SharedShellRealm
from ftpkit.testing import IFTPShellConformanceMixin


class SQLiteShellConformanceTests(IFTPShellConformanceMixin,
                                  unittest.TestCase):
    """
    L{SQLiteShell} passes the conformance kit.
    """

    def makeShell(self):
        """
        @return: a L{SQLiteShell} on a new database file.
        """
        shell = SQLiteShell(self.mktemp())
        self.addCleanup(shell.pool.stop)
        return shell

    def settle(self):
        """
        Wait for the shell's thread, then let the reactor run a moment.
        """
        settling = self.shell.pool.run(lambda: None)
        settling.addCallback(
            lambda ignored: IFTPShellConformanceMixin.settle(self))
        return settling


class SQLiteRootTests(unittest.TestCase):
    """
    The root directory of a new database.
    """

    @defer.inlineCallbacks
    def test_noTimeKnown(self):
        """
        The root row keeps no time (C{None}: C{MLSD} leaves its C{modify}
        fact out), not the epoch that showed it made in 1970.
        """
        shell = SQLiteShell(self.mktemp())
        self.addCleanup(shell.pool.stop)
        info = yield shell.stat(())
        self.assertIsNone(info.mtime)


class SQLiteServerTests(LoopbackServerMixin, unittest.TestCase):
    """
    A real server on loopback serves L{SQLiteShell} to ftplib.
    """

    @defer.inlineCallbacks
    def test_uploadDownload(self):
        """
        A file uploaded over FTP downloads again and is in the database.
        """
        shell = SQLiteShell(self.mktemp())
        self.addCleanup(shell.pool.stop)
        server = self.startServer(SharedShellRealm(shell), anonymous=False,
                                  users={"alice": "secret"})

        def client():
            ftp = ftplib.FTP()
            try:
                ftp.connect("127.0.0.1", server.port, timeout=30)
                ftp.login("alice", "secret")
                ftp.storbinary("STOR notes.txt", io.BytesIO(b"hello"))
                chunks = []
                ftp.retrbinary("RETR notes.txt", chunks.append)
                ftp.quit()
            finally:
                ftp.close()
            return b"".join(chunks)

        data = yield self.inThread(client)
        self.assertEqual(data, b"hello")
        info = yield shell.stat(("notes.txt",))
        self.assertEqual(info.size, 5)
