"""
Real clients listing one directory the listings' cache does not hold yet
at the same moment, sharing its read (L{ftpkit.shells.sharedreads}): one
that reads nothing of its data connection holds up none of the others,
and its end (C{ABOR}, its connection cut) leaves theirs whole.
"""

import os
import socket

from twisted.internet import threads
from twisted.trial import unittest

from tests.serverprocess import ServerProcess

ENTRIES = 20000
"""Twice what a listing reads at its first batch
(L{ftpkit.shells.cachedlistings.WHOLE_ENTRIES}): the read is still in
flight when the others join it."""


def _stalled(client, command):
    """
    Send a listing command on a passive data connection whose receive
    buffer is small, and read nothing of it.

    @return: the data connection.
    """
    host, port = client.makepasv()
    data = socket.socket()
    data.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    data.connect((host, port))
    client.sendcmd(command)
    return data


def _drained(client, data):
    """
    Read a data connection to its end, and the reply after it.

    @return: the names its listing gives, as L{_listed} does.
    """
    chunks = []
    while True:
        chunk = data.recv(1 << 16)
        if not chunk:
            break
        chunks.append(chunk)
    data.close()
    client.voidresp()
    lines = b"".join(chunks).decode().splitlines()
    names = (line.rsplit(" ", 1)[-1] for line in lines)
    return sorted(name for name in names if name not in (".", ".."))


def _listed(client, command):
    """
    @return: the names of a whole listing, but C{MLSD}'s C{.} and C{..}.
    """
    lines = []
    client.retrlines(command, lines.append)
    names = (line.rsplit(" ", 1)[-1] for line in lines)
    return sorted(name for name in names if name not in (".", ".."))


class StalledReaderTests(unittest.TestCase):
    """
    A client that stops reading its listing, and then ends it, while
    others list the same directory.
    """

    timeout = 120

    cacheArguments = ()
    """More arguments of the server."""

    def setUp(self):
        self.root = os.path.abspath(self.mktemp())
        self.many = os.path.join(self.root, "many")
        os.makedirs(self.many)
        for number in range(ENTRIES):
            open(os.path.join(self.many, f"f{number:05d}"), "wb").close()
        self.names = sorted(f"f{number:05d}" for number in range(ENTRIES))
        self.server = ServerProcess(self, ["--root", self.root,
                                           "--auth", "anonymous",
                                           *self.cacheArguments])
        self.server.waitForGreeting()

    def test_stalledThenCut(self):
        """
        The first client's C{LIST} is read by nobody; the others' C{LIST}
        and C{MLSD} are whole meanwhile; its connection is cut, and the
        next ones are whole too.
        """
        return threads.deferToThread(self.stalledThenCut)

    def stalledThenCut(self):
        first = self.server.login()
        data = _stalled(first, "LIST many")
        others = [self.server.login() for _ in range(2)]
        self.assertEqual(_listed(others[0], "LIST many"), self.names)
        self.assertEqual(_listed(others[1], "MLSD many"), self.names)
        data.close()
        first.sock.close()
        self.assertEqual(_listed(others[0], "MLSD many"), self.names)
        self.assertEqual(_listed(others[1], "LIST many"), self.names)

    def test_stalledThenAborted(self):
        """
        The first client's C{LIST} stalls while another's goes on, then
        it sends C{ABOR}: the other's listing is whole, and the first's
        session goes on (its next listing whole).
        """
        return threads.deferToThread(self.stalledThenAborted)

    def stalledThenAborted(self):
        first = self.server.login()
        data = _stalled(first, "LIST many")
        other = self.server.login()
        self.assertEqual(_listed(other, "LIST many"), self.names)
        first.putcmd("ABOR")
        data.close()
        first.putcmd("NOOP")
        replies = []
        while not replies or not replies[-1].startswith("200"):
            replies.append(first.getline())
        self.assertIn("226", [reply[:3] for reply in replies])
        self.assertEqual(_listed(first, "LIST many"), self.names)

    def test_stalledThenRead(self):
        """
        The first client's C{LIST} is read by nobody while the others'
        C{LIST} and C{MLSD} are read whole; then it is read, and it is
        whole too.
        """
        return threads.deferToThread(self.stalledThenRead)

    def stalledThenRead(self):
        first = self.server.login()
        data = _stalled(first, "LIST many")
        others = [self.server.login() for _ in range(2)]
        self.assertEqual(_listed(others[0], "LIST many"), self.names)
        self.assertEqual(_listed(others[1], "MLSD many"), self.names)
        self.assertEqual(_drained(first, data), self.names)


class LargerThanCacheTests(StalledReaderTests):
    """
    The same where the listing is larger than the cache, which keeps more
    than the first read of it (L{ftpkit.shells.cachedlistings.WHOLE_ENTRIES}):
    the read shared lets each batch go once taken, and every listing is
    whole. (The sockets' buffers take most of a listing this size, so the
    client that stops reading is not left far enough behind to be given a
    read of its own: C{tests.unit.test_listingshare} gives one.)
    """

    cacheArguments = ("--listing-cache", "1500K")
