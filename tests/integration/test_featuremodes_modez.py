"""
C{MODE Z} in every mode a deployment runs (L{tests.featuremodes}:
C{twistd -n ftpkit} in one process on C{127.0.0.1}, C{python -m ftpkit
--workers 2} on C{::1}), offered with C{--mode-z}: uploads and downloads
round trip compressed over C{PROT P} data connections, listings come
compressed, and C{REIN} goes back to C{MODE S}.
"""

import ftplib
import os
import zlib

from tests.deflateclient import retrDeflated, storDeflated
from tests.featuremodes import WAIT, ModeServerMixin, modes
from tests.ftpclient import ftplibLogin
from tests.tlssupport import clientContext


class ModeZMixin(ModeServerMixin):
    """
    C{MODE Z} in this class's mode.
    """

    def setUp(self):
        self.makeRoot()
        self.startServer("--mode-z")

    def login(self, tls):
        return ftplibLogin(
            self, self.server.port, host=self.host, timeout=WAIT,
            protect=tls, binary=True,
            client=ftplib.FTP_TLS(context=clientContext()) if tls else None)

    def test_roundTrip(self):
        """
        A 1 MB random file and a 1 MB compressible one go up and come back
        whole under C{PROT P}; C{MLSD} comes compressed.
        """
        random = os.urandom(1 << 20)
        text = b"compressible line\n" * (1 << 16)
        ftp = self.login(True)
        ftp.voidcmd("MODE Z")
        ftp.voidcmd("OPTS MODE Z LEVEL 9")
        for name, content in (("r.bin", random), ("t.txt", text)):
            storDeflated(ftp, "STOR " + name, content)
            got, wire, _ = retrDeflated(ftp, "RETR " + name)
            self.assertEqual(got, content)
        self.assertLess(wire, len(text) // 50)
        listing, _, _ = retrDeflated(ftp, "MLSD dated")
        self.assertIn(b"; a.txt\r\n", listing)
        ftp.quit()
        self.assertNoTraceback()

    def test_advertised(self):
        """
        C{--mode-z} reaches every process that serves sessions (each
        worker under C{--workers}): in four sessions open at once, spread
        over the workers, C{FEAT} lists C{MODE Z}, C{HELP MODE} names
        C{Z}, and C{MODE Z} is accepted.
        """
        sessions = [self.login(False) for _ in range(4)]
        for ftp in sessions:
            self.assertIn(" MODE Z", ftp.sendcmd("FEAT").splitlines())
            self.assertEqual(ftp.sendcmd("HELP MODE"),
                             "214 Syntax: MODE <sp> S | Z")
            self.assertEqual(ftp.sendcmd("MODE Z"), "200 Mode set to Z")
        for ftp in sessions:
            ftp.quit()

    def test_reinitialize(self):
        """
        After C{REIN} the data connections carry plain bytes again.
        """
        ftp = self.login(False)
        ftp.voidcmd("MODE Z")
        got, _, _ = retrDeflated(ftp, "RETR dated/a.txt")
        self.assertEqual(got, b"a.txt")
        self.assertEqual(ftp.sendcmd("REIN")[:3], "220")
        ftp.login("alice", "secret")
        plain = []
        ftp.retrbinary("RETR dated/a.txt", plain.append)
        self.assertEqual(b"".join(plain), b"a.txt")
        self.assertRaises(zlib.error, zlib.decompress, b"".join(plain))
        ftp.quit()


modes(ModeZMixin, "ModeZ", globals())
