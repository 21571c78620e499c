"""
A blocking FTP client for tests that send exactly the bytes given: raw
command lines, whole replies (every line of a multi-line one), and
transfers over C{EPSV}; the attack tests use it to say what a client sees.
"""

import re
import socket

from tests.sockreads import readToEnd


class RawClient:
    """
    A blocking FTP client sending raw lines and reading whole replies.
    """

    def __init__(self, port, timeout=20, source=None):
        """
        @param source: the local address to connect from (C{127.0.0.2}
            is another client of a server on C{127.0.0.1}), or C{None}.
        """
        self.source = None if source is None else (source, 0)
        self.sock = socket.create_connection(
            ("127.0.0.1", port), timeout=timeout, source_address=self.source)
        self.buffer = b""
        self.greeting = self.reply()

    def _line(self):
        while b"\r\n" not in self.buffer:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("closed")
            self.buffer += data
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line

    def reply(self):
        """
        @return: one whole reply (every line of a multi-line one).
        """
        lines = [self._line()]
        if re.match(rb"^\d{3}-", lines[0]):
            while not lines[-1].startswith(lines[0][:3] + b" "):
                lines.append(self._line())
        return b"\n".join(lines)

    def command(self, line):
        """
        Send one line (C{bytes}, or text encoded UTF-8) and read the reply.
        """
        if isinstance(line, str):
            line = line.encode("utf-8")
        self.sock.sendall(line + b"\r\n")
        return self.reply()

    def login(self, user="alice", password="secret"):
        """
        @param user: who logs in.
        @param password: their password.
        @return: the reply to C{PASS}.
        """
        self.command("USER " + user)
        return self.command("PASS " + password)

    def epsvPort(self):
        """
        @return: the port of an C{EPSV} reply.
        """
        reply = self.command("EPSV")
        return int(re.search(rb"\|\|\|(\d+)\|", reply).group(1))

    def binaryData(self):
        """
        C{TYPE I}, then a data connection to the port of an C{EPSV} reply,
        made before the transfer's command is sent.

        @return: the connected data socket, which the caller closes.
        """
        self.command("TYPE I")
        return socket.create_connection(("127.0.0.1", self.epsvPort()),
                                        timeout=20,
                                        source_address=self.source)

    def transfer(self, line, upload=None):
        """
        Run a transfer command over a passive connection.

        @return: C{(first reply, data received, final reply or None)}.
        """
        port = self.epsvPort()
        data = socket.create_connection(("127.0.0.1", port), timeout=20,
                                        source_address=self.source)
        with data:
            first = self.command(line)
            if not first.startswith(b"1"):
                return first, b"", None
            received = b""
            if upload is not None:
                data.sendall(upload)
            else:
                received = readToEnd(data)
        return first, received, self.reply()

    def storeCode(self, name, size):
        """
        Upload C{size} bytes as C{name} (C{STOR} over a passive
        connection).

        @return: the code of the upload's final reply (its first one, when
            it was refused before any data).
        """
        first, _, last = self.transfer("STOR " + name, b"x" * size)
        return (last or first)[:3]

    def close(self):
        """
        Close the control connection.
        """
        self.sock.close()
