"""
Tests for the SQLite storage example: ftpkit's conformance kit run
against it, as a storage plugin's own tests do (C{python -m twisted.trial
test_ftpkit_sqlite}, with this directory on C{sys.path}).
"""

from ftpkit_sqlite import SQLiteShell
from twisted.trial import unittest

from ftpkit.testing import IFTPShellConformanceMixin


class SQLiteShellConformanceTests(IFTPShellConformanceMixin,
                                  unittest.TestCase):
    """
    L{SQLiteShell} passes the conformance kit.
    """

    def makeShell(self):
        """
        @return: a L{SQLiteShell} on a new database file.
        """
        shell = SQLiteShell(self.mktemp())
        self.addCleanup(shell.pool.stop)
        return shell

    def settle(self):
        """
        Wait for the shell's thread, then let the reactor run a moment.
        """
        settling = self.shell.pool.run(lambda: None)
        settling.addCallback(
            lambda ignored: IFTPShellConformanceMixin.settle(self))
        return settling
