"""
FileZilla and WinSCP, replayed: the command sequences their FTP engines
send, over plain FTP, explicit FTPS (C{AUTH TLS}, C{PROT P}, data
connections resuming the control connection's TLS session) and implicit
FTPS, in passive (C{PASV}, C{EPSV}) and active mode, with every reply
read the way the client reads it.

Neither client runs on Linux, so each is written out here from its
engine: FileZilla 3 (C{src/engine/ftp/}: logon, rawtransfer,
filetransfer, transfersocket) and FileZilla 2's engine that WinSCP
bundles (C{source/filezilla/FtpControlSocket.cpp}, with WinSCP's own
C{source/core/FtpFileSystem.cpp} above it). Replies are read with
C{tests.personaparsers}, which mirror their parsers: what a client
cannot parse, it cannot use, whatever the code.

This module holds their control connection (L{Wire}) and served tree
(L{PersonaTestsMixin}); the tests are in C{tests/integration/}:
C{test_personas_filezilla}, C{test_personas_winscp},
C{test_personas_files} and C{test_personas_workers}.
"""

import os
import socket
import ssl

from tests.personaparsers import (
    filezillaEpsv,
    filezillaPasv,
)
from tests.tlssupport import (
    FTPSTestsMixin,
    clientContext,
    readToEnd,
)


def connect(address):
    """
    @return: a socket connected to C{address}.
    """
    return socket.create_connection(address, timeout=20)


class Wire:
    """
    A client's control connection, line by line.

    @ivar context: the client's TLS context.
    @ivar sock: the control socket (TLS once secured).
    """

    def __init__(self, port, security=None, context=None, host="127.0.0.1"):
        """
        Connect, read the greeting, and with C{security="explicit"} send
        C{AUTH TLS} and secure the connection (C{"implicit"}: TLS first).
        """
        self.context = context or clientContext()
        self.host = host
        raw = socket.create_connection((host, port), timeout=20)
        self.sock = (self.context.wrap_socket(raw)
                     if security == "implicit" else raw)
        self.file = self.sock.makefile("rb")
        self.ok(None, 220)
        if security == "explicit":
            self.ok("AUTH TLS", 234)
            self.file.close()
            self.sock = self.context.wrap_socket(raw)
            self.file = self.sock.makefile("rb")

    def reply(self):
        """
        @return: C{(code, lines)} of the next reply, lines as text.
        """
        lines = []
        while True:
            line = self.file.readline().decode("utf-8").rstrip("\r\n")
            if not line and not lines:
                raise EOFError("control connection closed")
            lines.append(line)
            if len(lines) == 1 and line[3:4] != "-":
                return int(line[:3]), lines
            if len(lines) > 1 and line[:3] == lines[0][:3] \
                    and line[3:4] == " ":
                return int(line[:3]), lines

    def send(self, line):
        """
        Send one command line (UTF-8).
        """
        self.sock.sendall(line.encode("utf-8") + b"\r\n")

    def cmd(self, line):
        """
        @return: C{(code, lines)} of the reply to C{line}.
        """
        self.send(line)
        return self.reply()

    def ok(self, line, code):
        """
        Send C{line} (unless C{None}) and check the reply's code.

        @return: the reply's last line.
        """
        if line is not None:
            self.send(line)
        got, lines = self.reply()
        if got != code:
            raise AssertionError("%r: expected %d, got %r" % (line, code,
                                                              lines))
        return lines[-1]

    def login(self, protect=False):
        """
        The login both engines make: C{USER}, C{PASS}, C{SYST}, C{FEAT},
        C{OPTS UTF8 ON} (C{UTF8} is listed), then with TLS C{PBSZ 0} and
        C{PROT P}.

        @return: the C{FEAT} reply's lines.
        """
        self.ok("USER alice", 331)
        self.ok("PASS secret", 230)
        assert self.ok("SYST", 215).startswith("215 UNIX")
        code, features = self.cmd("FEAT")
        assert code == 211, features
        self.ok("OPTS UTF8 ON", 200)
        if protect:
            self.ok("PBSZ 0", 200)
            self.ok("PROT P", 200)
        return features

    def passive(self, verb="PASV"):
        """
        @return: the address a C{PASV} or C{EPSV} reply names, read as
            FileZilla reads it.
        """
        line = self.ok(verb, 227 if verb == "PASV" else 229)
        if verb == "PASV":
            return filezillaPasv(line)
        return self.host, filezillaEpsv(line)

    def secure(self, raw):
        """
        @return: C{raw} after a client handshake resuming this control
            connection's session, as FileZilla requires; reading it to its
            end raises L{ssl.SSLEOFError} where the server closes it with
            no C{close_notify}, which FileZilla takes for a failed
            transfer ("Server did not properly shut down TLS connection").
        """
        data = self.context.wrap_socket(raw, session=self.sock.session,
                                        suppress_ragged_eofs=False)
        assert data.session_reused, "data connection did not resume"
        return data

    def close(self):
        """
        Close the control connection.
        """
        self.file.close()
        self.sock.close()


class PersonaTestsMixin(FTPSTestsMixin):
    """
    A served tree (C{big.bin}, a file with a space, a dotfile, a
    directory) and a way to run one client in a thread.
    """

    def setUp(self):
        FTPSTestsMixin.setUp(self)
        os.mkdir(os.path.join(self.root, "docs"))
        for name, data in [("docs/a b.txt", b"spaced\n"),
                           ("docs/.hidden", b"h"), ("old.txt", b"old")]:
            with open(os.path.join(self.root, name), "wb") as f:
                f.write(data)
        os.utime(os.path.join(self.root, "old.txt"), (1e9, 1e9))

    def converse(self, client, security=None, context=None,
                 host="127.0.0.1"):
        """
        Run C{client(wire)} in a thread on a fresh control connection.

        @return: a Deferred with its result.
        """
        def run():
            wire = Wire(self.server.port, security, context, host)
            try:
                return client(wire)
            finally:
                wire.close()
        return self.inThread(run)

    def transfer(self, wire, command, upload=None, protect=False,
                 verb="PASV", commandFirst=False):
        """
        One transfer, FileZilla 3's way (data connection and its handshake
        before the command) or, with C{commandFirst}, FileZilla 2's (the
        command, then the connection).

        @param upload: bytes to send, or C{None} to read.
        @return: C{(received, finalLine)}.
        """
        address = wire.passive(verb)
        if commandFirst:
            wire.send(command)
        data = connect(address)
        if not commandFirst and not protect:
            wire.send(command)
        if protect:
            data = wire.secure(data)
            if not commandFirst:
                wire.send(command)
        wire.ok(None, 150)
        return self.finish(wire, data, upload)

    def activeDownload(self, wire, name, host="127.0.0.1"):
        """
        A download in active mode under C{PROT P}, FileZilla's way: the
        client listens, sends C{PORT} (over IPv4) or C{EPRT} (over IPv6)
        and C{RETR}, and is the TLS client on the connection the server
        makes, resuming the control connection's session.

        @param wire: a logged-in L{Wire}, under C{PROT P}.
        @param name: the file to download.
        @param host: the client's address: C{127.0.0.1}, or C{::1}.
        @return: C{(received, finalLine)}.
        """
        ipv6 = ":" in host
        listener = socket.create_server(
            (host, 0), family=socket.AF_INET6 if ipv6 else socket.AF_INET)
        port = listener.getsockname()[1]
        if ipv6:
            wire.ok("EPRT |2|%s|%d|" % (host, port), 200)
        else:
            wire.ok("PORT %s,%d,%d" % (host.replace(".", ","), port // 256,
                                       port % 256), 200)
        wire.send("RETR " + name)
        raw, _ = listener.accept()
        listener.close()
        data = wire.secure(raw)
        wire.ok(None, 150)
        return self.finish(wire, data, None)

    def finish(self, wire, data, upload):
        """
        Move the bytes, end the data connection as the engines do (a
        close_notify after an upload), and read the final reply. A
        download is read to its end: under TLS, the server's
        C{close_notify} (see L{Wire.secure}).
        """
        received = b""
        if upload is None:
            received = readToEnd(data)
        else:
            data.sendall(upload)
            if isinstance(data, ssl.SSLSocket):
                data = data.unwrap()
        data.close()
        code, lines = wire.reply()
        return received, lines[-1]
