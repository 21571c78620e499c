"""
C{AVBL} and C{ALLO} of a user with a users file's byte quota on an
fsspec store that cannot say its room (C{s3://} here; C{sftp://} and
C{file://} take the same path): they judge what the quota leaves, as on
the disk realm and under C{memory://}'s C{size=}. C{AVBL} answered
C{550} ("unknown") and C{ALLO} C{202} for any size, then the upload past
the quota got C{552}.
"""

import io

from twisted.trial import unittest

from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from tests.ftpclient import ftplibLogin, replyCode
from tests.integration.test_quotareclaim import usersFile
from tests.scratch import scratchDirectory
from tests.storageservers import s3URL

try:
    import fsspec

    from ftpkit.auth.fsspecrealm import makeFsspecRealm
except ImportError:
    fsspec = None

QUOTA = 100000
"""alice's byte quota."""


class QuotaRoomMixin(LoopbackServerMixin):
    """
    A server of L{url}'s store with alice's quota of L{QUOTA} bytes.
    """

    timeout = 120

    if fsspec is None:
        skip = "fsspec is not installed"

    def setUp(self):
        self.local = scratchDirectory(self)
        realm = makeFsspecRealm(
            self.url() + "users=" + usersFile(self.local, QUOTA), {})
        self.port = self.startServer(
            realm, ServerConfig(loginFailureDelay=0),
            users={"alice": "secret"}, anonymous=False).port

    def url(self):
        """
        @return: the store's URL, ending in C{?} or C{&} for C{users=}.
        """
        raise NotImplementedError()

    def session(self):
        """
        Store 30,000 bytes, then ask for C{AVBL} and three C{ALLO}s
        (blocking).

        @return: C{FEAT}'s lines naming C{AVBL}, and the replies.
        """
        ftp = ftplibLogin(self, self.port, "alice", "secret", binary=True)
        try:
            features = [line.strip() for line in ftp.sendcmd(
                "FEAT").splitlines() if "AVBL" in line]
            ftp.storbinary("STOR f", io.BytesIO(b"x" * 30000))
            replies = [ftp.sendcmd("AVBL")]
            for size in (70000, 70001, 1000000):
                replies.append(replyCode(ftp.sendcmd, "ALLO %d" % size))
            return features, replies
        finally:
            ftp.close()

    async def test_quotaJudged(self):
        """
        C{FEAT} lists C{AVBL}, which says what the quota leaves; C{ALLO}
        of that fits (C{200}), a byte more does not (C{552}).
        """
        features, replies = await self.inThread(self.session)
        self.assertEqual(features, ["AVBL"])
        self.assertEqual(replies, ["213 70000", "200", "552", "552"])


class S3QuotaRoomTests(QuotaRoomMixin, unittest.TestCase):
    """
    C{s3://}, moto's.
    """

    timeout = 180

    def url(self):
        return s3URL(self.local) + "&"
