"""
Quotas of homes nested across realms, in one server process: a
C{--vhost} whose realm is the default's users file, with a
C{--vhost-root} inside a user's home, gives homes on the virtual host
that lie inside homes of the default host.

Each realm told a change only to the quotas of its own users' homes
(L{ftpkit.shells.nestedquotas.QuotaHomes}), so what was stored through
the virtual host went uncounted by the quota of the default host's home
holding it, once that quota was measured: bob (300,000 bytes), having
stored a byte on each host, stored 250,000 bytes through the virtual
host (his home there is C{bob/www/bob}) and 250,000 more on the default
host (C{bob}), both C{226}, 500,002 bytes in his home. A process's disk
realms now share one L{QuotaHomes}, with each home under its real path
(symbolic links resolved), so that every quota whose directory holds a
change counts it, whichever realm made it, as within one realm (and in
each worker of C{--workers}, whose realms know their homes from the
start, before any login to them).
"""

import os

from twisted.trial import unittest

from ftpkit.auth.passwordhash import hashPassword
from tests.rawclient import RawClient
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess

QUOTA = 300000
"""Bob's quota."""

ALL = '["list", "read", "write", "append", "delete", "rename", "mkdir"]'


def homeBytes(home):
    """
    @return: the bytes of every file below C{home}.
    """
    return sum(os.path.getsize(os.path.join(directory, name))
               for directory, _, names in os.walk(home) for name in names)


class NestedAcrossRealmsTests(unittest.TestCase):
    """
    The default host serves the root; the virtual host C{other.example}
    serves C{/bob/www} in it (or a link to it), from the same users file.
    """

    timeout = 120

    def serve(self, linked=False, workers=()):
        """
        Start the server.

        @param linked: give C{--vhost-root} as a symbolic link to
            C{bob/www}, not as the directory.
        @param workers: more options (C{--workers}).
        @return: the root.
        """
        root = scratchDirectory(self)
        password = hashPassword("secret")
        users = os.path.join(root, "users.toml")
        with open(users, "w") as f:
            f.write(f'[users.bob]\npassword = "{password}"\nhome = "bob"\n'
                    f'quota = {QUOTA}\npermissions = {ALL}\n'
                    f'[users.admin]\npassword = "{password}"\nhome = "."\n'
                    f'permissions = {ALL}\n')
        www = os.path.join(root, "bob", "www")
        os.makedirs(www)
        vhostRoot = www
        if linked:
            vhostRoot = os.path.join(root, "bobs-www")
            os.symlink(www, vhostRoot)
        spec = f"users:{users}"
        server = ServerProcess(self, [
            "--root", root, "--realm", spec, "--auth", spec,
            "--vhost", f"other.example={spec}",
            "--vhost-root", f"other.example={vhostRoot}", *workers])
        server.waitForGreeting()
        self.server = server
        return root

    def session(self, user, virtual):
        """
        @return: a L{RawClient} logged in as C{user}, on the virtual host
            or the default one.
        """
        client = RawClient(self.server.port)
        self.addCleanup(client.close)
        if virtual:
            self.assertTrue(client.command("HOST other.example").startswith(
                b"220"))
        self.assertTrue(client.login(user).startswith(b"230"))
        return client

    def bobOnBoth(self, linked, workers=()):
        """
        Bob stores a byte on each host (both quotas measured), then
        250,000 bytes through the virtual host and 250,000 on the default
        one: the second gets C{552}, and his home holds no more than his
        quota.
        """
        root = self.serve(linked, workers)
        default, virtual = self.session("bob", False), self.session(
            "bob", True)
        self.assertEqual(default.storeCode("small", 1), b"226")
        self.assertEqual(virtual.storeCode("small", 1), b"226")
        self.assertEqual(virtual.storeCode("big", 250000), b"226")
        self.assertEqual(default.storeCode("big", 250000), b"552")
        self.assertLessEqual(homeBytes(os.path.join(root, "bob")), QUOTA)

    def test_bobOnBoth(self):
        """
        C{--vhost-root} names C{bob/www}.
        """
        self.bobOnBoth(linked=False)

    def test_bobOnBothLinked(self):
        """
        C{--vhost-root} names a link to C{bob/www}: the same directory.
        """
        self.bobOnBoth(linked=True)

    def test_bobOnBothWorkers(self):
        """
        Under C{--workers 2}, the sessions spread over both workers.
        """
        self.bobOnBoth(linked=True, workers=("--workers", "2"))

    def test_othersUploadCounted(self):
        """
        What admin (no quota) stores on the virtual host, whose home there
        is C{bob/www}, counts against bob's quota on the default host, as
        it does when admin stores it there on the default host.
        """
        root = self.serve()
        bob = self.session("bob", False)
        admin = self.session("admin", True)
        self.assertEqual(bob.storeCode("small", 1), b"226")
        self.assertEqual(admin.storeCode("big", 250000), b"226")
        self.assertEqual(bob.storeCode("more", 100000), b"552")
        self.assertEqual(admin.command("DELE big")[:3], b"250")
        self.assertEqual(bob.storeCode("more", 100000), b"226")
        self.assertLessEqual(homeBytes(os.path.join(root, "bob")), QUOTA)
