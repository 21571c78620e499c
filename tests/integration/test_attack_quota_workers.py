"""
Attacks on the users-file byte quota of a C{--workers} server: each
worker counted a user's usage on its own, so a user whose sessions the
acceptor spread over N workers stored about N times the quota.
"""

import ftplib
import io
import os

from twisted.trial import unittest

from ftpkit.auth.users import hashPassword
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess

READY = " ready\n"
"""What the acceptor logs when a worker is ready."""


def storedBytes(directory):
    """
    @param directory: a path.
    @return: the bytes of the regular files under it.
    """
    return sum(os.path.getsize(os.path.join(where, name))
               for where, _, names in os.walk(directory) for name in names)


class WorkersQuotaTests(unittest.TestCase):
    """
    A two-worker server whose user has a 100000-byte quota.
    """

    timeout = 120

    def storeFour(self, realm):
        """
        Four sessions of the user (spread over both workers) each store a
        byte, then each tries 90000 bytes: one fits, the others get
        C{552}, and the home holds no more than the quota.

        @param realm: the C{--realm} given the users file's path and the
            root, returning the option's value.
        """
        root = scratchDirectory(self)
        users = os.path.join(root, "users.toml")
        with open(users, "w") as f:
            f.write(f'[users.alice]\npassword = "{hashPassword("secret")}"\n'
                    'home = "alice"\nquota = 100000\n'
                    'permissions = ["list", "read", "write"]\n')
        server = ServerProcess(self, [
            "--root", root, "--workers", "2",
            "--realm", realm(users, root), "--auth", f"users:{users}"])
        server.waitForLog(READY, 2)
        sessions = []
        self.addCleanup(lambda: [each.close() for each in sessions])
        for index in range(4):
            session = ftplib.FTP()
            session.connect("127.0.0.1", server.port, timeout=30)
            session.login("alice", "secret")
            sessions.append(session)
            session.storbinary(f"STOR small{index}", io.BytesIO(b"x"))
        stored = 0
        for index, session in enumerate(sessions):
            try:
                session.storbinary(f"STOR big{index}",
                                   io.BytesIO(b"y" * 90000))
            except (ftplib.error_perm, OSError):
                continue
            stored += 1
        self.assertEqual(stored, 1)
        self.assertLessEqual(storedBytes(os.path.join(root, "alice")),
                             100000)

    def test_disk(self):
        """
        A users file's quota holds across the workers.
        """
        self.storeFour(lambda users, root: f"users:{users}")

    def test_fsspec(self):
        """
        So does a users file's quota under C{--realm fsspec:file://}.
        """
        self.storeFour(
            lambda users, root: f"fsspec:file://{root}?users={users}")
