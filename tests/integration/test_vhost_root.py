"""
C{--vhost-root} against a real server process and ftplib: two virtual
hosts sharing one users file, each user's home under the root of the host
named with C{HOST}.
"""

import ftplib
import io
import os

from twisted.trial import unittest

from ftpkit.auth.users import hashPassword
from tests.serverprocess import ServerProcess


class VhostRootServerTests(unittest.TestCase):
    """
    C{--realm users:PATH} for the default host and two C{--vhost}s, each
    of them with its C{--vhost-root}.
    """

    def setUp(self):
        self.roots = {}
        for name in ("default", "a", "b"):
            root = os.path.abspath(self.mktemp())
            os.makedirs(os.path.join(root, "alice"))
            with open(os.path.join(root, "alice", "here-" + name), "wb") as f:
                f.write(name.encode())
            self.roots[name] = root
        users = os.path.abspath(self.mktemp())
        with open(users, "w") as f:
            f.write(f'[users.alice]\npassword = "{hashPassword("secret")}"\n'
                    'home = "alice"\n'
                    'permissions = ["list", "read", "write", "mkdir"]\n')
        self.server = ServerProcess(self, [
            "--root", self.roots["default"], "--realm", "users:" + users,
            "--auth", "users:" + users,
            "--vhost", "a.example=users:" + users,
            "--vhost", "b.example=users:" + users,
            "--vhost-root", "a.example=" + self.roots["a"],
            "--vhost-root", "b.example=" + self.roots["b"]])
        self.server.waitForGreeting()

    def login(self, host=None):
        """
        @param host: the name to send with C{HOST}, if any.
        @return: an C{ftplib.FTP} logged in as alice.
        """
        ftp = ftplib.FTP()
        ftp.connect("127.0.0.1", self.server.port, timeout=30)
        self.addCleanup(ftp.close)
        if host is not None:
            ftp.sendcmd("HOST " + host)
        ftp.login("alice", "secret")
        return ftp

    def test_homePerHost(self):
        """
        alice's home is under the root of the host she named (the
        default one without C{HOST}), and her uploads land there.
        """
        for host, name in ((None, "default"), ("a.example", "a"),
                           ("b.example", "b")):
            ftp = self.login(host)
            self.assertEqual(ftp.nlst(), ["here-" + name])
            ftp.storbinary("STOR up.txt", io.BytesIO(name.encode()))
            ftp.quit()
            with open(os.path.join(self.roots[name], "alice", "up.txt"),
                      "rb") as f:
                self.assertEqual(f.read(), name.encode())
