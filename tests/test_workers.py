"""
Tests for L{ftpkit.workers}: the pure parts, and a real multi-process
server driven by ftplib.
"""

import socket

from twisted.trial import unittest

from ftpkit.workers import parseListenAddress, workerArguments


class ParseListenAddressTests(unittest.SynchronousTestCase):
    """
    The acceptor understands tcp: and tcp6: endpoint descriptions.
    """

    def test_tcp(self):
        self.assertEqual(parseListenAddress("tcp:2121"),
                         (socket.AF_INET, "0.0.0.0", 2121))
        self.assertEqual(
            parseListenAddress("tcp:port=21:interface=127.0.0.1"),
            (socket.AF_INET, "127.0.0.1", 21))

    def test_tcp6EscapedInterface(self):
        self.assertEqual(parseListenAddress("tcp6:2121:interface=\\:\\:1"),
                         (socket.AF_INET6, "::1", 2121))

    def test_otherKindsRefused(self):
        for description in ("ssl:990", "unix:/tmp/s", "haproxy:tcp:21"):
            self.assertRaises(ValueError, parseListenAddress, description)

    def test_badPort(self):
        for description in ("tcp:x", "tcp:0", "tcp:70000", "tcp"):
            self.assertRaises(ValueError, parseListenAddress, description)


class WorkerArgumentsTests(unittest.SynchronousTestCase):
    """
    Workers get the server's options without --workers.
    """

    def test_dropsWorkers(self):
        self.assertEqual(
            workerArguments(["--root", "/x", "--workers", "2",
                             "--workers=3", "--auth", "anonymous"]),
            ["--root", "/x", "--auth", "anonymous"])
