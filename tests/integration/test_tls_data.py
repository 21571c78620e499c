"""
The TLS of data connections, driven with raw sockets and Python's C{ssl}
where ftplib cannot show it: a handshake answered before the transfer
command arrives, the protection level changing under an open data
connection, how the client ends a download or an upload, and the data
timeout of a connection no transfer uses or one never answered.
"""

import os
import socket
import ssl
import time

from twisted.trial import unittest

from ftpkit.data import handshakeend
from tests.attackhelpers import fullListener
from tests.sockreads import readToEnd
from tests.tlssupport import FTPSTestsMixin, clientContext, clientHello


class RawSession:
    """
    A blocking FTPS control connection spoken line by line: explicit
    (AUTH TLS) or implicit, logged in as alice, PBSZ 0, PROT P and TYPE I
    given.
    """

    def __init__(self, port, implicit=False, context=None):
        self.port = port
        self.context = context or clientContext()
        raw = socket.create_connection(("127.0.0.1", port), timeout=20)
        if implicit:
            raw = self.context.wrap_socket(raw)
        self.sock = raw
        self.file = raw.makefile("rb")
        self.expect("220")
        if not implicit:
            self.command("AUTH TLS", "234")
            self.file.close()
            self.sock = self.context.wrap_socket(raw)
            self.file = self.sock.makefile("rb")
        self.command("USER alice", "331")
        self.command("PASS secret", "230")
        self.command("PBSZ 0", "200")
        self.command("PROT P", "200")
        self.command("TYPE I", "200")

    def send(self, line):
        """
        Send one command line.
        """
        self.sock.sendall(line.encode("ascii") + b"\r\n")

    def reply(self):
        """
        @return: the next reply's last line, as text.
        """
        while True:
            line = self.file.readline().decode("ascii")
            if not line:
                raise EOFError("control connection closed")
            if line[3:4] == " ":
                return line.rstrip("\r\n")

    def expect(self, code):
        """
        Read the next reply and check its code.

        @return: the reply line.
        """
        line = self.reply()
        if not line.startswith(code):
            raise AssertionError("expected %s, got %r" % (code, line))
        return line

    def command(self, line, code):
        """
        Send C{line} and check the reply's code.

        @return: the reply line.
        """
        self.send(line)
        return self.expect(code)

    def passive(self):
        """
        EPSV, then connect to the port it names.

        @return: the connected raw socket.
        """
        line = self.command("EPSV", "229")
        port = int(line.split("|||")[1].split("|")[0])
        return socket.create_connection(("127.0.0.1", port), timeout=20)

    def active(self):
        """
        PORT to a listening socket of this client's.

        @return: the listening socket, for the server's connection.
        """
        listener = socket.create_server(("127.0.0.1", 0))
        listener.settimeout(20)
        port = listener.getsockname()[1]
        self.command("PORT 127,0,0,1,%d,%d" % (port >> 8, port & 255),
                     "200")
        return listener

    def secure(self, raw):
        """
        @return: C{raw} after a TLS handshake, resuming the control
            connection's session.
        """
        return self.context.wrap_socket(raw, session=self.sock.session)

    def close(self):
        """
        Close the control connection.
        """
        self.file.close()
        self.sock.close()


class DataTLSTests(FTPSTestsMixin, unittest.TestCase):
    """
    Data connections under PROT P, with a client written out step by step.
    """

    def session(self, implicit=False):
        """
        @return: a logged-in L{RawSession} (blocking: in a thread).
        """
        return RawSession(self.server.port, implicit)

    def test_protectionChangedAfterConnect(self):
        """
        A data connection opened (and its handshake done) under PROT P,
        then PROT C before the command: the command gets C{425} (the
        connection is under TLS already), and the session goes on.
        """
        self.serve()

        def client():
            session = self.session()
            try:
                data = session.secure(session.passive())
                session.command("PROT C", "200")
                session.send("RETR big.bin")
                refusal = session.reply()
                data.close()
                session.command("PROT P", "200")
                data = session.secure(session.passive())
                session.send("RETR big.bin")
                session.expect("150")
                received = readToEnd(data, resetEnds=True)
                data.close()
                return refusal, received == self.payload, session.reply()
            finally:
                session.close()

        def check(result):
            refusal, complete, final = result
            self.assertEqual((refusal[:3], complete, final[:3]),
                             ("425", True, "226"), result)
        return self.inThread(client).addCallback(check)

    def test_downloadClosedWithoutCloseNotify(self):
        """
        A client that reads a download to its end (the server's
        close_notify included), then closes the socket without a
        close_notify of its own gets C{226}: it has every byte.
        """
        self.serve()

        def client():
            session = self.session()
            try:
                data = session.secure(session.passive())
                session.send("RETR big.bin")
                session.expect("150")
                received = readToEnd(data, resetEnds=True)
                data.close()
                return received == self.payload, session.reply()
            finally:
                session.close()

        return self.inThread(client).addCallback(
            lambda result: self.assertEqual(
                (result[0], result[1][:3]), (True, "226"), result))

    def test_uploadWithoutCloseNotifyFails(self):
        """
        An upload whose client closes the connection without a
        close_notify gets C{426} and leaves no file: the server cannot tell
        the end of the upload from a connection cut by an attacker (a
        truncation attack).
        """
        self.serve()

        def client():
            session = self.session()
            try:
                data = session.secure(session.passive())
                session.send("STOR cut.bin")
                session.expect("150")
                data.sendall(self.payload)
                data.close()
                return session.reply()
            finally:
                session.close()

        def check(final):
            self.assertEqual(final[:3], "426", final)
            self.assertFalse(os.path.exists(os.path.join(self.root,
                                                         "cut.bin")))
        return self.inThread(client).addCallback(check)


class SilentClientTests(FTPSTestsMixin, unittest.TestCase):
    """
    A download over a connection the server opened (active mode) whose
    client sends nothing on it, not even its TLS handshake: curl does so
    for a file C{SIZE} said is empty, and waits for the C{226}.
    """

    def setUp(self):
        FTPSTestsMixin.setUp(self)
        open(os.path.join(self.root, "empty.bin"), "wb").close()
        self.patch(handshakeend, "SILENT_CLIENT_TIMEOUT", 0.1)
        self.serve(dataTimeout=2)

    def download(self, name, greeting=b""):
        """
        RETR C{name} in active mode; accept the server's connection, send
        C{greeting} on it and nothing else.

        @return: a Deferred firing with what the client read on the data
            connection until it ended (or C{None} if it did not within the
            timeout) and the final reply.
        """
        def client():
            session = RawSession(self.server.port)
            try:
                listener = session.active()
                session.send("RETR " + name)
                session.expect("150")
                data, _ = listener.accept()
                listener.close()
                data.sendall(greeting)
                data.settimeout(10)
                try:
                    received = data.recv(65536)
                except OSError:
                    received = None
                final = session.reply()
                data.close()
                return received, final[:3]
            finally:
                session.close()
        return self.inThread(client)

    def test_emptyFile(self):
        """
        An empty file: the server ends the TCP connection and answers
        C{226} (the client has the whole file), where it waited for the
        handshake until the data timeout and answered C{426}.
        """
        return self.download("empty.bin").addCallback(
            self.assertEqual, (b"", "226"))

    def test_fileWithData(self):
        """
        A file with data cannot reach a client that never starts its TLS:
        C{425} once the data timeout is over (the handshake's deadline,
        the shorter), never C{226}; the download never started (C{426}
        before session 54).
        """
        return self.download("big.bin").addCallback(
            lambda result: self.assertEqual(result[1], "425"))

    def test_handshakeStarted(self):
        """
        A client that started its handshake (the first bytes of a TLS
        record) is no silent client: its empty download waits for the
        handshake, and fails (C{426}) when it never ends.
        """
        return self.download("empty.bin", b"\x16\x03\x01").addCallback(
            lambda result: self.assertEqual(result[1], "426"))


def endedWithin(sock, seconds=20, trickle=None):
    """
    Wait until the server ends a connection (blocking), whatever it sends
    first; the socket is closed here.

    @param sock: a connected socket, plain or under TLS.
    @param seconds: how long to wait.
    @param trickle: if given, a byte sent every C{trickle} seconds
        meanwhile, as a client keeping the connection busy.
    @return: whether it ended within C{seconds}.
    """
    deadline = time.monotonic() + seconds
    sock.settimeout(trickle or seconds)
    with sock:
        while time.monotonic() < deadline:
            try:
                if trickle is not None:
                    sock.sendall(b"x")
                if not sock.recv(65536):
                    return True
            except TimeoutError:
                continue
            except (ConnectionError, ssl.SSLError):
                return True
    return False


class UnusedDataTLSTests(FTPSTestsMixin, unittest.TestCase):
    """
    Under C{PROT P}, explicit and implicit, the client's passive
    connection no transfer command uses is closed C{dataTimeout} after it
    came, as one in the clear is
    (L{tests.integration.test_hardening_passive}), whether its handshake
    was done, stopped part-way or never began; the next C{RETR} gets
    C{425}. An active connection never answered ends its download
    (C{425}) after C{dataTimeout} too.
    """

    def unused(self, implicit=False, start=None, trickle=None):
        """
        Open a passive connection and use it for nothing.

        @param implicit: implicit FTPS, not C{AUTH TLS}.
        @param start: what the client sends on it: C{None} for a whole
            handshake, else these bytes and nothing more.
        @param trickle: after a whole handshake, send a byte every
            C{trickle} seconds (L{endedWithin}).
        @return: a Deferred checking that the server ended it, and that
            C{RETR} then got C{425}.
        """
        if implicit:
            self.serveImplicit(dataTimeout=1)
        else:
            self.serve(dataTimeout=1)

        def client():
            session = RawSession(self.server.port, implicit)
            try:
                data = session.passive()
                if start is None:
                    data = session.secure(data)
                else:
                    data.sendall(start)
                ended = endedWithin(data, trickle=trickle)
                session.send("RETR big.bin")
                return ended, session.reply()
            finally:
                session.close()

        def check(result):
            self.assertEqual((result[0], result[1][:3]), (True, "425"),
                             result)
        return self.inThread(client).addCallback(check)

    def test_handshakeDone(self):
        """
        Its handshake done (C{AUTH TLS}).
        """
        return self.unused()

    def test_handshakeDoneImplicit(self):
        """
        Its handshake done (implicit FTPS).
        """
        return self.unused(implicit=True)

    def test_handshakeDoneBytesSent(self):
        """
        Its handshake done, and a byte sent now and then: what the client
        sends before a transfer moves no transfer on. The connection was
        bounded by its watchdog alone, which those bytes moved on: it
        stayed open as long as they came.
        """
        return self.unused(trickle=0.3)

    def test_handshakeStopped(self):
        """
        Half a ClientHello sent.
        """
        hello = clientHello()
        return self.unused(start=hello[:len(hello) // 2])

    def test_silentImplicit(self):
        """
        Nothing sent (implicit FTPS).
        """
        return self.unused(implicit=True, start=b"")

    def test_activeNeverAccepted(self):
        """
        C{PORT} to a client whose listen queue is full: the download gets
        C{425} after C{dataTimeout}, under C{PROT P} as in the clear.
        """
        self.serve(dataTimeout=1)

        def client():
            session = RawSession(self.server.port)
            try:
                with fullListener() as listener:
                    port = listener.getsockname()[1]
                    session.command("PORT 127,0,0,1,%d,%d"
                                    % (port >> 8, port & 255), "200")
                    session.send("RETR big.bin")
                    reply = session.reply()
                    while reply.startswith("1"):
                        reply = session.reply()
                return reply
            finally:
                session.close()

        return self.inThread(client).addCallback(
            lambda reply: self.assertEqual(reply[:3], "425", reply))
