"""
Integration tests: an SFTP store named by an IPv6 literal
(C{--realm fsspec:sftp://USER@[::1]:PORT/DIR}), served by an OpenSSH
server of the test's own listening on C{::1}. fsspec kept the literal's
brackets (C{host='[::1]'}), and every login got C{421 Storage
unavailable} (C{gaierror: Name or service not known}) (tester53c F2).
"""

from twisted.trial import unittest

from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from tests.fsspecrealms import tenBytesOverSFTP
from tests.ftpclient import ftplibLogin
from tests.serverprocess import TIMEOUT
from tests.storageservers import ownSSHServer


class LiteralHostTests(LoopbackServerMixin, unittest.TestCase):
    """
    A session of a realm whose SFTP server is C{[::1]}.
    """

    timeout = 120

    def setUp(self):
        ssh, _ = ownSSHServer(self, "::1")
        self.realm = tenBytesOverSFTP(self, ssh, "[::1]", 5)
        self.server = self.startServer(self.realm,
                                       ServerConfig(loginFailureDelay=0.01))

    async def test_login(self):
        """
        A login is served from the store: the file's size, and a listing.
        """
        client = await self.inThread(ftplibLogin, self, self.server.port,
                                     timeout=TIMEOUT, binary=True)
        self.assertEqual(await self.inThread(client.sendcmd, "SIZE f.bin"),
                         "213 10")
        self.assertEqual(await self.inThread(client.nlst), ["f.bin"])
        await self.inThread(client.quit)
