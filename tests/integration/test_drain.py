"""
C{SIGTERM} drains a real server (C{python -m ftpkit}, one process and
C{--workers}): transfers in flight finish with C{226} and every byte
(a C{QUIT} after or during one then gets C{221}),
idle sessions get C{421}, and an upload cut when the grace is over
leaves nothing behind.
"""

import ftplib
import os
import signal
import socket

from twisted.trial import unittest

from tests.ftpclient import ftplibLogin
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess
from tests.tlssupport import clientContext, makeCertificate, readToEnd

SIZE = 16 * 1024 * 1024
"""Bytes of the transfers in flight: more than the socket buffers hold."""

PART = 1024 * 1024
"""Bytes moved before C{SIGTERM}."""


def readExactly(sock, count):
    """
    @return: C{count} bytes read from C{sock} (fewer at end of file).
    """
    chunks = []
    while count:
        chunk = sock.recv(min(count, 65536))
        if not chunk:
            break
        chunks.append(chunk)
        count -= len(chunk)
    return b"".join(chunks)


class DrainTests(unittest.TestCase):
    """
    Transfers in flight at C{SIGTERM}.
    """

    def setUp(self):
        self.root = scratchDirectory(self)
        self.data = os.urandom(SIZE)
        with open(os.path.join(self.root, "big"), "wb") as f:
            f.write(self.data)
        with open(os.path.join(self.root, "old"), "wb") as f:
            f.write(b"the old file")

    def start(self, *extra):
        """
        Start a server and wait until it serves.
        """
        server = ServerProcess(self, ["--root", self.root,
                                      "--auth", "memory:alice:pw", *extra])
        if "--workers" in extra:
            server.waitForLog(" ready\n", 2)
        else:
            server.waitForGreeting()
        return server

    def startTLS(self, *extra):
        """
        Start a server with a TLS certificate and log in over TLS.

        @param extra: more options for the server.
        @return: the server and a logged-in C{ftplib.FTP_TLS} in binary
            mode with a protected data channel (C{PROT P}).
        """
        certificate = makeCertificate(scratchDirectory(self))[2]
        server = self.start("--tls-cert", certificate, *extra)
        ftp = ftplibLogin(self, server.port, "alice", "pw", protect=True,
                          binary=True,
                          client=ftplib.FTP_TLS(context=clientContext()))
        return server, ftp

    def session(self, server):
        """
        @return: a logged-in C{ftplib.FTP} in binary mode.
        """
        ftp = server.login("alice", "pw")
        ftp.voidcmd("TYPE I")
        return ftp

    def assertUploadFinished(self, up, server):
        """
        The upload in flight at C{SIGTERM} ended: its client got C{226}
        then C{421}, the file holds every byte, and the process exited on
        the signal.

        @param up: the uploading C{ftplib.FTP}, its data connection closed.
        @param server: the server process.
        """
        self.assertEqual(up.voidresp()[:3], "226")
        self.assertEqual(up.getline()[:4], "421 ")
        with open(os.path.join(self.root, "new"), "rb") as f:
            self.assertTrue(f.read() == self.data)
        self.assertEqual(server.process.wait(60), -signal.SIGTERM)

    def finishing(self, *extra):
        """
        A download and an upload in flight at C{SIGTERM} both complete
        with C{226} and every byte, then get C{421}; an idle session gets
        C{421} at once; new clients are refused.
        """
        server = self.start("--shutdown-grace", "60", *extra)
        down = self.session(server)
        downData = down.transfercmd("RETR big")
        self.addCleanup(downData.close)
        received = readExactly(downData, PART)
        up = self.session(server)
        upData = up.transfercmd("STOR new")
        self.addCleanup(upData.close)
        upData.sendall(self.data[:PART])
        idle = self.session(server)
        server.signal(signal.SIGTERM)
        server.waitForLog("stopping: closing", 2 if extra else 1)
        self.assertEqual(idle.getline()[:4], "421 ")
        server.waitFor(lambda: server.greeting() == b"", "the listener closed")
        received += readToEnd(downData)
        downData.close()
        self.assertEqual(len(received), SIZE)
        self.assertTrue(received == self.data)
        self.assertEqual(down.voidresp()[:3], "226")
        self.assertEqual(down.getline()[:4], "421 ")
        upData.sendall(self.data[PART:])
        upData.close()
        self.assertUploadFinished(up, server)

    def test_finishing(self):
        self.finishing()

    def test_finishingWorkers(self):
        self.finishing("--workers", "2")

    def quitting(self, *extra):
        """
        A client whose download was in flight at C{SIGTERM} gets its
        C{226}, then C{221} for the C{QUIT} it sends after it (ftplib's
        C{with} block), or for one it sent during the transfer: the
        drain's C{421} came right after the C{226} and was read as the
        C{QUIT}'s reply, C{quit} raising C{error_temp}.
        """
        server = self.start("--shutdown-grace", "60", *extra)
        after, during = self.session(server), self.session(server)
        afterData = after.transfercmd("RETR big")
        self.addCleanup(afterData.close)
        duringData = during.transfercmd("RETR big")
        self.addCleanup(duringData.close)
        received = [readExactly(afterData, PART), readExactly(duringData, PART)]
        during.putcmd("QUIT")
        server.signal(signal.SIGTERM)
        server.waitForLog("stopping: closing", 2 if extra else 1)
        for data, ftp in ((afterData, after), (duringData, during)):
            self.assertTrue(received.pop(0) + readToEnd(data) == self.data)
            data.close()
            self.assertEqual(ftp.voidresp()[:3], "226")
        self.assertEqual(after.quit()[:3], "221")
        self.assertEqual(during.getline()[:4], "221 ")
        self.assertEqual(server.process.wait(60), -signal.SIGTERM)

    def test_quitting(self):
        self.quitting()

    def test_quittingWorkers(self):
        self.quitting("--workers", "2")

    def finishingTLS(self, *extra):
        """
        The last session running a transfer at C{SIGTERM}, under TLS
        (C{AUTH TLS}, C{PROT P}): its upload completes, and its client
        gets C{226} and C{421} before the process exits (the replies go
        through the TLS layer, queued for the next turn of the reactor:
        stopping as soon as the session was idle dropped them).
        """
        server, up = self.startTLS("--shutdown-grace", "60", *extra)
        upData = up.transfercmd("STOR new")
        self.addCleanup(upData.close)
        upData.sendall(self.data[:PART])
        server.signal(signal.SIGTERM)
        server.waitForLog("stopping: closing")
        upData.sendall(self.data[PART:])
        upData.unwrap()
        upData.close()
        self.assertUploadFinished(up, server)

    def test_finishingTLS(self):
        self.finishingTLS()

    def test_idleTLS(self):
        """
        An idle session under TLS that does not answer the server's TLS
        close alert gets C{421}, then the alert and the end of the
        connection at once: the server does not wait for the client's
        alert (it did, until the connection was cut after
        C{closeTimeout} with a reset, keeping the process from exiting).
        """
        directory = scratchDirectory(self)
        certificate = makeCertificate(directory)[2]
        server = self.start("--tls-cert", certificate)
        idle = ftplibLogin(self, server.port, "alice", "pw",
                           client=ftplib.FTP_TLS(context=clientContext()))
        server.signal(signal.SIGTERM)
        self.assertEqual(idle.getline()[:4], "421 ")
        self.assertEqual(idle.sock.recv(100), b"")
        self.assertEqual(server.process.wait(60), -signal.SIGTERM)
        self.assertNotIn("did not take its last replies", server.log())

    def test_finishingTLSWorkers(self):
        self.finishingTLS("--workers", "2")

    def readReplies(self, ftp):
        """
        @return: the reply lines a client gets until the server closes.
        """
        lines = []
        while True:
            line = ftp.file.readline()
            if not line:
                return lines
            lines.append(line.rstrip("\r\n"))

    def assertDownloadCut(self, server, down):
        """
        Start a download on C{down} and C{SIGTERM} C{server} once part of
        it came: when the grace of 1 s is over, the download gets C{426},
        then C{421}, and the server exits.

        @param server: the L{tests.serverprocess.ServerProcess}, started
            with C{--shutdown-grace 1}.
        @param down: a logged-in C{ftplib} client of it.
        """
        downData = down.transfercmd("RETR big")
        self.addCleanup(downData.close)
        readExactly(downData, PART)
        server.signal(signal.SIGTERM)
        server.waitForLog("shutdown grace of 1 s over")
        codes = [line[:4] for line in self.readReplies(down)]
        self.assertEqual(codes, ["426 ", "421 "])
        self.assertEqual(server.process.wait(60), -signal.SIGTERM)

    def test_cutDownload(self):
        """
        A download still running when the grace is over gets C{426} for
        the transfer, then one C{421}, and the connection closes: it got
        C{421}, C{426} and C{421} again (the drain told it before aborting
        the transfer, and again once the command had replied).
        """
        server = self.start("--shutdown-grace", "1")
        down = self.session(server)
        self.assertDownloadCut(server, down)

    def cutDownloadTLS(self, *extra):
        """
        A download over TLS (C{PROT P}) still running when the grace is
        over gets C{426} for the transfer, then C{421}, as one in clear
        does: it got only C{421} (the TLS data connection's abort ends the
        transfer on a later turn of the reactor, and the drain had told
        C{421} and closed the session before its command replied).
        """
        server, down = self.startTLS("--shutdown-grace", "1", *extra)
        self.assertDownloadCut(server, down)

    def test_cutDownloadTLS(self):
        self.cutDownloadTLS()

    def test_cutDownloadTLSWorkers(self):
        self.cutDownloadTLS("--workers", "2")

    def test_cutUploadTLS(self):
        """
        An upload over TLS (C{PROT P}) still running when the grace is
        over gets C{426} for the transfer, then C{421}.
        """
        server, up = self.startTLS("--shutdown-grace", "1")
        upData = up.transfercmd("STOR old")
        self.addCleanup(upData.close)
        upData.sendall(self.data[:PART])
        server.signal(signal.SIGTERM)
        server.waitForLog("shutdown grace of 1 s over")
        codes = [line[:4] for line in self.readReplies(up)]
        self.assertEqual(codes, ["426 ", "421 "])
        self.assertEqual(server.process.wait(60), -signal.SIGTERM)

    def test_cut(self):
        """
        An upload still running when the grace is over is cut: its client
        gets C{426}, then C{421}, and the connection closes, the file it replaced is as
        it was, and no temporary file is left (what arrived may be kept as
        a hidden partial upload, to be resumed: see docs/deployment.rst).
        """
        server = self.start("--shutdown-grace", "1")
        up = self.session(server)
        upData = up.transfercmd("STOR old")
        self.addCleanup(upData.close)
        upData.sendall(self.data[:PART])
        server.signal(signal.SIGTERM)
        server.waitForLog("shutdown grace of 1 s over")
        lines = self.readReplies(up)
        self.assertEqual([line[:4] for line in lines], ["426 ", "421 "],
                         lines)
        self.assertEqual(server.process.wait(60), -signal.SIGTERM)
        left = sorted(os.listdir(self.root))
        self.assertEqual([name for name in left if name.endswith(".tmp")],
                         [], left)
        self.assertEqual([name for name in left
                          if not name.startswith(".ftpkit-partial.")],
                         ["big", "old"])
        with open(os.path.join(self.root, "old"), "rb") as f:
            self.assertEqual(f.read(), b"the old file")
        try:
            upData.sendall(b"x" * 65536)
        except OSError:
            pass
        self.assertRaises(OSError, socket.create_connection,
                          ("127.0.0.1", server.port), 5)
