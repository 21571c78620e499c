"""
Integration tests: an SFTP store named by an IPv6 literal
(C{--realm fsspec:sftp://USER@[::1]:PORT/DIR}), served by an OpenSSH
server of the test's own listening on C{::1}. fsspec kept the literal's
brackets (C{host='[::1]'}), and every login got C{421 Storage
unavailable} (C{gaierror: Name or service not known}) (tester53c F2).
"""

import os

from twisted.trial import unittest

from ftpkit.config import ServerConfig
from ftpkit.deploy import tap
from ftpkit.loopback import LoopbackServerMixin
from tests.fsspecrealms import closeAtEnd
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
        root = os.path.abspath(self.mktemp())
        os.makedirs(root)
        with open(os.path.join(root, "f.bin"), "wb") as f:
            f.write(b"0123456789")
        options = tap.Options()
        options.parseOptions([
            "--realm",
            f"fsspec:sftp://{ssh.user}@[::1]:{ssh.port}{root}"
            f"?key_filename={ssh.keyFile}&look_for_keys=false"
            "&allow_agent=false&deadline=5"])
        self.realm = options["realmObject"]
        closeAtEnd(self, self.realm)
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
