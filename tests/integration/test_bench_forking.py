"""
Each benchmarked server says whether its sessions live in processes of
their own (L{bench.servers.Server.forksPerSession}): the benchmark reads
such a server's CPU time only once those processes are reaped, and sums
its memory as proportional set sizes.
"""

import os
import shutil
import tempfile

from twisted.trial import unittest

from bench.servers import SERVERS
from tests.scratch import scratchDirectory


class ForksPerSessionTests(unittest.TestCase):
    """
    A server's process tree grows while a session is connected exactly
    when it says its sessions fork.
    """

    timeout = 120

    def checkServer(self, name):
        """
        Start the server C{name} and count its processes before and with
        three clients logged in: a server whose sessions fork has at least
        two more (three, less one its start's login may have left until
        it is reaped), any other as many.

        @param name: a key of L{SERVERS}.
        """
        kind = SERVERS[name]
        if not kind.installed():
            raise unittest.SkipTest(f"{name} is not installed")
        # A directory the servers' unprivileged users can enter, as the
        # benchmark's own (bench.cpuperop).
        root = tempfile.mkdtemp(prefix="ftpkit-forking-")
        self.addCleanup(shutil.rmtree, root, True)
        os.chmod(root, 0o755)
        instance = kind(root, scratchDirectory(self), None).start()
        self.addCleanup(instance.stop)
        before = len(instance.tree.pids())
        clients = [instance.client() for _ in range(3)]
        with3 = len(instance.tree.pids())
        for client in clients:
            client.quit()
        self.assertEqual(with3 - before >= 2, kind.forksPerSession,
                         f"{name}: {before} processes, {with3} with three "
                         f"sessions")



def _says(name):
    """
    @param name: a key of L{SERVERS}.
    @return: a test that C{name} says whether its sessions fork.
    """
    def test(self):
        self.checkServer(name)
    test.__doc__ = f"C{{{name}}} says whether its sessions fork."
    return test


for _name in ("ftpkit", "ftpkit-w2", "pyftpdlib", "pyftpdlib-info", "vsftpd",
              "proftpd", "pure-ftpd"):
    setattr(ForksPerSessionTests, "test_" + _name.replace("-", "_"),
            _says(_name))
