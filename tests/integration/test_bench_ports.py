"""
The benchmark's servers start on a port only they listen on: a port
picked free a moment before may be taken by another server meanwhile
(tests run in parallel), and one that logs the benchmark's user in
passed for the server started, which then failed (C{502 TLS is not
configured on this server} in C{test_bench_instructions}).
"""

import os
import socket
import subprocess
import sys

from twisted.trial import unittest

from bench import servers
from bench.servers import Pyftpdlib, holdsSocket, listenerInode
from tests.scratch import scratchDirectory


def listening():
    """
    @return: a socket listening on 127.0.0.1, on a port of its own.
    """
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    return s


class ListenerTests(unittest.TestCase):
    """
    L{listenerInode} and L{holdsSocket}.
    """

    def test_ours(self):
        """
        A socket this process listens on is found, and is this
        process's, not another's.
        """
        s = listening()
        self.addCleanup(s.close)
        inode = listenerInode(s.getsockname()[1])
        self.assertIsNotNone(inode)
        self.assertTrue(holdsSocket([os.getpid()], inode))
        other = subprocess.Popen([sys.executable, "-c", "input()"],
                                 stdin=subprocess.PIPE)
        self.addCleanup(other.wait)
        self.addCleanup(other.stdin.close)
        self.assertFalse(holdsSocket([other.pid], inode))

    def test_none(self):
        """
        A port nothing listens on has no listener.
        """
        self.assertIsNone(listenerInode(servers.freePort()))


class TakenPortTests(unittest.TestCase):
    """
    L{servers.Server.start} on a port another process took.
    """

    timeout = 60

    def startBeside(self, taken):
        """
        Start a server whose first port is C{taken}'s.

        @param taken: a socket holding a port.
        @return: the L{servers.Instance} started.
        """
        self.addCleanup(taken.close)
        ports = [taken.getsockname()[1]]
        free = servers.freePort
        self.patch(servers, "freePort",
                   lambda: ports.pop() if ports else free())
        root = scratchDirectory(self)
        instance = Pyftpdlib(root, scratchDirectory(self), None).start()
        self.addCleanup(instance.stop)
        self.assertNotEqual(instance.port, taken.getsockname()[1])
        self.assertTrue(holdsSocket(instance.tree.pids(),
                                    listenerInode(instance.port)))
        instance.client().quit()
        return instance

    def test_anotherPort(self):
        """
        The server is started again on another port, and the instance
        is the one on that port.
        """
        self.startBeside(listening())

    def test_bindFailed(self):
        """
        A server that exits because its port was taken (C{Address already
        in use}: bound by another socket, which does not listen, between
        L{servers.freePort} and the server's bind) is started again on
        another port, not reported as failed.
        """
        taken = socket.socket()
        taken.bind(("127.0.0.1", 0))
        self.startBeside(taken)

    def test_boundElsewhere(self):
        """
        L{servers.boundElsewhere} tells a port another socket holds from
        a free one.
        """
        taken = socket.socket()
        self.addCleanup(taken.close)
        taken.bind(("127.0.0.1", 0))
        self.assertTrue(servers.boundElsewhere(taken.getsockname()[1]))
        self.assertFalse(servers.boundElsewhere(servers.freePort()))
