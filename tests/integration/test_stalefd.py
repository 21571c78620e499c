"""
A descriptor ftpkit closes itself (a bare data socket) must not be reused,
within the same batch of reactor events, by a connection that then gets
the event fetched for the old socket.

A server subprocess is stopped (SIGSTOP) while the events pile up, so that
its next C{epoll_wait} returns them in one batch, in a known order: the
control connection's end (which closes the data socket), new connections
on the listening port (accepted into the freed descriptor number), then the
data socket's reset.
"""

import os
import signal
import socket
import struct
import subprocess
import sys

from twisted.trial import unittest

from ftpkit.loopback import quietPort
from tests.polling import waitUntil
from tests.scratch import scratchDirectory
from tests.twistdrun import SOURCE

NEWCOMERS = 6
"""Clients that connect while the server is stopped."""


def _stopped(pid):
    """
    @return: whether process C{pid} is stopped (state C{T}).
    """
    with open("/proc/%d/stat" % pid) as f:
        return f.read().rsplit(")", 1)[1].split()[0] in ("T", "t")


def _reply(reader):
    """
    @return: the next reply line, or C{b""} at end of file.
    """
    try:
        return reader.readline()
    except ConnectionResetError:
        return b""


class StaleEventTests(unittest.TestCase):
    """
    New sessions survive a data socket closed in the middle of an event
    batch.
    """

    timeout = 60

    def setUp(self):
        if not sys.platform.startswith("linux"):
            raise unittest.SkipTest("epoll and /proc are Linux's")
        self.root = scratchDirectory(self)
        with open(os.path.join(self.root, "big.bin"), "wb") as f:
            f.write(b"\0" * (16 << 20))
        # Below the ephemeral range: other tests' probes of passive
        # ports (which are ephemeral) never reach it, and a stray
        # connection would change how many the server accepts at once.
        self.port = quietPort()
        if self.port is None:
            raise unittest.SkipTest("no free port below the ephemeral range")
        env = dict(os.environ, PYTHONPATH=SOURCE)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ftpkit",
             "--listen", "tcp:%d:interface=127.0.0.1" % self.port,
             "--root", self.root, "--auth", "memory:alice:secret"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        self.addCleanup(self.stopServer)
        self.sockets = []
        self.addCleanup(self.closeSockets)
        if not waitUntil(self.listening, 20):
            self.fail("server did not start")

    def listening(self):
        """
        @return: whether the server listens (read from C{/proc}, since a
            probe connection would change how many connections the server
            accepts at once; see L{test_newSessionsSurvive}).
        """
        local = "0100007F:%04X" % self.port
        with open("/proc/net/tcp") as f:
            return any(line.split()[1:4:2] == [local, "0A"]
                       for line in f.readlines()[1:])

    def stopServer(self):
        self.process.send_signal(signal.SIGCONT)
        self.process.kill()
        self.process.wait(20)

    def closeSockets(self):
        for sock in self.sockets:
            sock.close()

    def connect(self, port=None, receiveBuffer=None):
        """
        @return: a socket connected to the server (control port by
            default), kept until the test ends.
        """
        sock = socket.socket()
        self.sockets.append(sock)
        sock.settimeout(10)
        if receiveBuffer is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF,
                            receiveBuffer)
        sock.connect(("127.0.0.1", port or self.port))
        return sock

    def command(self, control, reader, line):
        control.sendall(line + b"\r\n")
        return _reply(reader)

    def test_newSessionsSurvive(self):
        """
        A client downloading (the server's C{sendfile} writer waits for
        room) closes its control connection, new clients connect, and the
        client resets its data connection, all while the server is
        stopped: every new client then gets its greeting and an answer to
        USER.

        Twisted's listening port accepts, per event, as many connections
        as it accepted the time before (or 20 more when that many were
        waiting): after two connections accepted one by one (an
        idle one, then the downloading client) it takes up to 21 at once, so
        that all the new clients are accepted in the batch that frees the
        data socket's descriptor.
        """
        idle = self.connect()
        idleReader = idle.makefile("rb")
        self.assertTrue(_reply(idleReader).startswith(b"220"))
        # Answered on a later reactor turn: the accept loop is over.
        self.assertTrue(
            self.command(idle, idleReader, b"NOOP").startswith(b"200"))
        idleReader.close()
        control = self.connect()
        reader = control.makefile("rb")
        self.assertTrue(_reply(reader).startswith(b"220"))
        self.command(control, reader, b"USER alice")
        self.assertTrue(
            self.command(control, reader, b"PASS secret").startswith(b"230"))
        self.command(control, reader, b"TYPE I")
        epsv = self.command(control, reader, b"EPSV")
        data = self.connect(int(epsv.split(b"|")[-2]), receiveBuffer=4096)
        preliminary = self.command(control, reader, b"RETR big.bin")
        self.assertTrue(preliminary.startswith(b"150"), preliminary)

        self.process.send_signal(signal.SIGSTOP)
        self.assertTrue(waitUntil(lambda: _stopped(self.process.pid)))
        reader.close()
        control.close()
        newcomers = [self.connect() for _ in range(NEWCOMERS)]
        data.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                        struct.pack("ii", 1, 0))
        data.close()
        self.process.send_signal(signal.SIGCONT)

        answers = []
        for sock in newcomers:
            newReader = sock.makefile("rb")
            greeting = _reply(newReader)
            answer = self.command(sock, newReader, b"USER alice")
            answers.append((greeting[:3], answer[:3]))
            newReader.close()
        self.assertEqual(answers, [(b"220", b"331")] * NEWCOMERS)
