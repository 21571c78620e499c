"""
FTPS integration tests with client programs: curl and lftp against a
real server, over explicit and implicit TLS.
"""

import os

from twisted.internet import defer, reactor, utils
from twisted.trial import unittest

from ftpkit.control.tls import makeContextFactory
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess
from tests.tlssupport import Certificates, FTPSTestsMixin, skipUnlessBinary


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

    @defer.inlineCallbacks
    def test_curlTLS13SessionReuse(self):
        """
        Under TLS 1.3 with session reuse required, curl uploads 8 files,
        downloads one and lists the directory in one command: curl
        resumes each ticket once, and had none left after an upload (its
        later data connections were refused: 8 to 11 of 50 uploads went
        through), or the tickets sent on an upload's connection reset it.
        """
        self.factory = makeContextFactory(self.both, maximumVersion=None)
        self.serve(tlsRequired=True, tlsRequireSessionReuse=True)
        upload = os.path.join(self.certDir, "upload.bin")
        with open(upload, "wb") as f:
            f.write(self.payload[:100000])
        url = "ftp://127.0.0.1:%d/" % self.server.port
        common = ["-u", "alice:secret", "--ssl-reqd", "--tlsv1.3"]
        arguments = list(common)
        for index in range(8):
            arguments += ["-T", upload, url + "up%d.bin" % index]
        listing = os.path.join(self.certDir, "listing.txt")
        # --next: the same control connection, other options.
        arguments += ["--next", *common, url + "big.bin", "-o",
                      upload + ".back", "--next", *common, url, "-o",
                      listing]
        result = yield self.curl(*arguments)
        self.checkProcess(result)
        for index in range(8):
            self.assertEqual(self.readFile("up%d.bin" % index),
                             self.payload[:100000])
        with open(upload + ".back", "rb") as f:
            self.assertEqual(f.read(), self.payload)
        with open(listing) as f:
            self.assertIn("up7.bin", f.read())

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

    @defer.inlineCallbacks
    def test_curlControlOnlyRequired(self):
        """
        curl's C{--ftp-ssl-control} sends C{PROT C} after login: under
        C{--tls-required}, the C{534} it gets does not stop it (curl goes
        on where it asked for clear data), and what needs no data
        connection (C{-I}: C{SIZE}, C{MDTM}) works.
        """
        self.serve(tlsRequired=True)
        out, err, code = yield self.curl(
            "-v", "-I", "-u", "alice:secret", "--ftp-ssl-control",
            "ftp://127.0.0.1:%d/big.bin" % self.server.port)
        self.assertEqual(code, 0, err)
        self.assertIn(b"< 534 PROT C refused", err)
        self.assertIn(b"Content-Length: %d" % len(self.payload), out)

    @defer.inlineCallbacks
    def test_lftpClearDataRequired(self):
        """
        lftp with C{ftp:ssl-protect-data no} sends C{PROT C} after login:
        under C{--tls-required} the C{534} does not stop it, and C{mkdir}
        (no data connection) works.
        """
        lftp = skipUnlessBinary("lftp")
        self.serve(tlsRequired=True)
        script = (
            "set ftp:ssl-force true; set ftp:ssl-protect-data no; "
            "set ftp:ssl-protect-list no; debug -o %s 5; "
            "set ssl:verify-certificate no; set net:max-retries 1; "
            "set net:timeout 20; open -u alice,secret ftp://127.0.0.1:%d; "
            "mkdir made; bye"
            % (os.path.join(self.certDir, "lftp.log"), self.server.port))
        self.checkProcess((yield self.runProgram(lftp, "-c", script)))
        self.assertTrue(os.path.isdir(os.path.join(self.root, "made")))
        with open(os.path.join(self.certDir, "lftp.log")) as f:
            self.assertIn("<--- 534 PROT C refused", f.read())

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


class ServerProcessTests(Certificates, unittest.TestCase):
    """
    lftp against a server in a process of its own (C{python -m ftpkit}),
    which reads an upload no faster than a real one.
    """

    timeout = 120

    def setUp(self):
        self.makeCertificates()
        self.root = scratchDirectory(self)

    @defer.inlineCallbacks
    def test_lftpTLS13SessionReuse(self):
        """
        Under TLS 1.3 with session reuse required, lftp uploads 20 files of
        1 MB, lists them and downloads them, each upload at its first try:
        the tickets each data connection sent at once, unread when lftp
        closed an upload's connection, reset it and cut the upload (C{426};
        lftp tried again after a pause, and gave up after 3 of 20).
        """
        lftp = skipUnlessBinary("lftp")
        server = ServerProcess(self, [
            "--root", self.root, "--auth", "memory:alice:secret",
            "--tls-cert", self.both, "--tls-allow-1.3", "--tls-required",
            "--tls-require-session-reuse"])
        server.waitForGreeting()
        source = os.path.join(self.certDir, "up")
        back = os.path.join(self.certDir, "back")
        os.makedirs(source)
        files = {"f%d.bin" % index: os.urandom(1000000)
                 for index in range(20)}
        for name, data in files.items():
            with open(os.path.join(source, name), "wb") as f:
                f.write(data)
        script = (
            "set ftp:ssl-force true; set ftp:ssl-protect-data true; "
            "set ssl:verify-certificate no; set net:max-retries 1; "
            "set net:timeout 20; set cmd:fail-exit yes; "
            "open -u alice,secret ftp://127.0.0.1:%d; "
            "mkdir up; cd up; lcd %s; mput *.bin; cls -1; "
            "mirror . %s; bye" % (server.port, source, back))
        out, err, code = yield utils.getProcessOutputAndValue(
            lftp, ["-c", script], env=os.environ, reactor=reactor)
        self.assertEqual(code, 0, err)
        self.assertNotIn(" 426,", server.log())
        self.assertEqual(sorted(out.decode().split()), sorted(files))
        for name, data in files.items():
            with open(os.path.join(self.root, "up", name), "rb") as f:
                self.assertEqual(f.read(), data)
            with open(os.path.join(back, name), "rb") as f:
                self.assertEqual(f.read(), data)
