"""
Tests for L{ftpkit.deploy.rundirs}: an acceptor's temporary directories,
and the ones killed processes left.
"""

import os
import subprocess
import sys

from twisted.trial import unittest

from ftpkit.deploy.rundirs import makeRunDirectory


def deadPid():
    """
    @return: the id of a process that has ended.
    """
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


class RunDirectoryTests(unittest.TestCase):
    """
    L{makeRunDirectory}.
    """

    def setUp(self):
        self.parent = self.mktemp()
        os.makedirs(self.parent)

    def test_namedAfterProcess(self):
        """
        The new directory is private and named after this process.
        """
        path = makeRunDirectory("ftpkit-quota-", self.parent)
        self.assertEqual(os.path.dirname(path), self.parent)
        self.assertTrue(os.path.basename(path).startswith(
            "ftpkit-quota-%d-" % os.getpid()))
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o700)

    def test_orphansRemoved(self):
        """
        A directory a killed process left (its id no longer runs) is
        removed when the next one is made: each C{SIGKILL}ed acceptor left
        one in C{/tmp} for good. Those of running processes, of another
        prefix and not named after a process stay.
        """
        orphan = os.path.join(self.parent,
                              "ftpkit-quota-%d-abc" % deadPid())
        os.makedirs(os.path.join(orphan, "ledger"))
        kept = [os.path.join(self.parent, name) for name in [
            "ftpkit-quota-%d-abc" % os.getpid(),
            "ftpkit-metrics-%d-abc" % deadPid(),
            "ftpkit-quota-abc",
        ]]
        for path in kept:
            os.makedirs(path)
        made = makeRunDirectory("ftpkit-quota-", self.parent)
        self.assertFalse(os.path.exists(orphan))
        self.assertEqual(sorted(os.listdir(self.parent)), sorted(
            os.path.basename(path) for path in [*kept, made]))
