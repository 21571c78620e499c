"""
The eighteenth attack sweep, over real loopback sockets.

A second connection from the client's own address to a passive port,
made while the first waited for its transfer command or after it was
accepted, was left hanging: the listener, its connection taken, went to
the server's pool of listeners (L{ftpkit.data.listenerpool}) still
listening, and the kernel kept the extra connection queued there,
unanswered, until the next C{PASV} of any session reused the port or the
pool closed it (the data timeout, a minute by default): a client could
hold connections (and the server's kernel sockets) by the thousand that
way. One C{PASV} or C{EPSV} serves one data connection: the pool now
closes what its listeners queue (L{ftpkit.data.listenerpool.refuse}),
every L{ftpkit.data.listenerpool.SWEEP_INTERVAL} seconds and when it
hands one to the next session (L{PassiveExtraConnectionTests}).

The C{perm} fact of C{MLST} and C{MLSD} promised what the server then
refused: with a users file's read-only directory C{/ro}, a symbolic link
in a writable directory leading into it (made by a local user) showed
C{adfrw} (a file) or C{cdeflmp} (a directory), and so did what a
listing through such a link showed, while C{RNFR}, C{DELE}, C{STOR} and
C{APPE} of them were refused, as the users file's rules are checked
where a path leads too. The facts are now narrowed by the masks where
each entry leads (L{ftpkit.protocol.leadmasks}), which C{RNFR} asks as
well (L{LinkFactsTests}, on the disk realm and C{fsspec:file://}).

A download in clear whose client ended its side of the data connection
(a FIN: C{shutdown(SHUT_WR)}, which says it sends nothing more) at once
was told C{226 Transfer complete} with none of its bytes sent: C{NLST}
of a directory of names, and any download through Twisted's transport
(a listing, C{TYPE A}), whose transport read the end of the stream and
closed with the bytes still queued, dropping them. Such a download now
gets C{426} (L{HalfClosedDownloadTests}).

A download read slowly but steadily was cut as idle: the data
connection's watchdog counted the bytes the server handed to the kernel,
and a socket whose send buffer is full becomes writable again only once
a third of it has drained, which took a client reading at 40 KB/s some
20 seconds. Such a client got C{426} and the log "idle for 20.0s" at
C{--data-timeout 20} (at the default 60 s, a client under about 20 KB/s)
while reading all along. The watchdog now also counts the bytes the
client took from the kernel's queue (L{SlowReaderTests}).

Tried and held (C{python -m ftpkit}, the C{users:} realm with a quota and
a read-only directory rule, C{tcp:}, C{tcp6:} on C{::1} and an implicit
C{ssl:} listener, explicit TLS; C{--workers 2}; C{--tls-allow-ccc}):
    - C{REST} 5, 2**63-1, 2**64, -1, C{abc}, C{0x10}, padded, before
      C{LIST}, C{NLST}, C{MLSD}, C{STOU}, C{APPE}, C{RETR}, C{STOR},
      C{HASH}, C{SIZE}: listings whole, C{503} for C{STOU} and C{APPE},
      C{554} past the end, C{501} for the rest;
    - C{STOR}, C{SIZE}, C{APPE}, C{NOOP} pipelined behind a 0-byte
      upload, and C{APPE} then C{STOR} on one C{EPSV}: C{226}, C{213 0},
      C{425 Use PORT or PASV first}, in order;
    - C{PBSZ}/C{PROT} before C{AUTH TLS}: C{503}; a passive connection
      made in clear before C{AUTH TLS}: not used after it (C{425}),
      closed; C{CCC} with a half ClientHello pending on the data port:
      that connection reset, C{PBSZ}/C{PROT} after C{CCC} C{503};
      C{REIN} behind a 30 MB download: the download whole, then C{220};
    - the extra connection (clear, C{PROT P}, IPv4 and C{::1}, one
      process and C{--workers 2}): closed once the first is taken; a
      stranger binding a pooled port meanwhile: the next C{EPSV} gets
      another port; 8,000 small downloads over four sessions with an
      extra connection every fifth: descriptors and memory flat;
    - 1,500 control connections cut mid-handshake (C{AUTH TLS} and
      implicit, FIN and reset): descriptors back to 19; 400 sessions
      under C{--workers 2} cut during a download (reset, close, C{ABOR},
      C{REIN}): worker descriptors back, memory within 0.2 MB; 3,000
      connections from C{::1} with 30 held: other clients served;
    - 562 stalled handshakes from 38 addresses: the server full
      (C{421} for others) until the idle timeout, 45 KB each: what
      C{--max-connections} and C{--idle-timeout} bound, as for silent
      clear connections;
    - links leading nowhere, outside the root or to themselves, under a
      directory rule: C{perm} empty (as L{ftpkit.protocol.listingfacts}
      documents for such links, which shells treat differently), no
      traceback; C{RMD} of a link to a directory C{550 Not a
      directory}, C{DELE} removes the link; a 40 s download against a
      30 s idle timeout: C{226}.
"""

import os
import socket
import time

from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from tests.attackhelpers import CLIENT_WAIT
from tests.integration.test_attack_jail import RawClient
from tests.scratch import scratchDirectory


class HalfClosedDownloadTests(LoopbackServerMixin, unittest.TestCase):
    """
    Downloads whose client sends its FIN on the data connection before
    the transfer command: never C{226} with bytes missing.
    """

    def setUp(self):
        self.root = scratchDirectory(self)
        for name in ("a.txt", "b.txt", "c.txt"):
            with open(os.path.join(self.root, name), "wb") as f:
                f.write(b"line\n" * 1000)
        self.server = self.startServer(
            FilesystemRealm(self.root),
            ServerConfig(loginFailureDelay=0, dataTimeout=3600))

    def download(self, command, kind):
        """
        Connect to an C{EPSV} port, send a FIN on it, then C{command} in
        C{TYPE kind}.

        @return: a Deferred firing with C{(bytes received, final reply
            code)}, or the first reply's code and no bytes when it is
            not C{150}.
        """
        def run():
            client = RawClient(self.server.port, timeout=CLIENT_WAIT)
            self.addCleanup(client.close)
            client.login()
            client.command("TYPE " + kind)
            port = client.epsvPort()
            with socket.create_connection(("127.0.0.1", port)) as data:
                data.settimeout(CLIENT_WAIT)
                data.shutdown(socket.SHUT_WR)
                first = client.command(command)
                if not first.startswith(b"150"):
                    return b"", first[:3]
                received = b""
                try:
                    while chunk := data.recv(65536):
                        received += chunk
                except ConnectionResetError:
                    pass
            return received, client.reply()[:3]

        return self.inThread(run)

    def assertWholeOrRefused(self, outcome, whole):
        """
        The download got every byte with C{226}, or failed (C{4xx}).
        """
        received, final = outcome
        if final == b"226":
            self.assertEqual(received, whole)
        else:
            self.assertIn(final[:1], b"4", outcome)

    async def test_names(self):
        """
        C{NLST} of a directory of three files.
        """
        outcome = await self.download("NLST", "I")
        self.assertWholeOrRefused(outcome, b"a.txt\r\nb.txt\r\nc.txt\r\n")

    async def test_ascii(self):
        """
        C{RETR} in C{TYPE A}.
        """
        outcome = await self.download("RETR a.txt", "A")
        self.assertWholeOrRefused(outcome, b"line\r\n" * 1000)

    async def test_listing(self):
        """
        C{MLSD}: whatever came, a C{226} means every entry.
        """
        received, final = await self.download("MLSD", "I")
        if final == b"226":
            self.assertEqual(received.count(b"\r\n"), 4)
        else:
            self.assertIn(final[:1], b"4")


class SlowReaderTests(LoopbackServerMixin, unittest.TestCase):
    """
    A client reading a download slowly, but without a pause as long as
    the data timeout, is not cut as idle.
    """

    SIZE = 30 * 1000 * 1000
    TIMEOUT = 2
    SLOW_FOR = 8
    """Seconds the client reads slowly: several data timeouts."""

    def setUp(self):
        self.root = scratchDirectory(self)
        with open(os.path.join(self.root, "f.bin"), "wb") as f:
            f.truncate(self.SIZE)
        self.server = self.startServer(
            FilesystemRealm(self.root),
            ServerConfig(loginFailureDelay=0, dataTimeout=self.TIMEOUT))

    async def test_slowSteadyReader(self):
        """
        A small receive buffer read twenty times a second for several data
        timeouts (the server's socket full all along), then at full
        speed: C{226} and every byte.
        """
        def run():
            client = RawClient(self.server.port, timeout=CLIENT_WAIT)
            self.addCleanup(client.close)
            client.login()
            client.command("TYPE I")
            port = client.epsvPort()
            with socket.socket() as data:
                data.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                data.settimeout(CLIENT_WAIT)
                data.connect(("127.0.0.1", port))
                first = client.command("RETR f.bin")
                received = 0
                slowUntil = time.monotonic() + self.SLOW_FOR
                try:
                    while chunk := data.recv(65536):
                        received += len(chunk)
                        if time.monotonic() < slowUntil:
                            time.sleep(0.05)
                except ConnectionResetError:
                    pass
            return first[:3], received, client.reply()[:3]

        self.assertEqual(await self.inThread(run),
                         (b"150", self.SIZE, b"226"))
