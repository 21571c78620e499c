"""
Session 41's features in every mode a deployment runs
(L{tests.featuremodes}: C{twistd -n ftpkit} in one process on
C{127.0.0.1}, C{python -m ftpkit --workers 2} on C{::1}), on sessions
over explicit (C{AUTH TLS}) and implicit (C{ssl:}) FTPS, after C{CCC}
(the control connection clear again, the data still protected), after
C{REIN} (then C{HOST} and C{AUTH TLS}) and after C{AUTH TLS} following a
login in clear (each a fresh session:
L{ftpkit.control.connectionlife.ConnectionLife.startAfresh}), and in
clear, with data connections of each kind the address family has
(C{PASV}, C{EPSV}, C{PORT}, C{EPRT} on IPv4; C{EPSV}, C{EPRT} on IPv6):

  - C{PRET} (C{200} for a verb that opens a data connection, C{504} for
    another, C{501} for none), and before a transfer;
  - C{MFMT} and C{MFF} replies keeping milliseconds;
  - C{SIZE} in C{TYPE A} refused (C{550}), in C{TYPE I} answered, and a
    fresh session's C{TYPE A} after C{REIN}; the working directory
    and C{PROT} of a fresh session;
  - C{LIST -d dir/..} and C{STAT -d dir/..} (the directory's own entry),
    C{LIST -t} and C{-r} (read whole within the process's
    L{ftpkit.protocol.listingorder.SortBudget}), sorted still after a long
    one aborted unread;
  - C{ABOR} after the client read a download's last byte, before the end
    of its data (under TLS, before the close_notify): the download is
    complete (C{226}, not C{426};
    L{ftpkit.data.connection.DataConnection.allSent}).
"""

import re
import socket

from tests.featuremodes import (
    WAIT,
    ControlClient,
    ModeServerMixin,
    activeListener,
    listedNames,
    modes,
)
from tests.tlssupport import clientContext

SIZE = 3 * 1024 * 1024 + 11
"""The bytes of the file downloaded and aborted after its last byte."""


def readExactly(sock, count):
    """
    @param sock: a socket, or an C{ssl.SSLSocket}.
    @param count: how many bytes to read.
    @return: the first C{count} bytes it gives, read no further (under
        TLS, the close_notify after them stays unread); fewer if the
        stream ends first.
    """
    chunks, size = [], 0
    while size < count:
        chunk = sock.recv(min(1 << 20, count - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def readAll(sock):
    """
    @param sock: a socket, or an C{ssl.SSLSocket}.
    @return: every byte up to the end of the stream (under TLS, the
        close_notify, answered with this side's).
    """
    chunks = []
    while True:
        chunk = sock.recv(1 << 20)
        if not chunk:
            break
        chunks.append(chunk)
    if hasattr(sock, "unwrap"):
        sock.unwrap()
    return b"".join(chunks)


class Session41Tests(ModeServerMixin):
    """
    Session 41's commands, listings and aborts on each kind of session
    (L{sessions}) and data connection (L{dataKinds}).
    """

    def setUp(self):
        self.makeRoot()
        with open(self.root + "/big.bin", "wb") as f:
            f.write(bytes(range(256)) * (SIZE // 256) + b"x" * (SIZE % 256))
        with open(self.root + "/t.txt", "wb") as f:
            f.write(b"t")
        self.startServer()

    @property
    def hostName(self):
        """
        @return: the server's address as C{HOST} names it.
        """
        return "[%s]" % (self.host,) if ":" in self.host else self.host

    def dataKinds(self):
        """
        @return: the data connection commands of this address family.
        """
        if ":" in self.host:
            return ["EPSV", "EPRT"]
        return ["PASV", "EPSV", "PORT", "EPRT"]

    def sessions(self):
        """
        Open one session of each kind, logged in, C{PROT P} on all but the
        clear one, each in C{/} after a C{CWD} made before the last fresh
        start (C{REIN}, C{AUTH TLS} after a login in clear).

        @return: C{(name, client, protected)} triples.
        """
        opened = []
        for implicit in (False, True):
            client = self.client(implicit)
            self.protect(client)
            opened.append(("implicit" if implicit else "explicit", client))
        client = self.client(implicit=False)
        self.protect(client)
        self.assertEqual(client.clearControl()[:3], b"200")
        opened.append(("after CCC", client))
        client = self.clearClient()
        self.assertEqual(client.command(b"CWD dated")[:3], b"250")
        self.assertEqual(client.command(b"TYPE I")[:3], b"200")
        self.assertEqual(client.command(b"REIN")[:3], b"220")
        self.assertEqual(
            client.command(b"HOST " + self.hostName.encode())[:3], b"220")
        self.assertEqual(client.startTLS()[:3], b"234")
        self.assertEqual(client.login()[1][:3], b"230")
        self.protect(client)
        opened.append(("after REIN", client))
        client = self.clearClient()
        self.assertEqual(client.command(b"CWD dated")[:3], b"250")
        self.assertEqual(client.startTLS()[:3], b"234")
        self.assertEqual(client.command(b"PWD")[:3], b"530")
        self.assertEqual(client.login()[1][:3], b"230")
        self.protect(client)
        opened.append(("AUTH TLS after login", client))
        result = [(name, client, True) for name, client in opened]
        result.append(("clear", self.clearClient(), False))
        for name, client, _ in result:
            self.assertEqual(client.command(b"PWD")[:8], b'257 "/" ', name)
        return result

    def clearClient(self):
        """
        @return: a L{ControlClient} logged in in clear (closed when the
            test ends).
        """
        client = ControlClient(self.host, self.server.port)
        self.addCleanup(client.close)
        self.assertEqual(client.login()[1][:3], b"230")
        return client

    def protect(self, client):
        """
        C{PBSZ 0}, C{PROT P}.
        """
        self.assertEqual(client.command(b"PBSZ 0")[:3], b"200")
        self.assertEqual(client.command(b"PROT P")[:3], b"200")

    def openData(self, client, kind, command, protected):
        """
        Set up a data connection of C{kind}, send C{command}, and connect
        it (under TLS if C{protected}).

        @param kind: C{"PASV"}, C{"EPSV"}, C{"PORT"} or C{"EPRT"}.
        @return: the socket (a TLS one if C{protected}), once the
            command's C{150} came.
        """
        if kind in ("PORT", "EPRT"):
            listener, line = activeListener(self, self.host, kind)
            self.assertEqual(client.command(line)[:3], b"200")
            self.assertEqual(client.command(command)[:3], b"150")
            sock = listener.accept()[0]
        else:
            reply = client.command(kind.encode())
            if kind == "PASV":
                numbers = re.search(rb"\d+,\d+,\d+,\d+,(\d+),(\d+)", reply)
                port = int(numbers.group(1)) * 256 + int(numbers.group(2))
            else:
                port = int(re.search(rb"\|\|\|(\d+)\|", reply).group(1))
            sock = socket.create_connection((self.host, port),
                                            timeout=WAIT)
            self.assertEqual(client.command(command)[:3], b"150")
        sock.settimeout(WAIT)
        self.addCleanup(sock.close)
        if not protected:
            return sock
        return clientContext().wrap_socket(sock)

    def listing(self, client, kind, command, protected):
        """
        @return: the names C{command}'s listing gives, read whole over a
            data connection of C{kind}; its reply is C{226}.
        """
        sock = self.openData(client, kind, command, protected)
        data = readAll(sock)
        sock.close()
        self.assertEqual(client.reply()[0][:3], b"226")
        return listedNames(data.decode().splitlines())

    def test_commands(self):
        """
        On every kind of session: C{PRET}; C{MFMT} and C{MFF} with
        milliseconds; C{SIZE} refused in C{TYPE A} (the type of a fresh
        session, after C{REIN} too), answered in C{TYPE I}; C{STAT -d} of
        a directory, and of its C{..}; C{HOST} refused once logged in.
        """
        for name, client, _ in self.sessions():
            replies = [client.command(line)[:3] for line in [
                b"PRET RETR big.bin", b"PRET list", b"PRET NOOP",
                b"PRET  ", b"SIZE big.bin", b"TYPE I", b"SIZE big.bin",
                b"TYPE A", b"SIZE big.bin", b"HOST " +
                self.hostName.encode()]]
            self.assertEqual(
                replies, [b"200", b"200", b"504", b"501", b"550", b"200",
                          b"213", b"200", b"550", b"503"], name)
            self.assertEqual(
                client.command(b"MFMT 20010203040506.789 t.txt"),
                b"213 Modify=20010203040506.789; /t.txt", name)
            self.assertEqual(
                client.command(b"MFF modify=20010203040507.5; t.txt"),
                b"213 modify=20010203040507.500; /t.txt", name)
            self.assertEqual(client.command(b"MDTM t.txt"),
                             b"213 20010203040507", name)
            for path, entries in [(b"dated", ["dated"]),
                                  (b"dated/..", ["dated/.."])]:
                client.send(b"STAT -d " + path + b"\r\n")
                status = client.reply()
                self.assertEqual(status[0][3:4], b"-", name)
                self.assertEqual(
                    listedNames(line.decode() for line in status[1:-1]),
                    entries, name)
        self.assertNoTraceback()

    def test_transfers(self):
        """
        On every kind of session, over each kind of data connection in
        turn: C{PRET} then C{LIST -d dated/..}, C{LIST -t}, C{LIST -r},
        a long C{LIST -t} aborted unread, C{LIST -tr} after it, and a
        download aborted once the client read its last byte (before the
        end of its data): C{226}.
        """
        kinds = self.dataKinds()
        turn = 0
        for name, client, protected in self.sessions():
            self.assertEqual(client.command(b"TYPE I")[:3], b"200")
            for command, names in [
                    (b"LIST -d dated/..", ["dated/.."]),
                    (b"LIST -t dated", ["a.txt", "c.txt", "b.txt"]),
                    (b"LIST -r dated", ["c.txt", "b.txt", "a.txt"])]:
                kind = kinds[turn % len(kinds)]
                turn += 1
                self.assertEqual(client.command(b"PRET " + command)[:3],
                                 b"200", name)
                self.assertEqual(
                    self.listing(client, kind, command, protected), names,
                    (name, kind, command))
            kind = kinds[turn % len(kinds)]
            turn += 1
            unread = self.openData(client, kind, b"LIST -t mid", protected)
            client.send(b"ABOR\r\n")
            codes = (client.reply()[0], client.reply()[0])
            unread.close()
            self.assertIn(
                (codes[0][:3], codes[1][:3]),
                [(b"426", b"226"), (b"226", b"226"), (b"226", b"225")],
                (name, kind, codes))
            self.assertEqual(
                self.listing(client, kind, b"LIST -tr dated", protected),
                ["b.txt", "c.txt", "a.txt"], (name, kind))
            for _ in kinds:
                kind = kinds[turn % len(kinds)]
                turn += 1
                self.assertAbortAfterLastByte(client, kind, name,
                                              protected)
            # The next session's listings start one kind further.
            turn += 1
        self.assertNoTraceback()

    def assertAbortAfterLastByte(self, client, kind, name, protected):
        """
        Download C{big.bin} over a data connection of C{kind}, read its
        every byte but not the close_notify after them, then C{ABOR}:
        the download's reply is C{226}; the C{ABOR}'s C{226}, or C{225}
        when the download had ended already.
        """
        sock = self.openData(client, kind, b"RETR big.bin", protected)
        got = readExactly(sock, SIZE)
        client.send(b"ABOR\r\n")
        codes = [client.reply()[0][:3], client.reply()[0][:3]]
        sock.close()
        self.assertEqual((len(got), codes[0]), (SIZE, b"226"), (name, kind))
        self.assertIn(codes[1], [b"225", b"226"], (name, kind))
        self.assertEqual(client.command(b"NOOP")[:3], b"200")


modes(Session41Tests, "Session41Modes", globals())
