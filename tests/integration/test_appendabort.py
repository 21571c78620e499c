"""
An upload and its C{ABOR} sent in one write, on a real server over the
disk: the upload, aborted before any data connection was made, leaves
no new file and an existing one as it was (C{APPE new} left an empty
C{new}: its open ran before the C{ABOR} was read). Clear and TLS
control connections; C{PASV}, C{EPSV} and C{PORT}.

And C{APPE new} with its C{ABOR} in a later write (a later TLS record),
its file made: cut before any byte came, with or without its data
connection, it leaves no file either
(L{ftpkit.shells.appendnew}); in one process and under C{--workers 2}.
"""

import ftplib
import os
import socket

from twisted.trial import unittest

from tests.ftpclient import ftplibLogin
from tests.polling import waitUntil
from tests.scratch import scratchDirectory
from tests.serverprocess import startServer, startServing
from tests.tlssupport import clientContext, makeCertificate

UPLOADS = [
    ("APPE new.txt", "426"),
    ("STOR new.txt", "425"),
    ("STOU", "426"),
    ("APPE old.txt", "426"),
    ("STOR old.txt", "425"),
    ("REST 2\r\nSTOR old.txt", "426"),
]
"""C{(commands, code)}: the upload commands sent with C{ABOR}, and the
upload's reply (C{425} where the wait for the data connection was cut,
C{426} where the wait for what it opens was)."""


class AbortInOneWriteTests(unittest.TestCase):
    """
    Each upload of L{UPLOADS} with C{ABOR} in one write.
    """

    timeout = 120

    def setUp(self):
        _, _, both = makeCertificate(scratchDirectory(self))
        self.server, self.root = startServer(self, "--tls-cert", both)
        self.old = os.path.join(self.root, "old.txt")
        with open(self.old, "wb") as f:
            f.write(b"hello\n")

    def check(self, ftp, offer):
        """
        Send each upload of L{UPLOADS} with C{ABOR} on C{ftp}, after
        C{offer} sets up its data connection.

        @param ftp: a logged-in ftplib client.
        @param offer: called with C{ftp} before each upload: sets up the
            data connection; returns the client's listening socket
            (C{PORT}) or C{None}.
        """
        for commands, code in UPLOADS:
            listening = offer(ftp)
            ftp.sock.sendall(commands.encode("ascii") + b"\r\nABOR\r\n")
            codes = [ftp.getmultiline()[:3]
                     for _ in range(commands.count("\n") + 2)]
            if listening is not None:
                listening.close()
            self.assertEqual(codes[-2:], [code, "226"], commands)
            self.assertEqual(sorted(os.listdir(self.root)), ["old.txt"],
                             commands)
            with open(self.old, "rb") as f:
                self.assertEqual(f.read(), b"hello\n", commands)
        ftp.quit()

    def test_passive(self):
        """
        In clear, after C{PASV}.
        """
        ftp = ftplibLogin(self, self.server.port, binary=True)
        self.check(ftp, lambda ftp: ftp.sendcmd("PASV") and None)

    def test_extendedPassive(self):
        """
        Under TLS (C{PROT P}), after C{EPSV}.
        """
        ftp = ftplibLogin(self, self.server.port, binary=True, protect=True,
                          client=ftplib.FTP_TLS(context=clientContext()))
        self.check(ftp, lambda ftp: ftp.sendcmd("EPSV") and None)

    def test_active(self):
        """
        In clear, after C{PORT}: the server never connects.
        """
        ftp = ftplibLogin(self, self.server.port, binary=True)
        self.check(ftp, lambda ftp: ftp.makeport())


def passive(command, connect):
    """
    @param command: C{"PASV"} or C{"EPSV"}.
    @param connect: make the data connection (in TCP alone: under TLS
        it never gets its handshake).
    @return: an offer for L{AbortInLaterWriteMixin.check}.
    """
    def offer(ftp):
        reply = ftp.sendcmd(command)
        if not connect:
            return []
        if command == "PASV":
            host, port = ftplib.parse227(reply)
        else:
            host, port = ftplib.parse229(reply, ftp.sock.getpeername())
        return [socket.create_connection((host, port), timeout=30)]
    return offer


def active(ftp):
    """
    An offer for L{AbortInLaterWriteMixin.check}: C{PORT} to a socket
    that never accepts (the kernel does: the connection is made).
    """
    return [ftp.makeport()]


class AbortInLaterWriteMixin:
    """
    C{APPE} with its C{ABOR} in a later write, once the file is open; the
    class mixing it in starts C{self.server} on C{self.root} holding
    C{old.txt}.
    """

    timeout = 120

    def serve(self, workers):
        """
        Start the server, with C{AUTH TLS}.

        @param workers: the C{--workers} count, or C{None}.
        """
        self.root = scratchDirectory(self)
        _, _, both = makeCertificate(scratchDirectory(self))
        self.server = startServing(self, [
            "--root", self.root, "--auth", "memory:alice:secret",
            "--tls-cert", both], workers)
        self.old = os.path.join(self.root, "old.txt")
        with open(self.old, "wb") as f:
            f.write(b"hello\n")

    def login(self, tls):
        """
        @param tls: secure the control and data connections.
        @return: a logged-in ftplib client in C{TYPE I}.
        """
        client = ftplib.FTP_TLS(context=clientContext()) if tls else None
        return ftplibLogin(self, self.server.port, binary=True,
                           protect=tls, client=client)

    def check(self, tls, offer, connected, code):
        """
        C{APPE} of C{new.txt}, then of C{old.txt} where the data
        connection is made, each cut by C{ABOR} sent once it waits: the
        C{150} read where its data connection is made, C{new.txt} seen
        made otherwise.

        @param tls: as for L{login}.
        @param offer: sets up the data connection, given the client;
            returns the sockets to close.
        @param connected: whether C{offer} makes the data connection.
        @param code: the C{APPE}'s reply to the C{ABOR}: C{426} where its
            data connection was ready, C{425} where it was awaited (or
            its TLS handshake was).
        """
        ftp = self.login(tls)
        for name in ("new.txt", "old.txt") if connected else ("new.txt",):
            sockets = offer(ftp)
            ftp.sock.sendall(b"APPE " + name.encode("ascii") + b"\r\n")
            if connected:
                self.assertEqual(ftp.getmultiline()[:3], "150")
            else:
                self.assertTrue(waitUntil(lambda: os.path.exists(
                    os.path.join(self.root, "new.txt"))))
            ftp.sock.sendall(b"ABOR\r\n")
            codes = [ftp.getmultiline()[:3] for _ in range(2)]
            for sock in sockets:
                sock.close()
            self.assertEqual(codes, [code, "226"], name)
            self.assertEqual(sorted(os.listdir(self.root)), ["old.txt"],
                             name)
            with open(self.old, "rb") as f:
                self.assertEqual(f.read(), b"hello\n", name)
        ftp.quit()

    def test_passiveWaiting(self):
        """
        In clear, after C{PASV}, no data connection made.
        """
        self.check(False, passive("PASV", False), False, "425")

    def test_passiveConnected(self):
        """
        In clear, after C{PASV}, the data connection made.
        """
        self.check(False, passive("PASV", True), True, "426")

    def test_extendedPassiveTLS(self):
        """
        Under TLS, after C{EPSV}, no data connection made.
        """
        self.check(True, passive("EPSV", False), False, "425")

    def test_extendedPassiveTLSConnected(self):
        """
        Under TLS, after C{EPSV}, the data connection made, its handshake
        awaited (the C{150} comes before it).
        """
        self.check(True, passive("EPSV", True), True, "425")

    def test_active(self):
        """
        In clear, after C{PORT}.
        """
        self.check(False, active, True, "426")

    def test_activeTLS(self):
        """
        Under TLS, after C{PORT}: the connection made, its handshake
        awaited (an active data connection goes to its upload only once
        its handshake is accepted).
        """
        self.check(True, active, True, "425")


class AbortInLaterWriteTests(AbortInLaterWriteMixin, unittest.TestCase):
    """
    L{AbortInLaterWriteMixin} in one process.
    """

    def setUp(self):
        self.serve(None)


class AbortInLaterWriteWorkersTests(AbortInLaterWriteMixin,
                                    unittest.TestCase):
    """
    L{AbortInLaterWriteMixin} under C{--workers 2}.
    """

    def setUp(self):
        self.serve(2)
