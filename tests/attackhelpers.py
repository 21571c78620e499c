"""
Helpers that more than one attack test module uses
(C{tests/integration/test_attack_*.py}).
"""

import contextlib
import os
import socket

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from tests.rawclient import RawClient
from tests.scratch import scratchDirectory


class ServedRootMixin(LoopbackServerMixin):
    """
    A loopback server on a scratch root holding C{f.txt}.
    """

    timeout = 60

    def setUp(self):
        self.root = scratchDirectory(self)
        with open(os.path.join(self.root, "f.txt"), "wb") as f:
            f.write(b"hello\n")
        self.server = self.startServer(FilesystemRealm(self.root),
                                       ServerConfig())

    def session(self, *lines):
        """
        Log in as alice and send C{lines}.

        @return: a L{Deferred} firing with the replies to C{lines}.
        """
        def run():
            client = RawClient(self.server.port)
            try:
                client.login()
                return [client.command(line) for line in lines]
            finally:
                client.close()

        return self.inThread(run)


CLIENT_WAIT = 20
"""Seconds an attack test's client waits for a reply or for its connection
to end: far less than the server's data timeout, so that a connection the
server leaves hanging shows as a timeout, not as the end of its listener."""


@contextlib.contextmanager
def fullListener():
    """
    A listening socket on 127.0.0.1 whose queue is full: a connect to it
    gets no answer (the system drops its SYN) until it gives up.

    @return: a context manager giving the listening socket; the
        connections filling its queue are closed with it.
    """
    listener = socket.socket()
    fillers = []
    with listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        try:
            for _ in range(8):
                filler = socket.socket()
                fillers.append(filler)
                filler.settimeout(0.5)
                try:
                    filler.connect(listener.getsockname())
                except TimeoutError:
                    # Not answered: the queue is full.
                    break
            yield listener
        finally:
            for filler in fillers:
                filler.close()
