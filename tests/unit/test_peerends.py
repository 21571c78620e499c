"""
Tests for L{ftpkit.data.watchdog.WatchedConnection}'s socket of a data
connection whose transport dropped it.
"""

from twisted.trial import unittest

from ftpkit.data.watchdog import WatchedConnection, unacknowledged


class ClosedTransport:
    """
    A TCP transport after its connection was lost: Twisted's drops its
    C{socket}, so C{getHandle} raises.
    """

    def getHandle(self):
        raise AttributeError("'Server' object has no attribute 'socket'")


class LostSocketTests(unittest.TestCase):
    """
    A data connection whose transport has dropped its socket has none to
    watch.
    """

    def test_noSocket(self):
        """
        No socket (and so nothing the kernel still holds for it), not an
        C{AttributeError} out of the watchdog's look or a session's end
        (a client killed: its connections lost in one turn).
        """
        connection = WatchedConnection()
        connection.socketTransport = ClosedTransport()
        self.assertIsNone(connection._watchedSocket())
        self.assertIsNone(unacknowledged(connection._watchedSocket()))
