"""
A resume of a file that is not there, on every realm, over a real
socket (ftplib): C{REST 5} then C{STOR} gets C{554} (RFC 3659's invalid
C{REST} parameter: the C{STOR} alone would store the file, the offset
is what cannot be honoured), C{REST 5} then C{RETR} gets C{550} (the
C{RETR} alone fails: the file is unavailable), and neither makes a
file. An object store, which writes whole files, refuses every resume
of an upload (C{502}). The shells agree with these answers where the
file goes between the server's check and the open
(L{tests.integration.test_resumeshort.ResumeMissingTests}).
"""

import ftplib
import io

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.config import ServerConfig
from ftpkit.deploy import tap
from ftpkit.loopback import LoopbackServerMixin
from tests.everyrealm import EveryRealmMixin
from tests.fsspecrealms import closeAtEnd, sftpURL
from tests.ftpclient import ftplibLogin
from tests.scratch import scratchDirectory
from tests.storageservers import s3URL

try:
    from ftpkit.auth.fsspecrealm import makeFsspecRealm
except ImportError:
    makeFsspecRealm = None


def _resumes(testCase, port):
    """
    Log in as alice and resume C{missing} both ways (blocking).

    @param testCase: the running test (it closes the client).
    @param port: the server's port.
    @return: the codes of C{REST 5} + C{STOR}, C{REST 5} + C{RETR}, and
        what C{NLST} lists then.
    """
    ftp = ftplibLogin(testCase, port, "alice", "pw", binary=True)
    codes = []
    for transfer in (
            lambda: ftp.storbinary("STOR missing", io.BytesIO(b"abc"),
                                   rest=5),
            lambda: ftp.retrbinary("RETR missing", lambda data: None,
                                   rest=5)):
        try:
            codes.append(transfer()[:3])
        except ftplib.all_errors as e:
            codes.append(str(e)[:3])
    names = ftp.nlst()
    ftp.quit()
    return codes, names


class ResumeMissingTests(EveryRealmMixin, LoopbackServerMixin,
                         unittest.TestCase):
    """
    The disk, C{--realm memory}, C{fsspec:memory://}, C{fsspec:file://}
    (L{EveryRealmMixin}) and C{fsspec:sftp://} through a real OpenSSH
    server.
    """

    timeout = 120

    @defer.inlineCallbacks
    def check(self, realm, expected=("554", "550")):
        """
        Resume C{missing} both ways on C{realm}.

        @param expected: the codes of the upload and the download.
        """
        server = self.startServer(realm, ServerConfig(loginFailureDelay=0),
                                  users={"alice": "pw"}, anonymous=False)
        codes, names = yield self.inThread(_resumes, self, server.port)
        self.assertEqual((codes, names), (list(expected), []))

    def test_sftp(self):
        """
        On C{fsspec:sftp://}.
        """
        if makeFsspecRealm is None:
            raise unittest.SkipTest("fsspec is not installed")
        realm = makeFsspecRealm(sftpURL(scratchDirectory(self)), {})
        closeAtEnd(self, realm)
        return self.check(realm)

    def test_s3(self):
        """
        On C{fsspec:s3://} (moto's server): the upload's resume is
        refused as any is (C{502}), the download's is C{550}.
        """
        if makeFsspecRealm is None:
            raise unittest.SkipTest("fsspec is not installed")
        options = tap.Options()
        options.parseOptions([
            "--realm", "fsspec:" + s3URL(scratchDirectory(self))])
        return self.check(options["realmObject"], ("502", "550"))
