"""
Minimal FTP clients for the benchmark: just enough of the protocol (USER,
PASS, TYPE I, EPSV, RETR, STOR, LIST, MLSD, AUTH TLS, PBSZ, PROT, QUIT) and fast enough
not to be what is measured: L{Client} moves bulk data with large
C{recv_into} buffers and C{os.sendfile}; L{bench.sessions} drives
many sessions at once.
"""

import os
import socket
import ssl

CHUNK = 1 << 20


class ReplyError(Exception):
    """
    The server answered with an unexpected reply code.
    """


def clientContext():
    """
    A TLS client context that accepts the benchmark's self-signed
    certificate.

    @return: an L{ssl.SSLContext}.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _epsvPort(text):
    """
    The port of a C{229} reply.

    @param text: the reply, e.g. C{"229 Entering ... (|||4242|)"}.
    @return: the port, an C{int}.
    """
    return int(text[text.index("(") + 1:text.rindex(")")].split("|")[3])


class Client:
    """
    A blocking FTP client for bulk transfers.

    @ivar sock: the control connection (wrapped in TLS after C{AUTH TLS}).
    """

    def __init__(self, port, user, password, tls=None, timeout=60):
        """
        Connect and log in, with binary type set.

        @param port: the server's port on 127.0.0.1.
        @param user: the user name.
        @param password: the password.
        @param tls: an L{ssl.SSLContext} to use explicit FTPS with C{PROT P},
            or C{None} for plain FTP.
        @param timeout: seconds any socket operation may block.
        """
        self._tls = tls
        self._timeout = timeout
        self._buffer = b""
        self.sock = socket.create_connection(("127.0.0.1", port), timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.expect(220)
        if tls is not None:
            self.command("AUTH TLS", 234)
            self.sock = tls.wrap_socket(self.sock)
        if self.command("USER " + user, 331, 230).startswith("331"):
            self.command("PASS " + password, 230)
        self.command("TYPE I", 200)
        if tls is not None:
            self.command("PBSZ 0", 200)
            self.command("PROT P", 200)

    def expect(self, *codes):
        """
        Read one (possibly multi-line) reply.

        @param codes: the acceptable reply codes.
        @return: the reply's last line.
        @raise ReplyError: for any other code.
        """
        while True:
            end = self._buffer.find(b"\r\n")
            if end < 0:
                data = self.sock.recv(65536)
                if not data:
                    raise ReplyError("connection closed")
                self._buffer += data
                continue
            line = self._buffer[:end].decode("utf-8", "replace")
            self._buffer = self._buffer[end + 2:]
            if len(line) > 3 and line[:3].isdigit() and line[3] == " ":
                if int(line[:3]) not in codes:
                    raise ReplyError(line)
                return line

    def command(self, line, *codes):
        """
        Send a command and read its reply.

        @param line: the command, without CRLF.
        @param codes: the acceptable reply codes.
        @return: the reply's last line.
        """
        self.sock.sendall(line.encode("utf-8") + b"\r\n")
        return self.expect(*codes)

    def open(self, line):
        """
        Open a passive data connection and start a transfer.

        @param line: the transfer command, e.g. C{"RETR big.bin"}.
        @return: the data socket, after the server's C{150}.
        """
        port = _epsvPort(self.command("EPSV", 229))
        data = socket.create_connection(("127.0.0.1", port), self._timeout)
        self.sock.sendall(line.encode("utf-8") + b"\r\n")
        if self._tls is not None:
            data = self._tls.wrap_socket(data, session=self.sock.session)
        self.expect(150, 125)
        return data

    def _close(self, data):
        """
        Close a data connection, sending TLS close_notify first.

        @param data: the data socket.
        """
        if isinstance(data, ssl.SSLSocket):
            try:
                data = data.unwrap()
            except (OSError, ssl.SSLError):
                pass
        data.close()

    def retr(self, path, hasher=None):
        """
        Download a file, counting (and optionally hashing) its bytes.

        @param path: the file's path on the server.
        @param hasher: a C{hashlib} object to update, or C{None}.
        @return: the number of bytes received.
        """
        data = self.open("RETR " + path)
        buf = bytearray(CHUNK)
        view = memoryview(buf)
        total = 0
        recv = data.recv_into
        while True:
            n = recv(buf)
            if not n:
                break
            total += n
            if hasher is not None:
                hasher.update(view[:n])
        self._close(data)
        self.expect(226, 250)
        return total

    def listing(self, command):
        """
        Fetch a directory listing.

        @param command: e.g. C{"LIST many"} or C{"MLSD many"}.
        @return: the listing's bytes.
        """
        data = self.open(command)
        chunks = []
        while chunk := data.recv(CHUNK):
            chunks.append(chunk)
        self._close(data)
        self.expect(226, 250)
        return b"".join(chunks)

    def stor(self, path, f, size):
        """
        Upload C{size} bytes of an open file, with C{sendfile} when plain.

        @param path: the file's path on the server.
        @param f: a binary file object open for reading.
        @param size: how many bytes to send from offset 0.
        @return: the number of bytes sent.
        """
        data = self.open("STOR " + path)
        offset = 0
        if self._tls is None:
            offset = data.sendfile(f, 0, size)
        else:
            fd = f.fileno()
            buf = bytearray(CHUNK)
            view = memoryview(buf)
            while offset < size:
                n = os.preadv(fd, [buf], offset)
                if not n:
                    break
                data.sendall(view[:n])
                offset += n
        self._close(data)
        self.expect(226, 250)
        return offset

    def quit(self):
        """
        Say C{QUIT} and close.
        """
        try:
            self.command("QUIT", 221)
        finally:
            self.sock.close()

    def abort(self):
        """
        Drop the control connection without a word.
        """
        self.sock.close()
