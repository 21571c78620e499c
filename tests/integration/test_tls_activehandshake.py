"""
An active data connection under C{PROT P} (C{PORT}) goes to its transfer
only once its TLS handshake is done (L{ftpkit.data.activehandshake}), on a
real server with a short C{--data-timeout}, in one process and under
C{--workers 2}: a client that accepts the connection and never
handshakes, or sends bytes that are not TLS, gets C{150} (sent as the
connection is made: clients accept it and start the handshake only after
that reply) then C{425} with the reason, in one log line; no file is read,
an upload makes no file and leaves the file it would replace as it was.
The transfer got the connection before its handshake (activetls54): C{150}
then C{426}, up to a megabyte of the file read into the TLS layer, and
the data timeout's idle watchdog, not the handshake's deadline, ended it
(its own line). A listing still takes the connection before its
handshake, as an empty file's download does (it reads no file ahead): an
empty directory's listing, whose client never starts its TLS (curl
7.87-7.88), ends with C{226}; one with entries gets C{150} then C{426}.
Clients that do handshake (ftplib, curl) still transfer.
"""

import ftplib
import io
import os
import re
import socket
import subprocess

from twisted.trial import unittest

from tests.integration.test_network import curlActiveFTPS
from tests.scratch import scratchDirectory
from tests.serverprocess import startServing
from tests.tlssupport import Certificates, clientContext, skipUnlessBinary

BIG = os.urandom((1 << 20) + 1)
"""A file larger than what the TLS layer buffers."""

ORIGINAL = b"the file an upload would replace\n"

DEADLINE = 2
"""The server's C{--data-timeout}: under the handshake timeout (ten
seconds), so it is the handshake's deadline."""

GARBAGE = b"GET / HTTP/1.0\r\n\r\n"


class RawTLSSession:
    """
    A blocking client over explicit FTPS (C{AUTH TLS}, C{PROT P}) sending
    raw lines and reading replies, its data connections active.
    """

    def __init__(self, port):
        """
        Log in as alice and ask for C{PROT P} and C{TYPE I}.

        @param port: the server's port on 127.0.0.1.
        """
        raw = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.buffer = b""
        self.sock = raw
        self.reply()
        self.command("AUTH TLS", "234")
        self.sock = clientContext().wrap_socket(raw)
        self.command("USER alice", "331")
        self.command("PASS secret", "230")
        for line in ("PBSZ 0", "PROT P", "TYPE I"):
            self.command(line, "200")

    def reply(self):
        """
        @return: the next reply's last line, as text.
        """
        while True:
            while b"\r\n" not in self.buffer:
                data = self.sock.recv(65536)
                if not data:
                    raise ConnectionError("control connection closed")
                self.buffer += data
            line, self.buffer = self.buffer.split(b"\r\n", 1)
            if re.match(rb"^\d{3} ", line):
                return line.decode("utf-8", "replace")

    def send(self, line):
        """
        @param line: a command line, sent without waiting for its reply.
        """
        self.sock.sendall(line.encode("utf-8") + b"\r\n")

    def command(self, line, code):
        """
        Send C{line}; its reply must start with C{code}.

        @return: the reply.
        """
        self.send(line)
        reply = self.reply()
        if not reply.startswith(code):
            raise AssertionError("%s: %s" % (line, reply))
        return reply

    def listen(self):
        """
        @return: a listening socket on 127.0.0.1, the server told of it
            with C{PORT}.
        """
        listener = socket.create_server(("127.0.0.1", 0))
        port = listener.getsockname()[1]
        self.command("PORT 127,0,0,1,%d,%d" % (port >> 8, port & 255),
                     "200")
        return listener

    def close(self):
        """
        Close the control connection.
        """
        self.sock.close()


class ActiveHandshakeMixin(Certificates):
    """
    The tests, for one process (L{workers} C{None}) or C{--workers}.
    """

    workers = None
    timeout = 120
    refused = 0

    def setUp(self):
        self.transfers = []
        self.makeCertificates()
        self.root = scratchDirectory(self)
        with open(os.path.join(self.root, "big.bin"), "wb") as f:
            f.write(BIG)
        with open(os.path.join(self.root, "kept.bin"), "wb") as f:
            f.write(ORIGINAL)
        self.server = self.serve(DEADLINE)

    def serve(self, dataTimeout):
        """
        @param dataTimeout: the server's C{--data-timeout}.
        @return: a server of the root, started.
        """
        return startServing(
            self, ["--root", self.root, "--auth", "memory:alice:secret",
                   "--tls-cert", self.both,
                   "--data-timeout", str(dataTimeout)], self.workers)

    def unanswered(self, command, garbage, server=None):
        """
        Send C{command} after C{PORT}, accept the server's connection and
        send nothing on it, or L{GARBAGE} at once.

        @param server: the server (C{self.server} if C{None}).
        @return: C{(replies, connection's peer text)}: the codes of the
            replies to C{command} and to a C{NOOP} after it, with the
            text of the final one.
        """
        session = RawTLSSession((server or self.server).port)
        try:
            listener = session.listen()
            with listener:
                session.send(command)
                data, _ = listener.accept()
            with data:
                if garbage:
                    data.sendall(GARBAGE)
                opening = session.reply()
                final = session.reply()
                peer = "127.0.0.1:%d" % (data.getsockname()[1],)
            noop = session.command("NOOP", "200")
            return (opening[:3], final[:3], noop[:3]), final, peer
        finally:
            session.close()

    def assertRefused(self, command, garbage):
        """
        C{command} gets C{150}, then C{425} saying why; the server logs
        why in one line, nothing of an idle connection, and the
        transfer's line of a file (none for a listing) says C{425} and 0
        bytes.
        """
        codes, final, peer = self.unanswered(command, garbage)
        self.assertEqual(codes, ("150", "425", "200"), final)
        why = ("TLS handshake failed: " if garbage
               else "TLS handshake not done within %gs" % DEADLINE)
        self.assertIn(why, final)
        line = "active data connection to %s: %s" % (peer, why)
        log = self.server.waitForLog(line)
        self.refused += 1
        self.assertEqual((log.count(line),
                          log.count("active data connection to")),
                         (1, self.refused), log)
        self.assertNotIn("idle for", log)
        path = command.partition(" ")[2]
        if path:
            self.transfers.append(("/" + path, "425", "0"))
            log = self.server.waitForLog("'/%s': " % (path,),
                                         self.transfers.count(
                                             self.transfers[-1]))
        self.assertEqual(re.findall(r"'(/\S+)': (\d+), (\d+) bytes", log),
                         self.transfers, log)

    def assertRootUntouched(self):
        """
        No file was made, and the one an upload would replace is whole.
        """
        self.assertEqual(sorted(os.listdir(self.root)),
                         ["big.bin", "kept.bin"])
        with open(os.path.join(self.root, "kept.bin"), "rb") as f:
            self.assertEqual(f.read(), ORIGINAL)

    def test_downloadSilent(self):
        """
        C{RETR} of a file with more than a megabyte, its client silent.
        """
        self.assertRefused("RETR big.bin", False)

    def test_downloadGarbage(self):
        """
        C{RETR}, its client sending bytes that are not TLS.
        """
        self.assertRefused("RETR big.bin", True)

    def test_uploadSilent(self):
        """
        C{STOR} of a new name and of an existing file, the client silent:
        no file made, none cut.
        """
        self.assertRefused("STOR new.bin", False)
        self.assertRefused("STOR kept.bin", False)
        self.assertRootUntouched()

    def test_uploadGarbage(self):
        """
        C{STOR}s as L{test_uploadSilent}, the client sending garbage.
        """
        self.assertRefused("STOR new.bin", True)
        self.assertRefused("STOR kept.bin", True)
        self.assertRootUntouched()

    def assertListingCut(self, command, garbage):
        """
        C{command}, a listing, takes the connection before its handshake
        (as an empty file's download does): it gets C{150}, then C{426}
        (the handshake's deadline, or the garbage, ended the connection),
        and the server logs no refused handshake and no idle connection.
        """
        codes, final, peer = self.unanswered(command, garbage)
        self.assertEqual(codes, ("150", "426", "200"), final)
        log = self.server.log()
        self.assertNotIn("active data connection to", log)
        self.assertNotIn("idle for", log)

    def test_listingSilent(self):
        """
        C{LIST}, C{NLST} and C{MLSD} of a directory with files, their
        client silent.
        """
        for command in ("LIST", "NLST", "MLSD"):
            self.assertListingCut(command, False)

    def test_listingGarbage(self):
        """
        C{LIST}, its client sending garbage.
        """
        self.assertListingCut("LIST", True)

    def test_emptyListingSilent(self):
        """
        An empty directory's C{LIST} and C{NLST} (C{MLSD} sends its
        C{cdir} line), their client silent (curl 7.87-7.88 in active
        mode), send no byte: C{226} once the client
        has sent nothing for
        L{ftpkit.data.handshakeend.SILENT_CLIENT_TIMEOUT} seconds, as for an
        empty file (activetls54 had them wait for the handshake: C{425}).
        The server's data timeout, which bounds the handshake, is longer
        than that here.
        """
        os.mkdir(os.path.join(self.root, "emptydir"))
        server = self.serve(30)
        for command in ("LIST", "NLST"):
            codes, final, _ = self.unanswered(command + " emptydir", False,
                                              server)
            self.assertEqual(codes, ("150", "226", "200"), final)

    def test_emptySilentShortDeadline(self):
        """
        With a C{--data-timeout} under
        L{ftpkit.data.handshakeend.SILENT_CLIENT_TIMEOUT} (1 second, the
        handshake's deadline), an empty directory's C{LIST} and C{NLST}
        and an empty file's C{RETR}, their client silent, still end with
        C{226}, at the deadline: the deadline aborted them before
        (C{150} then C{426}, curl 7.88's error 56 or 28).
        """
        os.mkdir(os.path.join(self.root, "emptydir"))
        open(os.path.join(self.root, "empty.bin"), "wb").close()
        server = self.serve(1)
        for command in ("LIST emptydir", "NLST emptydir", "RETR empty.bin"):
            codes, final, _ = self.unanswered(command, False, server)
            self.assertEqual(codes, ("150", "226", "200"), (command, final))

    def test_ftplibActive(self):
        """
        ftplib in active mode uploads and downloads an empty file and one
        of a megabyte.
        """
        ftp = ftplib.FTP_TLS(context=clientContext())
        ftp.connect("127.0.0.1", self.server.port, timeout=30)
        self.addCleanup(ftp.close)
        ftp.login("alice", "secret")
        ftp.prot_p()
        ftp.set_pasv(False)
        for name, content in (("empty.up", b""), ("mib.up", BIG)):
            self.assertEqual(
                ftp.storbinary("STOR " + name, io.BytesIO(content))[:3],
                "226")
            received = io.BytesIO()
            self.assertEqual(
                ftp.retrbinary("RETR " + name, received.write)[:3], "226")
            self.assertEqual(received.getvalue(), content)
            with open(os.path.join(self.root, name), "rb") as f:
                self.assertEqual(f.read(), content)
        ftp.quit()

    def test_curlActive(self):
        """
        curl in active mode (C{--ftp-port}) downloads and uploads the
        megabyte's file, where it starts the data connection's TLS (8.0
        and later).
        """
        curl = skipUnlessBinary("curl")
        if not curlActiveFTPS(curl):
            raise unittest.SkipTest("this curl never starts an active data "
                                    "connection's TLS")
        url = "ftp://127.0.0.1:%d/" % (self.server.port,)
        options = [curl, "-sS", "-k", "--ssl-reqd", "-u", "alice:secret",
                   "--ftp-port", "127.0.0.1", "--max-time", "60"]
        got = subprocess.run([*options, url + "big.bin"],
                             capture_output=True, check=True)
        self.assertEqual(got.stdout, BIG)
        source = os.path.join(self.certDir, "up.bin")
        with open(source, "wb") as f:
            f.write(BIG)
        subprocess.run([*options, "-T", source, url + "curl.up"],
                       capture_output=True, check=True)
        with open(os.path.join(self.root, "curl.up"), "rb") as f:
            self.assertEqual(f.read(), BIG)


class OneProcessTests(ActiveHandshakeMixin, unittest.TestCase):
    """
    In one process.
    """


class WorkersTests(ActiveHandshakeMixin, unittest.TestCase):
    """
    Under C{--workers 2}.
    """

    workers = 2
