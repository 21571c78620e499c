"""
The servers and data connections of C{tests/integration/test_guiclients*}:
FileZilla's and WinSCP's command sequences (see L{tests.personas}) and
the commands clients send while a transfer runs, replayed against one
process and against C{--workers 2}, in the clear and under explicit FTPS,
over C{PASV} and C{EPSV}.

The four ways a test class is served are pairs of those settings, so that
each setting meets each other one: L{SingleProcess} and L{TwoWorkers}
with L{Clear} or L{Protected}, and L{Passive} or L{ExtendedPassive}.
"""

import os
import socket
import ssl

from tests.personas import PersonaTestsMixin
from tests.serverprocess import ServerProcess, childrenOf
from tests.uploadsinprogress import uploadSizes

READY = " ready\n"
"""What the acceptor logs when a worker is ready."""

HUGE = 16 * 2 ** 20 + 5
"""The size of C{huge.bin}: past what the kernel buffers (C{tcp_wmem}'s
ceiling is 4 MiB) for a client that reads nothing, so that a download of
it is still running when the client's next commands arrive."""

SMALL_WINDOW = 4096
"""The receive buffer of a data connection a client leaves unread: the
server can put little in flight, and a transfer waits on the client."""


def dataSocket(address, small=False):
    """
    @param address: a passive reply's C{(host, port)}.
    @param small: give the socket a small receive buffer (before it
        connects, so that the window it offers is small).
    @return: a blocking socket connected to C{address}.
    """
    sock = socket.socket(socket.AF_INET6 if ":" in address[0]
                         else socket.AF_INET)
    if small:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SMALL_WINDOW)
    sock.settimeout(20)
    sock.connect(address)
    return sock


def widen(sock):
    """
    Give a data connection opened with a small receive buffer a large
    one, once it has held the transfer up long enough: a small window to
    the end would make the rest crawl (the peer waits for window
    updates).

    @param sock: the data connection.
    """
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)


def readUntilEnd(sock):
    """
    Read a data connection, L{widen}ed first, until it ends, however it
    ends (a download's end or an aborted one's reset, with or without a
    C{close_notify}); then close it, as clients do at its end (in the
    clear the server waits for that, or a few seconds, before its
    C{226}).

    @return: C{(data, clean)}: the bytes read, and whether it ended in
        order (a FIN, under TLS after a C{close_notify}).
    """
    widen(sock)
    chunks = []
    with sock:
        while True:
            try:
                chunk = sock.recv(1 << 20)
            except (ssl.SSLError, OSError):
                return b"".join(chunks), False
            if not chunk:
                return b"".join(chunks), True
            chunks.append(chunk)


class GUIClientsMixin(PersonaTestsMixin):
    """
    A served tree (L{PersonaTestsMixin}'s, and C{huge.bin}); a subclass
    mixes in one of each setting below.

    @ivar security: C{None} or C{"explicit"}.
    @ivar verb: C{"PASV"} or C{"EPSV"}.
    """

    def setUp(self):
        PersonaTestsMixin.setUp(self)
        self.huge = os.urandom(2 ** 20) * 16 + b"tail!"
        assert len(self.huge) == HUGE
        with open(os.path.join(self.root, "huge.bin"), "wb") as f:
            f.write(self.huge)
        self.launch()

    def session(self, client):
        """
        Run C{client(wire)} in a thread on a logged-in control connection
        in L{security} (C{PBSZ 0}, C{PROT P} under TLS), after C{TYPE I}.

        @return: a Deferred with its result.
        """
        def logged(wire):
            wire.login(protect=self.security is not None)
            wire.ok("TYPE I", 200)
            return client(wire)
        return self.converse(logged, self.security)

    def start(self, wire, command, rest=None, small=False):
        """
        Start a transfer FileZilla 3's way: C{PASV} or C{EPSV}, C{REST}
        when resuming (after the passive reply, as its C{rawtransfer}
        sends it), the data connection and its handshake, the command;
        then its C{150}.

        @return: the data connection.
        """
        data = dataSocket(wire.passive(self.verb), small)
        if rest is not None:
            wire.ok("REST %d" % (rest,), 350)
        if self.security is not None:
            data = wire.secure(data)
        wire.send(command)
        wire.ok(None, 150)
        return data

    def endUpload(self, data):
        """
        End an upload's data connection as the engines do: a
        C{close_notify} under TLS, then the close.
        """
        if isinstance(data, ssl.SSLSocket):
            data = data.unwrap()
        data.close()

    def cut(self, data):
        """
        End an upload's data connection the way a lost network or a
        cancelling client does: under TLS with no C{close_notify}, in the
        clear with a reset (a FIN in stream mode ends the file).
        """
        raw = socket.socket(fileno=data.detach()) \
            if isinstance(data, ssl.SSLSocket) else data
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                       b"\x01\x00\x00\x00\x00\x00\x00\x00")
        raw.close()


class SingleProcess:
    """
    The server in the test's own process.
    """

    def launch(self):
        """
        Serve the tree (TLS session reuse required on data connections).
        """
        self.serve(tlsRequireSessionReuse=True)

    def uploading(self):
        """
        @return: the sizes of the uploads in progress under the root
            (L{uploadSizes}).
        """
        return uploadSizes(self.root)


class TwoWorkers:
    """
    C{python -m ftpkit --workers 2}, as the clients' users deploy it.
    """

    def launch(self):
        """
        Start it, and wait for both workers.
        """
        self.server = ServerProcess(self, [
            "--root", self.root, "--auth", "memory:alice:secret",
            "--workers", "2", "--tls-cert", self.both, "--tls-allow-1.3",
            "--tls-require-session-reuse"])
        self.server.waitForLog(READY, 2)

    def uploading(self):
        """
        @return: the sizes of the uploads in progress under the root, in
            either worker (L{uploadSizes}).
        """
        return [size for pid in childrenOf(self.server.process.pid)
                for size in uploadSizes(self.root, pid)]


class Clear:
    """
    Plain FTP.
    """

    security = None


class Protected:
    """
    Explicit FTPS: C{AUTH TLS}, C{PBSZ 0}, C{PROT P}.
    """

    security = "explicit"


class Passive:
    """
    C{PASV}, FileZilla's and WinSCP's choice over IPv4.
    """

    verb = "PASV"


class ExtendedPassive:
    """
    C{EPSV}, theirs over IPv6 or through a proxy.
    """

    verb = "EPSV"
