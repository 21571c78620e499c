"""
A client that pipelines C{STOR}, sends the whole file over its passive
data connection and closes it, sends C{QUIT} and closes its control
connection, all before the server has opened the upload's file (the disk
shell's C{openForWriting} held back by a C{sitecustomize} until the test
lets it go, once the server has seen the client leave): a real server,
C{python -m ftpkit}, in one process and under C{--workers 2}, over
C{PASV} and C{EPSV}, in clear and under C{PROT P}. The transfer still
opening was aborted (C{426}, nothing stored); RFC 959 lets a transfer
finish after C{QUIT}, and it does now, stored, logged and counted as for
a client that waited for its replies (L{ftpkit.control.connectionlife}),
in the metrics too: one upload stored, its bytes received, no session
left open.
"""

import os
import re
import socket
import urllib.request

from tests.integration.test_featuremodes_session44 import sendCloseNotify
from tests.integration.test_metrics import MetricsTestCase, samples
from tests.rawclient import RawClient
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess
from tests.sitescripts import sitePath
from tests.tlssupport import Certificates, clientContext

PAYLOAD = b"q" * 65536
"""What the client uploads: less than the kernel's buffers hold, so that
it sends it all while the server reads none of it."""

HELD_OPEN = """\
import os
from twisted.internet import defer, task
from ftpkit.shells import filesystem

_opened = filesystem.FilesystemShell.openForWriting


def _openForWriting(self, *args):
    from twisted.internet import reactor
    open(os.environ["FTPKIT_TEST_OPENING"], "w").close()
    gate = os.environ["FTPKIT_TEST_GATE"]

    def opened():
        if not os.path.exists(gate):
            return task.deferLater(reactor, 0.02, opened)
        return _opened(self, *args)
    return defer.maybeDeferred(opened)


filesystem.FilesystemShell.openForWriting = _openForWriting
"""
"""A C{sitecustomize} holding every upload's C{openForWriting} back
until the file C{FTPKIT_TEST_GATE} names exists; it makes the file
C{FTPKIT_TEST_OPENING} names as the open begins."""


class QuitWhileOpeningTests(Certificates, MetricsTestCase):
    """
    C{STOR}, its data and C{QUIT} before the upload's file is open.
    """

    timeout = 60

    def serve(self, *options):
        """
        Start a server whose uploads' opens wait for the test, with a
        certificate for C{AUTH TLS}.

        @param options: more of its options.
        @return: C{(server, root, xferlog)}.
        """
        self.makeCertificates()
        root = scratchDirectory(self)
        marks = scratchDirectory(self)
        self.opening = os.path.join(marks, "opening")
        self.gate = os.path.join(marks, "gate")
        xferlog = os.path.join(marks, "xferlog")
        server = ServerProcess(
            self, ["--root", root, "--auth", "memory:alice:secret",
                   "--xferlog", xferlog, "--tls-cert", self.both, *options],
            env={"PYTHONPATH": sitePath(self, HELD_OPEN),
                 "FTPKIT_TEST_OPENING": self.opening,
                 "FTPKIT_TEST_GATE": self.gate}, metrics=True)
        server.waitForGreeting()
        return server, root, xferlog

    def leaveWhileOpening(self, server, passive, tls):
        """
        Log in, pipeline C{STOR quit.bin}, send L{PAYLOAD} and end the
        data connection while its open waits, send C{QUIT} and close the
        control connection; once the server has seen the client leave,
        let the open go on.

        @param server: the L{ServerProcess}.
        @param passive: C{"PASV"} or C{"EPSV"}.
        @param tls: under C{AUTH TLS} and C{PROT P}.
        """
        client = RawClient(server.port)
        context = clientContext()
        if tls:
            client.command("AUTH TLS")
            client.sock = context.wrap_socket(client.sock)
        client.login()
        if tls:
            client.command("PBSZ 0")
            client.command("PROT P")
        client.command("TYPE I")
        numbers = re.findall(rb"\d+", client.command(passive)[3:])
        port = (int(numbers[-1]) if passive == "EPSV"
                else int(numbers[-2]) * 256 + int(numbers[-1]))
        server.waitFor(lambda: [record for record in server.sessionRecords()
                                if not record.get("leaving")],
                       "the session in /sessions")
        data = socket.create_connection(("127.0.0.1", port), timeout=20)
        if tls:
            # The server answers the handshake as the connection comes.
            data = context.wrap_socket(data, session=client.sock.session)
        client.sock.sendall(b"STOR quit.bin\r\n")
        server.waitFor(lambda: os.path.exists(self.opening),
                       "the upload's open")
        data.sendall(PAYLOAD)
        if tls:
            sendCloseNotify(data)
        data.close()
        client.sock.sendall(b"QUIT\r\n")
        client.close()
        server.waitFor(lambda: all(record.get("leaving") for record in
                                   server.sessionRecords()),
                       "the client gone in /sessions")
        open(self.gate, "w").close()

    def check(self, passive, *options, tls=False):
        """
        The upload is stored whole, logged with C{226} and in the
        transfer log as complete.

        @param passive: C{"PASV"} or C{"EPSV"}.
        @param options: more of the server's options.
        @param tls: under C{AUTH TLS} and C{PROT P}.
        """
        server, root, xferlog = self.serve(*options)
        self.leaveWhileOpening(server, passive, tls)
        log = server.waitForLog("logout from")
        self.assertEqual(self.counted(server), {
            ("ftpkit_transfers_total",
             (("command", "STOR"), ("result", "success"))): 1,
            ("ftpkit_transfers_total",
             (("command", "STOR"), ("result", "failure"))): 0,
            ("ftpkit_received_bytes_total", ()): len(PAYLOAD),
            ("ftpkit_sent_bytes_total", ()): 0,
            ("ftpkit_transfer_duration_seconds_count",
             (("command", "STOR"),)): 1,
            ("ftpkit_sessions", ()): 0})
        self.assertIn("path '/quit.bin': 226, %d bytes" % len(PAYLOAD), log)
        with open(os.path.join(root, "quit.bin"), "rb") as f:
            self.assertEqual(f.read(), PAYLOAD)
        with open(xferlog) as f:
            [line] = f.read().splitlines()
        self.assertEqual(line.split()[7:9] + line.split()[-1:],
                         [str(len(PAYLOAD)), "/quit.bin", "c"])

    def counted(self, server):
        """
        @param server: the L{ServerProcess}, started with C{metrics}.
        @return: the samples of C{/metrics} that tell what the upload did,
            once its end (stored or not) is counted (under C{--workers},
            a worker's counts reach the acceptor a moment after its log
            line).
        """
        wanted = {"ftpkit_transfers_total", "ftpkit_received_bytes_total",
                  "ftpkit_sent_bytes_total", "ftpkit_sessions",
                  "ftpkit_transfer_duration_seconds_count"}

        def scrape():
            with urllib.request.urlopen(server.metricsURL(),
                                        timeout=30) as response:
                found = samples(response.read().decode("utf-8"))
            counted = {key: value for key, value in found.items()
                       if key[0] in wanted and dict(key[1]).get(
                           "command", "STOR") == "STOR"}
            ended = sum(value for key, value in counted.items()
                        if key[0] == "ftpkit_transfers_total")
            return counted if ended else None
        return server.waitFor(scrape, "the upload in /metrics")

    def test_pasv(self):
        self.check("PASV")

    def test_epsv(self):
        self.check("EPSV")

    def test_pasvWorkers(self):
        self.check("PASV", "--workers", "2")

    def test_epsvWorkers(self):
        self.check("EPSV", "--workers", "2")

    def test_epsvTLS(self):
        self.check("EPSV", tls=True)

    def test_pasvTLSWorkers(self):
        self.check("PASV", "--workers", "2", tls=True)
