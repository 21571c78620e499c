"""
C{CCC} (RFC 4217 section 6), off by default, with Python's ftplib (whose
C{FTP_TLS.ccc} ends TLS on the control connection) and curl (whose default
C{--ftp-ssl-ccc-mode passive} sends no close_notify of its own).
"""

import ftplib
import io
import os
import ssl

from twisted.internet import reactor, utils
from twisted.trial import unittest

from tests.tlssupport import FTPSTestsMixin, clientContext, skipUnlessBinary


def _code(send, line):
    """
    @return: the reply code to C{line}, whether ftplib took it as an
        error or not.
    """
    try:
        return send(line)[:3]
    except ftplib.Error as e:
        return str(e)[:3]


class CCCTests(FTPSTestsMixin, unittest.TestCase):
    """
    C{CCC} with and without C{tlsAllowCCC}.
    """

    def test_refusedByDefault(self):
        """
        Without C{--tls-allow-ccc}, C{CCC} gets C{534} (denied for policy
        reasons, RFC 2228) and FEAT does not list it; the session goes on
        under TLS.
        """
        self.serve()

        def client():
            ftp = self.connect()
            feat = ftp.sendcmd("FEAT").splitlines()
            refusal = _code(ftp.sendcmd, "CCC")
            result = (feat, refusal, isinstance(ftp.sock, ssl.SSLSocket),
                      ftp.pwd())
            ftp.quit()
            return result

        def check(result):
            feat, refusal, secure, cwd = result
            self.assertNotIn(" CCC", feat)
            self.assertEqual((refusal, secure, cwd), ("534", True, "/"))
        return self.inThread(client).addCallback(check)

    def test_clearCommandChannel(self):
        """
        With C{tlsAllowCCC}, FEAT lists CCC; after C{CCC} the control
        connection goes on in clear while data connections stay under
        TLS (PROT P is kept, RFC 4217 section 6), and a second CCC or a
        PROT is refused (C{533}, C{503}): the protection level cannot be
        changed over a control connection anyone on the path can forge.
        """
        self.serve(tlsAllowCCC=True)

        def client():
            ftp = self.connect()
            feat = ftp.sendcmd("FEAT").splitlines()
            ftp.prot_p()
            cleared = ftp.ccc()[:3]
            plain = ftp.sock.version() is None  # no TLS session left
            cwd = ftp.pwd()
            out = io.BytesIO()
            ftp.retrbinary("RETR big.bin", out.write)
            ftp.storbinary("STOR after-ccc.bin", io.BytesIO(b"x" * 1000))
            again = _code(ftp.sendcmd, "CCC")
            prot = _code(ftp.sendcmd, "PROT C")
            result = (feat, cleared, plain, cwd, out.getvalue(), again,
                      prot)
            ftp.quit()
            return result

        def check(result):
            feat, cleared, plain, cwd, data, again, prot = result
            self.assertIn(" CCC", feat)
            self.assertEqual((cleared, plain, cwd), ("200", True, "/"))
            self.assertTrue(data == self.payload, "%d bytes" % len(data))
            self.assertEqual(self.readFile("after-ccc.bin"), b"x" * 1000)
            self.assertEqual((again, prot), ("533", "503"))
        return self.inThread(client).addCallback(check)

    def test_needsLogin(self):
        """
        C{CCC} before login gets C{530}: TLS must protect the password.
        """
        self.serve(tlsAllowCCC=True)

        def client():
            ftp = ftplib.FTP_TLS(context=clientContext())
            ftp.connect("127.0.0.1", self.server.port, timeout=20)
            try:
                ftp.auth()
                return _code(ftp.sendcmd, "CCC")
            finally:
                ftp.close()
        return self.inThread(client).addCallback(self.assertEqual, "530")

    def test_implicitRefused(self):
        """
        On an implicit-TLS listener, whose clients expect TLS from the
        first byte to the last, C{CCC} gets C{534}.
        """
        self.serveImplicit(tlsAllowCCC=True, tlsContextFactory=self.factory)

        def client():
            ftp = self.connect(implicit=True)
            result = _code(ftp.sendcmd, "CCC"), ftp.pwd()
            ftp.quit()
            return result
        return self.inThread(client).addCallback(self.assertEqual,
                                                 ("534", "/"))


    async def test_curlWithoutCloseNotify(self):
        """
        curl's default C{CCC} mode (C{--ftp-ssl-ccc-mode passive}) reads
        the server's close_notify, sends none, and goes on in clear: its
        next command is read in clear, as ProFTPD does. Before, the server
        fed the command to the TLS session, and closed the connection.
        """
        curl = skipUnlessBinary("curl")
        self.serve(tlsAllowCCC=True)
        out = os.path.join(self.certDir, "got.bin")
        for mode in ("passive", "active"):
            output, err, code = await utils.getProcessOutputAndValue(
                curl, ("-sS", "-k", "--max-time", "50", "--ssl-reqd",
                       "--ftp-ssl-ccc", "--ftp-ssl-ccc-mode", mode,
                       "-u", "alice:secret", "-o", out,
                       "ftp://127.0.0.1:%d/big.bin" % self.server.port),
                env=os.environ, reactor=reactor)
            self.assertEqual(code, 0, (mode, err))
            with open(out, "rb") as f:
                self.assertTrue(f.read() == self.payload, mode)
