"""
rclone's FTP backend (Debian's C{rclone}) against a real server: copy,
sync, check and lsjson, in clear and over explicit and implicit TLS. It
lists with MLSD (or LIST and MDTM when told not to) and keeps modification
times with MFMT, so a round trip shows whether times survive.
"""

import os
import shutil
import subprocess

from twisted.trial import unittest

from ftpkit.control.tls import makeContextFactory
from tests.clienttrees import treeDigest
from tests.tlssupport import FTPSTestsMixin

RCLONE = shutil.which("rclone")

OLD = 1551675967
"""2019-03-04 05:06:07 UTC: older than six months, a LIST line's year."""

FUTURE = 1893553445
"""2030-01-02 03:04:05 UTC: in the future."""


def makeLocalTree(root):
    """
    Write the tree the tests copy: odd names, an empty file and directory,
    old and future times.

    @return: C{{relative path: mtime}} of the files.
    """
    files = {
        "old.txt": (b"old\n", OLD),
        "future.txt": (b"future\n", FUTURE),
        "empty.txt": (b"", OLD + 3600),
        "dir with space/file with space.txt": (b"spaces\n", OLD + 7200),
        "\u00fcn\u00ef c\u00f8d\u00e9/f\u00efl\u00e9 \u20ac.txt":
            (b"unicode\n", OLD + 10800),
        "deep/a/b/c/leaf.bin": (os.urandom(300000), OLD + 14400),
    }
    for name, (data, mtime) in files.items():
        path = os.path.join(root, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        os.utime(path, (mtime, mtime))
    os.makedirs(os.path.join(root, "emptydir"))
    return {name: mtime for name, (_, mtime) in files.items()}


class RcloneTests(FTPSTestsMixin, unittest.TestCase):
    """
    rclone copies, syncs and checks a tree, times included.
    """

    if RCLONE is None:
        skip = "rclone is not installed"

    timeout = 90

    def setUp(self):
        FTPSTestsMixin.setUp(self)
        self.local = os.path.abspath(self.mktemp())
        self.mtimes = makeLocalTree(self.local)
        self.config = os.path.abspath(self.mktemp())
        open(self.config, "w").close()
        self.password = subprocess.run(
            [RCLONE, "obscure", "secret"], capture_output=True, text=True,
            check=True, env=self.environment()).stdout.strip()

    def environment(self):
        return dict(os.environ, RCLONE_CONFIG=getattr(self, "config", ""))

    def remote(self, path="", **options):
        """
        @return: a config-less rclone remote for the running server.
        """
        settings = dict(host="127.0.0.1", port=self.server.port,
                        user="alice", **{"pass": self.password})
        settings.update(options)
        return ":ftp,%s:%s" % (
            ",".join("%s=%s" % item for item in settings.items()), path)

    async def rclone(self, *args):
        """
        Run rclone, which must succeed.

        @return: its standard output.
        """
        done = await self.inThread(
            subprocess.run, [RCLONE, "--retries", "1", *args],
            capture_output=True, text=True, timeout=60,
            env=self.environment())
        self.assertEqual(done.returncode, 0, done.stderr)
        return done.stdout

    def assertTimesKept(self, root):
        for name, mtime in self.mtimes.items():
            self.assertEqual(int(os.stat(os.path.join(root, name)).st_mtime),
                             mtime, name)

    async def roundTrip(self, **options):
        """
        Copy the tree up, check it, list its times, sync a change, and
        copy it back down.
        """
        remote = self.remote("tree", **options)
        await self.rclone("copy", "--create-empty-src-dirs", self.local,
                          remote)
        served = os.path.join(self.root, "tree")
        self.assertEqual(treeDigest(served), treeDigest(self.local))
        self.assertTrue(os.path.isdir(os.path.join(served, "emptydir")))
        self.assertTimesKept(served)
        await self.rclone("check", self.local, remote)
        listed = await self.rclone("lsjson", "-R", "--files-only", remote)
        self.assertIn('"Path":"old.txt"', listed.replace(" ", ""))
        self.assertIn('"ModTime":"2019-03-04T05:06:07Z"', listed)
        self.assertIn('"ModTime":"2030-01-02T03:04:05Z"', listed)
        os.remove(os.path.join(self.local, "old.txt"))
        del self.mtimes["old.txt"]
        await self.rclone("sync", self.local, remote)
        self.assertFalse(os.path.exists(os.path.join(served, "old.txt")))
        back = os.path.abspath(self.mktemp())
        await self.rclone("copy", remote, back)
        self.assertEqual(treeDigest(back), treeDigest(self.local))
        self.assertTimesKept(back)

    def test_clear(self):
        """
        Copy, sync and copy back over a clear control connection.
        """
        self.serve()
        return self.roundTrip()

    def test_explicitTLS(self):
        """
        The same with C{AUTH TLS} required.
        """
        self.serve(tlsRequired=True)
        return self.roundTrip(explicit_tls="true",
                              no_check_certificate="true")

    def test_implicitTLS(self):
        """
        The same on an implicit FTPS port.
        """
        self.serveImplicit()
        return self.roundTrip(tls="true", no_check_certificate="true")

    async def test_listWithoutMLSD(self):
        """
        Told not to use MLSD, rclone lists with C{LIST path} and takes times
        from MDTM; C{LIST -dir} for a directory called C{-dir} lists it.
        """
        self.serve()
        os.makedirs(os.path.join(self.local, "-dir"))
        with open(os.path.join(self.local, "-dir", "inside.txt"), "wb") as f:
            f.write(b"inside\n")
        await self.rclone("copy", self.local, self.remote())
        listed = await self.rclone("lsjson", self.remote(
            "", disable_mlsd="true"))
        self.assertIn('"ModTime":"2019-03-04T05:06:07Z"', listed)
        self.assertIn('"ModTime":"2030-01-02T03:04:05Z"', listed)
        names = await self.rclone("lsf", self.remote(
            "-dir", disable_mlsd="true"))
        self.assertEqual(names.split(), ["inside.txt"])
        await self.rclone("check", "--one-way", self.local, self.remote(
            "", disable_mlsd="true"))

    async def test_tls13SessionReuse(self):
        """
        Under TLS 1.3 with session reuse required, rclone with one control
        connection (C{--transfers 1 --checkers 1}) uploads, lists and
        downloads 8 files of 1 MB: the tickets each data connection sent
        at once, which Go never reads on an upload, reset the connection
        when it closed, and cut the upload (9 of 20 went through).
        """
        self.factory = makeContextFactory(self.both, maximumVersion=None)
        self.serve(tlsRequired=True, tlsRequireSessionReuse=True)
        source = os.path.abspath(self.mktemp())
        os.makedirs(source)
        for index in range(8):
            with open(os.path.join(source, "f%d.bin" % index), "wb") as f:
                f.write(os.urandom(1000000))
        remote = self.remote("big", explicit_tls="true",
                             no_check_certificate="true")
        serial = ("--transfers", "1", "--checkers", "1",
                  "--low-level-retries", "1")
        await self.rclone("copy", *serial, source, remote)
        self.assertEqual(treeDigest(os.path.join(self.root, "big")),
                         treeDigest(source))
        listed = await self.rclone("lsf", *serial, remote)
        self.assertEqual(sorted(listed.split()),
                         ["f%d.bin" % index for index in range(8)])
        back = os.path.abspath(self.mktemp())
        await self.rclone("copy", *serial, remote, back)
        self.assertEqual(treeDigest(back), treeDigest(source))
