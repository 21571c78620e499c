"""
FTPS integration tests with client programs: curl and lftp against a
real server, over explicit and implicit TLS.
"""

import os

from twisted.internet import defer, reactor, utils
from twisted.trial import unittest

from tests.tlssupport import FTPSTestsMixin, skipUnlessBinary


class ClientProgramTests(FTPSTestsMixin, unittest.TestCase):
    """
    curl and lftp against the server.
    """

    def runProgram(self, executable, *args):
        return utils.getProcessOutputAndValue(executable, args,
                                              env=os.environ, reactor=reactor)

    def curl(self, *args):
        return self.runProgram(skipUnlessBinary("curl"), "-sS", "-k",
                        "--connect-timeout", "20", "--max-time", "50", *args)

    def checkProcess(self, result):
        out, err, code = result
        self.assertEqual(code, 0, err)
        return out

    @defer.inlineCallbacks
    def curlRoundTrip(self, url, *extra):
        upload = os.path.join(self.certDir, "upload.bin")
        with open(upload, "wb") as f:
            f.write(self.payload)
        result = yield self.curl("-u", "alice:secret", *extra,
                                 "-T", upload, url + "curl.bin")
        self.checkProcess(result)
        self.assertEqual(self.readFile("curl.bin"), self.payload)
        result = yield self.curl("-u", "alice:secret", *extra,
                                 url + "big.bin")
        self.assertEqual(self.checkProcess(result), self.payload)

    def test_curlSSLRequired(self):
        self.serve(tlsRequired=True, tlsRequireSessionReuse=True)
        return self.curlRoundTrip(
            "ftp://127.0.0.1:%d/" % self.server.port, "--ssl-reqd")

    def test_curlEPSV(self):
        """
        curl over EPSV. (Active mode is covered with ftplib: curl 7.88
        hangs on active-mode FTPS after accepting the data connection.)
        """
        self.serve(tlsRequired=True)
        return self.curlRoundTrip("ftp://127.0.0.1:%d/" % self.server.port,
                                  "--ssl-reqd", "--ftp-pasv")

    @defer.inlineCallbacks
    def test_curlControlOnly(self):
        """
        C{--ftp-ssl-control}: TLS on the control connection, clear data.
        """
        self.serve()
        result = yield self.curl(
            "-u", "alice:secret", "--ftp-ssl-control",
            "ftp://127.0.0.1:%d/big.bin" % self.server.port)
        self.assertEqual(self.checkProcess(result), self.payload)

    def test_curlImplicit(self):
        self.serveImplicit(tlsRequireSessionReuse=True)
        return self.curlRoundTrip("ftps://127.0.0.1:%d/" % self.server.port)

    @defer.inlineCallbacks
    def test_curlOldTLSRefused(self):
        self.serve()
        out, err, code = yield self.curl(
            "-u", "alice:secret", "--ssl-reqd", "--tlsv1.0",
            "--tls-max", "1.1",
            "ftp://127.0.0.1:%d/big.bin" % self.server.port)
        self.assertNotEqual(code, 0)
        self.assertEqual(out, b"")

    @defer.inlineCallbacks
    def test_lftp(self):
        lftp = skipUnlessBinary("lftp")
        self.serve(tlsRequired=True, tlsRequireSessionReuse=True)
        target = os.path.join(self.certDir, "lftp.bin")
        script = (
            "set ftp:ssl-force true; set ftp:ssl-protect-data true; "
            "set ssl:verify-certificate no; set net:max-retries 1; "
            "set net:timeout 20; "
            "open -u alice,secret ftp://127.0.0.1:%d; "
            "get big.bin -o %s; put %s -o lftp-up.bin; bye"
            % (self.server.port, target, target))
        result = yield self.runProgram(lftp, "-c", script)
        self.checkProcess(result)
        with open(target, "rb") as f:
            self.assertEqual(f.read(), self.payload)
        self.assertEqual(self.readFile("lftp-up.bin"), self.payload)
