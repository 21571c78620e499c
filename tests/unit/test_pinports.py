"""
Tests for L{ftpkit.deploy.pinports}: the workers' C{--listen} values with
the ports the acceptor bound.
"""

from twisted.trial import unittest

from ftpkit.deploy.pinports import pinnedArgv, withPort


class WithPortTests(unittest.SynchronousTestCase):
    """
    L{withPort} replaces the port field only, escapes kept.
    """

    def test_placed(self):
        self.assertEqual(withPort("tcp6:0:interface=\\:\\:1", 2121),
                         "tcp6:2121:interface=\\:\\:1")

    def test_named(self):
        self.assertEqual(
            withPort("haproxy:ssl:port=0:privateKey=a\\:1.pem", 990),
            "haproxy:ssl:port=990:privateKey=a\\:1.pem")


class PinnedArgvTests(unittest.SynchronousTestCase):
    """
    L{pinnedArgv} pins each C{--listen} value, in order, however the
    option is spelled, and nothing else.
    """

    def test_listens(self):
        argv = ["--root", "/srv", "--metrics", "tcp:0", "--listen",
                "tcp:0", "--read-only", "--lis=ssl:0:privateKey=k.pem",
                "--workers", "2"]
        self.assertEqual(pinnedArgv(argv, [21, 990]), [
            "--root", "/srv", "--metrics", "tcp:0", "--listen", "tcp:21",
            "--read-only", "--lis=ssl:990:privateKey=k.pem", "--workers",
            "2"])

    def test_defaultListen(self):
        """
        Without C{--listen} (the default listener), nothing changes.
        """
        self.assertEqual(pinnedArgv(["--workers", "2"], [2121]),
                         ["--workers", "2"])
