"""
Empty transfers under PROT P (issue 12, item 1): an empty directory's
LIST and NLST, a 0-byte RETR and a 0-byte STOR each end with C{226} and an
empty body, over explicit and implicit FTPS, TLS 1.2 and 1.3, PASV, EPSV
and active data connections, with ftplib and curl.
"""

import io
import os
import socket
import ssl

from twisted.internet import defer, reactor, utils
from twisted.trial import unittest

from ftpkit.control.tls import makeContextFactory
from tests.tlssupport import FTPSTestsMixin, clientContext, skipUnlessBinary

VERSIONS = {"12": ssl.TLSVersion.TLSv1_2, "13": ssl.TLSVersion.TLSv1_3}
"""The TLS versions tried, by the suffix of the test names."""


class EmptyTransferMixin(FTPSTestsMixin):
    """
    A server with an empty directory and an empty file, explicit or
    implicit, capped at TLS 1.2 or offering 1.3.
    """

    def setUp(self):
        FTPSTestsMixin.setUp(self)
        os.mkdir(os.path.join(self.root, "emptydir"))
        open(os.path.join(self.root, "empty.bin"), "wb").close()

    def start(self, implicit, version):
        """
        Start the server, implicit or explicit, offering TLS 1.3 when
        C{version} is C{"13"}.
        """
        if version == "13":
            self.factory = makeContextFactory(self.both, maximumVersion=None)
        if implicit:
            self.serveImplicit()
        else:
            self.serve()


class FtplibEmptyTransferTests(EmptyTransferMixin, unittest.TestCase):
    """
    ftplib (C{FTP_TLS} with C{prot_p}): each empty transfer ends with
    C{226}, no C{ConnectionResetError}.
    """

    def emptyTransfers(self, implicit, version, mode):
        """
        Log in, PROT P, then list the empty directory (LIST and NLST),
        download the empty file and upload an empty one.

        @param mode: C{"pasv"}, C{"epsv"} or C{"active"}.
        @return: a Deferred firing with the checks' results.
        """
        self.start(implicit, version)
        context = clientContext()
        context.minimum_version = context.maximum_version = VERSIONS[version]

        def client():
            ftp = self.connect(context=context, implicit=implicit)
            ftp.prot_p()
            negotiated = ftp.sock.version()
            if mode == "epsv":
                ftp.af = socket.AF_INET6  # ftplib then sends EPSV
            elif mode == "active":
                ftp.set_pasv(False)
            lines, names, data = [], [], io.BytesIO()
            finals = [
                ftp.retrlines("LIST emptydir", lines.append),
                ftp.retrlines("NLST emptydir", names.append),
                ftp.retrbinary("RETR empty.bin", data.write),
                ftp.storbinary("STOR up0.bin", io.BytesIO(b"")),
            ]
            result = (negotiated, [final[:3] for final in finals],
                      lines, names, data.getvalue())
            ftp.quit()
            return result

        def check(result):
            negotiated, finals, lines, names, data = result
            self.assertEqual(negotiated,
                             "TLSv1.%s" % version[1])
            self.assertEqual(finals, ["226"] * 4)
            self.assertEqual((lines, names, data), ([], [], b""))
            self.assertEqual(self.readFile("up0.bin"), b"")
        return self.inThread(client).addCallback(check)


class CurlEmptyTransferTests(EmptyTransferMixin, unittest.TestCase):
    """
    curl with C{--ssl-reqd} (explicit) or C{ftps://} (implicit): exit
    status 0 and an empty body, where curl 7.88 exited with 13 ("Bad
    PASV/EPSV response: 150").
    """

    def curl(self, *args):
        return utils.getProcessOutputAndValue(
            skipUnlessBinary("curl"),
            ("-sS", "-k", "--connect-timeout", "20", "--max-time", "50")
            + args, env=os.environ, reactor=reactor)

    @defer.inlineCallbacks
    def emptyTransfers(self, implicit, version, mode):
        """
        Fetch the empty directory's listing and the empty file, and
        upload an empty file, with curl.

        @param mode: C{"pasv"}, C{"epsv"} or C{"active"} (for an empty
            file, curl then never starts the data connection's TLS).
        """
        skipUnlessBinary("curl")
        self.start(implicit, version)
        scheme = "ftps" if implicit else "ftp"
        base = "%s://127.0.0.1:%d/" % (scheme, self.server.port)
        options = ["-u", "alice:secret"]
        if not implicit:
            options.append("--ssl-reqd")
        options += (["--tlsv1.3"] if version == "13"
                    else ["--tlsv1.2", "--tls-max", "1.2"])
        options += {"pasv": ["--disable-epsv"], "epsv": ["--ftp-pasv"],
                    "active": ["--ftp-port", "127.0.0.1"]}[mode]
        empty = os.path.join(self.certDir, "empty-upload")
        open(empty, "wb").close()
        for extra in ([base + "emptydir/"], ["-l", base + "emptydir/"],
                      [base + "empty.bin"]):
            out, err, code = yield self.curl(*options, *extra)
            self.assertEqual((code, out), (0, b""), (extra, err))
        out, err, code = yield self.curl(*options, "-T", empty,
                                         base + "up0.bin")
        if mode == "active" and code != 0:
            # curl 7.87-7.88 never start the TLS of a connection the
            # server opened: an upload with no TLS cannot be told from one
            # a third party cut, so it fails and makes no file (as with
            # vsftpd, ProFTPD and Pure-FTPd).
            self.assertFalse(os.path.exists(os.path.join(self.root,
                                                         "up0.bin")))
        else:
            self.assertEqual(code, 0, err)
            self.assertEqual(self.readFile("up0.bin"), b"")


def _addMatrix(cls, modes):
    """
    Give C{cls} one test per (explicit or implicit, TLS version, data
    connection mode), each calling C{cls.emptyTransfers}.
    """
    for kind, implicit in (("explicit", False), ("implicit", True)):
        for version in VERSIONS:
            for mode in modes:
                def test(self, implicit=implicit, version=version, mode=mode):
                    return self.emptyTransfers(implicit, version, mode)
                name = "test_%s_tls%s_%s" % (kind, version, mode)
                test.__name__ = name
                setattr(cls, name, test)


_addMatrix(FtplibEmptyTransferTests, ("pasv", "epsv", "active"))
_addMatrix(CurlEmptyTransferTests, ("pasv", "epsv", "active"))
