"""
Servers of the disk realm on a full disk, for the tests of what a full
disk does to partial uploads (C{tests/integration/test_fullpartials.py},
C{test_roommade.py}): a 1 MiB C{tmpfs} (L{tests.smallmounts}, root only)
holding a file C{old}, served by a server in the test's process
(L{OneProcessServer}) or by one of C{--workers 2} in a child process
(L{WorkersServer}), to alice (password C{secret}) and bob (C{pw}).
"""

import hashlib
import json
import os

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.shells import roompause
from tests.ftpclient import ftplibLogin
from tests.integration.test_diskfull import OLD
from tests.logevents import captureLogs, dropped
from tests.serverprocess import ServerProcess
from tests.smallmounts import smallFilesystem

PARTIAL = ".ftpkit-partial."
"""The start of a partial upload's name."""


def digest(path):
    """
    @param path: a local file.
    @return: the SHA-256 of its bytes.
    """
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class FullDisk:
    """
    A mixin for a L{twisted.trial.unittest.TestCase}: the 1 MiB file
    system at C{self.root}, holding C{self.old}.
    """

    timeout = 120

    def mount(self):
        """
        Mount the file system and write C{old} on it.
        """
        self.root = smallFilesystem(self, size="1m")
        self.old = os.path.join(self.root, "old")
        with open(self.old, "wb") as f:
            f.write(OLD)
        self.oldDigest = digest(self.old)

    def hidden(self):
        """
        @return: the partial uploads on the disk, by name, with their
            sizes.
        """
        return {name: os.path.getsize(os.path.join(self.root, name))
                for name in os.listdir(self.root)
                if name.startswith(PARTIAL)}

    def used(self):
        """
        @return: the bytes the file system holds (the upload's file too,
            nameless or hidden).
        """
        result = os.statvfs(self.root)
        return (result.f_blocks - result.f_bfree) * result.f_frsize

    def free(self):
        """
        @return: the bytes the file system has left.
        """
        result = os.statvfs(self.root)
        return result.f_bavail * result.f_frsize


class OneProcessServer(FullDisk, LoopbackServerMixin):
    """
    A server in this process, which forgets the file systems an earlier
    test found no partial upload on (L{roompause.FRUITLESS_PAUSE}: a new
    C{tmpfs} may get an old one's device number).
    """

    def setUp(self):
        self.patch(roompause, "_pauses", [roompause.Pauses()])
        self.mount()
        self.events = captureLogs(self)
        self.server = self.startServer(FilesystemRealm(self.root),
                                       ServerConfig(loginFailureDelay=0))

    def drops(self):
        """
        @return: the C{partial-dropped} events logged, as
            L{tests.logevents.dropped} gives them.
        """
        return dropped(self.events)

    def login(self, user, password):
        """
        @return: C{user} logged in, in C{TYPE I}.
        """
        return ftplibLogin(self, self.server.port, user, password,
                           binary=True)


class WorkersServer(FullDisk):
    """
    A server of C{--workers 2} in a child process.
    """

    def setUp(self):
        self.mount()
        self.server = ServerProcess(self, [
            "--root", self.root, "--workers", "2", "--log-format", "json",
            "--auth", "memory:alice:secret:bob:pw"])
        self.server.waitForLog(" ready", 2)

    def drops(self):
        """
        @return: the C{partial-dropped} records the server logged, as
            L{tests.logevents.dropped} gives them.
        """
        return dropped(json.loads(line)
                       for line in self.server.log().splitlines()
                       if line.startswith("{"))

    def login(self, user, password):
        """
        @return: C{user} logged in, in C{TYPE I}.
        """
        ftp = self.server.login(user, password)
        ftp.voidcmd("TYPE I")
        return ftp

    def inThread(self, function, *args):
        """
        @return: a Deferred firing with C{function(*args)}, run in a
            thread.
        """
        from twisted.internet import threads
        return threads.deferToThread(function, *args)
