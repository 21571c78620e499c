"""
Tests for the zip storage example: ftpkit's read-only conformance kit run
against it, and a real server around it driven by ftplib
(C{python -m twisted.trial test_ftpkit_zip}, with this directory on
C{sys.path}).
"""

import ftplib
import io
import zipfile

from ftpkit_zip import ZipShell
from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.loopback import LoopbackServerMixin
from ftpkit.realms import SharedShellRealm
from ftpkit.testing import IReadOnlyShellConformanceMixin


def writeZip(path, files):
    """
    Write a zip archive.

    @param path: where.
    @param files: a C{dict} from paths (tuples of segments) to bytes.
    @return: C{path}.
    """
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for segments, data in files.items():
            archive.writestr("/".join(segments), data)
    return path


class ZipShellConformanceTests(IReadOnlyShellConformanceMixin,
                               unittest.TestCase):
    """
    L{ZipShell} passes the read-only conformance kit.
    """

    def makeShell(self, files):
        """
        @param files: the files to serve.
        @return: a L{ZipShell} on a new archive holding them.
        """
        shell = ZipShell(writeZip(self.mktemp(), files))
        self.addCleanup(shell.pool.stop)
        return shell

    def settle(self):
        """
        Wait for the shell's thread, then let the reactor run a moment.
        """
        settling = self.shell.pool.run(lambda: None)
        settling.addCallback(
            lambda ignored: IReadOnlyShellConformanceMixin.settle(self))
        return settling


class ZipServerTests(LoopbackServerMixin, unittest.TestCase):
    """
    A real server on loopback serves L{ZipShell} to ftplib.
    """

    @defer.inlineCallbacks
    def test_download(self):
        """
        A file of the archive downloads whole and from an offset
        (C{REST}); an upload is refused with C{550}.
        """
        data = bytes(range(256)) * 1000
        shell = ZipShell(writeZip(self.mktemp(), {("d", "f.bin"): data}))
        self.addCleanup(shell.pool.stop)
        server = self.startServer(SharedShellRealm(shell), anonymous=False,
                                  users={"alice": "secret"})

        def client():
            ftp = ftplib.FTP()
            try:
                ftp.connect("127.0.0.1", server.port, timeout=30)
                ftp.login("alice", "secret")
                whole, tail, refused = [], [], ""
                ftp.retrbinary("RETR d/f.bin", whole.append)
                ftp.retrbinary("RETR d/f.bin", tail.append, rest=1000)
                try:
                    ftp.storbinary("STOR new.txt", io.BytesIO(b"x"))
                except ftplib.error_perm as e:
                    refused = str(e)
                ftp.quit()
            finally:
                ftp.close()
            return b"".join(whole), b"".join(tail), refused

        whole, tail, refused = yield self.inThread(client)
        self.assertEqual(whole, data)
        self.assertEqual(tail, data[1000:])
        self.assertTrue(refused.startswith("550"), refused)
