"""
Quotas of nested homes right after a C{SIGHUP} reload gives a user a
quota: the sessions opened before it tell their changes to the new
quota's home as well.

A realm learned its users' homes again (which of them hold a quota, for
L{ftpkit.shells.nestedquotas}) only at its next login: a session opened
before the reload told its changes to the homes as they were. Where that
login came in another place, the quota was exceeded: admin (no quota,
home the root) logged in, bob (no quota) was given 300,000 bytes, bob
logged in and stored a byte, admin stored 250,000 bytes in bob's home,
and bob 250,000 more, both C{226}, 500,001 bytes in his home. Under
C{--workers 2} with the users file's realm (bob's login in the other
worker, whose realm alone learned the homes again), and in one process
with C{fsspec:file://ROOT?users=PATH} (whose realm made a new set of
homes, admin's session keeping the old one).
"""

import os
import signal

from twisted.trial import unittest

from ftpkit.auth.passwordhash import hashPassword
from tests.integration.test_attack_nestedrealms import ALL, QUOTA, homeBytes
from tests.rawclient import RawClient
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess


class ReloadedQuotaTests(unittest.TestCase):
    """
    Bob is given a quota by a reload while admin, whose home holds his,
    has a session open.
    """

    timeout = 120

    def users(self, quota):
        """
        Write the users file: bob (with C{quota}, or none) in C{bob},
        admin in the root, neither read-only.
        """
        bob = f"quota = {quota}\n" if quota else ""
        with open(self.usersPath, "w") as f:
            f.write(f'[users.bob]\npassword = "{self.hash}"\nhome = "bob"\n'
                    f'{bob}permissions = {ALL}\n'
                    f'[users.admin]\npassword = "{self.hash}"\nhome = "."\n'
                    f'permissions = {ALL}\n')

    def session(self, user):
        """
        @return: a L{RawClient} logged in as C{user}.
        """
        client = RawClient(self.server.port)
        self.addCleanup(client.close)
        self.assertTrue(client.login(user).startswith(b"230"))
        return client

    def reloadedQuota(self, realm, workers=()):
        """
        Start with C{realm} (given the users file), admin's session open;
        give bob his quota and reload; bob stores a byte (his usage
        measured), admin 250,000 bytes in bob's home, and bob 250,000:
        C{552}, his home within his quota.
        """
        root = scratchDirectory(self)
        os.mkdir(os.path.join(root, "bob"))
        self.hash = hashPassword("secret")
        self.usersPath = os.path.join(scratchDirectory(self), "users.toml")
        self.users(None)
        self.server = ServerProcess(self, [
            "--root", root, "--realm", realm(root, self.usersPath),
            "--auth", f"users:{self.usersPath}", "--log-format", "json",
            *workers])
        self.server.waitForGreeting()
        admin = self.session("admin")
        self.users(QUOTA)
        self.server.signal(signal.SIGHUP)
        # Under --workers one line names both (ftpkit.ops.workerechoes).
        self.server.waitForLog('"reloaded {count} users from {path}"')
        if workers:
            self.server.waitForLog('"ftpkit_workers": [')
        bob = self.session("bob")
        self.assertEqual(bob.storeCode("small", 1), b"226")
        self.assertEqual(admin.storeCode("bob/admins", 250000), b"226")
        self.assertEqual(bob.storeCode("big", 250000), b"552")
        self.assertLessEqual(homeBytes(os.path.join(root, "bob")), QUOTA)

    def test_usersRealmWorkers(self):
        """
        C{--realm users:PATH} under C{--workers 2}: bob's session in the
        other worker.
        """
        self.reloadedQuota(lambda root, users: f"users:{users}",
                           ("--workers", "2"))

    def test_usersRealm(self):
        """
        C{--realm users:PATH} in one process (it held already: the
        process's disk realms share their homes, learned again at bob's
        login).
        """
        self.reloadedQuota(lambda root, users: f"users:{users}")

    def test_fsspecRealm(self):
        """
        C{--realm fsspec:file://ROOT?users=PATH} in one process.
        """
        try:
            import fsspec  # noqa: F401
        except ImportError:
            raise unittest.SkipTest("fsspec is not installed")
        self.reloadedQuota(
            lambda root, users: f"fsspec:file://{root}?users={users}")

    def test_fsspecRealmWorkers(self):
        """
        C{--realm fsspec:file://ROOT?users=PATH} under C{--workers 2}.
        """
        try:
            import fsspec  # noqa: F401
        except ImportError:
            raise unittest.SkipTest("fsspec is not installed")
        self.reloadedQuota(
            lambda root, users: f"fsspec:file://{root}?users={users}",
            ("--workers", "2"))
