"""
Tests for L{ftpkit.deploy.readynotify}: systemd's C{READY=1}.
"""

import os
import shutil
import socket
import tempfile

from twisted.trial import unittest

from ftpkit.deploy.readynotify import (
    READY,
    VARIABLE,
    NotifyReady,
    notify,
    notifyAddress,
)


class FakeReactor:
    """
    A reactor that records what is to be called once it runs.

    @ivar whenRunning: the C{(callable, args)} given to
        L{callWhenRunning}.
    """

    def __init__(self):
        self.whenRunning = []

    def callWhenRunning(self, f, *args):
        """
        Record C{f} and C{args}.
        """
        self.whenRunning.append((f, args))

    def run(self):
        """
        Call what was recorded.
        """
        for f, args in self.whenRunning:
            f(*args)


def notificationSocket(testCase):
    """
    @param testCase: the running test (its cleanups close and remove it).
    @return: C{(path, socket)}: a bound Unix datagram socket in a new
        directory (short: a socket's path holds at most 107 bytes).
    """
    directory = tempfile.mkdtemp(prefix="ftpkit-notify-")
    testCase.addCleanup(shutil.rmtree, directory, True)
    path = os.path.join(directory, "notify")
    receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    testCase.addCleanup(receiver.close)
    receiver.bind(path)
    receiver.settimeout(5)
    return path, receiver


class NotifyAddressTests(unittest.TestCase):
    """
    L{notifyAddress}.
    """

    def test_path(self):
        """
        An absolute path is the socket's.
        """
        self.assertEqual(notifyAddress("/run/systemd/notify"),
                         "/run/systemd/notify")

    def test_abstract(self):
        """
        C{@NAME} is an abstract socket: its name after a NUL.
        """
        self.assertEqual(notifyAddress("@ftpkit/1"), b"\0ftpkit/1")

    def test_none(self):
        """
        No value, an empty one, a relative path or a C{vsock:} address
        name no socket ftpkit speaks to.
        """
        for value in (None, "", "notify", "vsock:2:1234"):
            self.assertIsNone(notifyAddress(value), value)


class NotifyTests(unittest.TestCase):
    """
    L{notify}.
    """

    def test_sent(self):
        """
        The message arrives as one datagram.
        """
        path, receiver = notificationSocket(self)
        self.assertTrue(notify(path, READY))
        self.assertEqual(receiver.recv(100), b"READY=1")

    def test_nobodyListens(self):
        """
        A socket that is not there loses the message, without an error.
        """
        path, receiver = notificationSocket(self)
        self.assertFalse(notify(path + "-gone", READY))


class NotifyReadyTests(unittest.TestCase):
    """
    L{NotifyReady}.
    """

    def test_readyOnceRunning(self):
        """
        C{READY=1} is sent once the reactor runs, not before, and the
        variable leaves the environment as the service starts (the
        workers, started later, do not inherit it).
        """
        path, receiver = notificationSocket(self)
        environ = {VARIABLE: path, "HOME": "/"}
        reactor = FakeReactor()
        ready = NotifyReady(reactor, environ)
        ready.startService()
        self.assertEqual(environ, {"HOME": "/"})
        self.assertEqual(ready.address, path)
        receiver.setblocking(False)
        self.assertRaises(BlockingIOError, receiver.recv, 100)
        reactor.run()
        self.assertEqual(receiver.recv(100), READY)

    def test_noSocket(self):
        """
        Without the variable, nothing is sent nor scheduled.
        """
        reactor = FakeReactor()
        ready = NotifyReady(reactor, {})
        ready.startService()
        self.assertIsNone(ready.address)
        self.assertEqual(reactor.whenRunning, [])
