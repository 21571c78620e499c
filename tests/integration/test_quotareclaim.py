"""
The quotas of the fsspec realms drop cut uploads kept for a resume,
oldest first, before they refuse anything for want of room
(L{ftpkit.shells.quotaaccount.QuotaAccount}'s C{reclaim}), as
C{--realm memory}'s bound does: C{memory://?size=}, and a users file's
quota on C{file://}, in one process and under C{--workers 2}; over real
sockets (ftplib).

Before session 32 they could not: the quota is counted above the layer
keeping the cut uploads, and checked each write at once, while dropping
one is a call to the store. C{memory://?size=4M} holding 1.2 MB of files
and 640 KB of cut uploads refused a 3 MB C{STOR} with C{552}, which
C{--realm memory:4M} accepted.
"""

import ftplib
import io
import os

from twisted.trial import unittest

from ftpkit.auth.users import hashPassword
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from tests.cutuploads import cut
from tests.fsspecrealms import LocalMixin, MemoryMixin
from tests.ftpclient import ftplibLogin, replyCode
from tests.integration.test_attack_quota import ALL
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess

try:
    from ftpkit.auth.fsspecrealm import makeFsspecRealm
except ImportError:
    makeFsspecRealm = None

CUTS = 4
"""How many uploads alice cuts."""


def fill(ftp, files, cutSize, big):
    """
    Store two files of C{files} bytes, cut L{CUTS} uploads of C{cutSize}
    bytes, each once the server read them all, then store C{big} bytes
    (blocking).

    @return: C{(the cuts' replies, the big STOR's reply, SIZE of the
        oldest cut and the big file)}.
    """
    for name in ("a", "b"):
        ftp.storbinary("STOR " + name, io.BytesIO(b"f" * files))
    cuts = [cut(ftp, "n%d" % each, cutSize, untilRead=True)
            for each in range(CUTS)]
    stored = replyCode(lambda: ftp.storbinary("STOR big",
                                              io.BytesIO(b"B" * big)))
    sizes = []
    for name in ("n0", "big"):
        try:
            sizes.append(ftp.size(name))
        except ftplib.error_perm as e:
            sizes.append(str(e)[:3])
    return cuts, stored, sizes


class MemoryBoundTests(MemoryMixin, LoopbackServerMixin, unittest.TestCase):
    """
    C{fsspec:memory://?size=4M}: the case measured in session 31.
    """

    timeout = 120

    def setUp(self):
        super().setUp()
        self.port = self.startServer(
            makeFsspecRealm(
                f"memory://{self.where}?size=4M&global_store=true", {}),
            ServerConfig(loginFailureDelay=0)).port

    def filled(self):
        """
        See L{fill}: 1.1 MB of files, 640 KB of cut uploads, 3 MB more
        (blocking).
        """
        ftp = ftplibLogin(self, self.port, binary=True)
        try:
            return fill(ftp, 550000, 160000, 3000000)
        finally:
            ftp.quit()

    async def test_droppedForRoom(self):
        """
        The 3 MB upload fits once the oldest cut uploads are dropped
        (C{552} before); the oldest's user's C{SIZE} answers C{550}.
        """
        cuts, stored, sizes = await self.inThread(self.filled)
        self.assertEqual((cuts, stored), (["426"] * CUTS, "226"))
        self.assertEqual(sizes, ["550", 3000000])
        self.assertEqual(len(self.read("big")), 3000000)


def usersFile(root, quota):
    """
    Write a users file in C{root} whose alice (password C{secret}) has
    the home C{alice} and a quota of C{quota} bytes.

    @return: its path.
    """
    users = os.path.join(root, "users.toml")
    with open(users, "w") as f:
        f.write(f'[users.alice]\npassword = "{hashPassword("secret")}"\n'
                f'home = "alice"\nquota = {quota}\npermissions = {ALL}\n')
    return users


QUOTA = 400000
"""alice's quota on C{file://}: 120 KB of files and 256 KB of cut uploads
fit, and 250 KB more do only without some of those."""


def filledOnWorkers(testCase, *options):
    """
    Start a two-worker server whose C{fsspec:file://} realm holds alice
    to L{QUOTA}, and L{fill} her home from one session (one worker),
    its cuts and its upload checked.

    @param testCase: the running test.
    @param options: more of the server's options.
    @return: C{(server, ftp, sizes)}: the L{ServerProcess}, alice's
        logged-in session, and what L{fill} found of the oldest cut and
        the big file.
    """
    root = scratchDirectory(testCase)
    users = usersFile(root, QUOTA)
    server = ServerProcess(testCase, [
        "--root", root, "--workers", "2",
        "--realm", f"fsspec:file://{root}?users={users}",
        "--auth", f"users:{users}", *options])
    # " ready" ends the text line and stands in the JSON record.
    server.waitForLog(" ready", 2)
    ftp = ftplibLogin(testCase, server.port, binary=True)
    cuts, stored, sizes = fill(ftp, 60000, 64000, 250000)
    testCase.assertEqual((cuts, stored), (["426"] * CUTS, "226"))
    return server, ftp, sizes


class LocalQuotaTests(LocalMixin, LoopbackServerMixin, unittest.TestCase):
    """
    C{fsspec:file://} with a users file's quota, one process.
    """

    timeout = 120

    def setUp(self):
        self.root = scratchDirectory(self)
        users = usersFile(self.root, QUOTA)
        self.port = self.startServer(
            makeFsspecRealm(f"file://{self.root}?users={users}", {}),
            ServerConfig(loginFailureDelay=0),
            users={"alice": "secret"}, anonymous=False).port

    def filled(self):
        """
        See L{fill} (blocking).
        """
        ftp = ftplibLogin(self, self.port, "alice", "secret", binary=True)
        try:
            return fill(ftp, 60000, 64000, 250000)
        finally:
            ftp.quit()

    async def test_droppedForRoom(self):
        """
        The 250 KB upload fits once the oldest cut uploads are dropped
        (C{552} before).
        """
        cuts, stored, sizes = await self.inThread(self.filled)
        self.assertEqual((cuts, stored), (["426"] * CUTS, "226"))
        self.assertEqual(sizes, ["550", 250000])


class WorkersQuotaTests(unittest.TestCase):
    """
    C{fsspec:file://} with a users file's quota under C{--workers 2}: a
    worker drops the cut uploads it kept, and the workers' shared count
    of the home learns what that freed.
    """

    timeout = 120

    if makeFsspecRealm is None:
        skip = "fsspec is not installed"

    def test_droppedForRoom(self):
        """
        One session (one worker) cuts its uploads, then stores 250 KB:
        it fits (C{552} before).
        """
        _, _, sizes = filledOnWorkers(self)
        self.assertEqual(sizes, ["550", 250000])
