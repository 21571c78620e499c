"""
Commands sent on the control connection while a transfer runs (see
L{tests.guiclients}): C{STAT}, C{NOOP}, C{PWD}, C{SIZE}, C{ABOR} (as a
line, as Telnet IP and Synch with TCP urgent data, as Telnet IP and DM
inside TLS) and C{QUIT}, during a download, an upload and a listing.

FileZilla 3 and WinSCP send none of them during a transfer: they cancel
by closing the data connection (C{test_personas_filezilla}) and keep the
connection alive only while idle (FileZilla's C{OnTimer} in
C{src/engine/ftp/ftpcontrolsocket.cpp}: C{NOOP}, C{TYPE}, C{PWD}, with no
operation running; WinSCP's C{SendKeepAliveCommand} in
C{source/filezilla/FtpControlSocket.cpp}: C{PWD}, C{REST 0}, C{TYPE A},
C{TYPE I}); their users' other clients (ftplib's C{abort}, BSD C{ftp}'s
C{abort}, command-line clients polling with C{STAT}) do. What RFC 959
asks: C{STAT} answered while the transfer runs; other commands answered
after the transfer's reply, in order; C{ABOR} ends it with C{426} then
C{226} (C{226} alone when it had ended); C{QUIT} lets it finish, then
C{221} and the end of the connection.

C{NOOP} is the exception: while the data moves, with nothing waiting
before it, it is answered at once, before the transfer's reply, for
commons-net's keep-alive (C{setControlKeepAliveTimeout}), which reads one
reply per C{NOOP} before the transfer's and so took a C{426} answered
first for a success (L{tests.integration.test_java_commonsnet}). A
C{NOOP} pipelined behind another command keeps its turn. What the others
do with a C{NOOP} sent during a download whose client keeps reading:
pyftpdlib 2.2 answers it (and any other command, C{PWD} too) at once;
Pure-FTPd 1.0.50 watches the control connection for C{ABOR} only and
answers anything else at once with C{500 Unknown command}; vsftpd and
ProFTPD 1.3.8 answer it after the transfer's C{226}, in order.
"""

import os
import socket

from twisted.trial import unittest

from tests.guiclients import (
    Clear,
    ExtendedPassive,
    GUIClientsMixin,
    Passive,
    Protected,
    SingleProcess,
    TwoWorkers,
    readUntilEnd,
)
from tests.personaparsers import mlsdEntries

MANY = 1500
"""Entries of the listed directory, each with a long name (L{entryName}):
about 500 KB of C{MLSD}, several times what the server can have in
flight to a client that reads nothing through a small window."""


def entryName(number):
    """
    @param number: an entry's number.
    @return: its name, 200 characters long.
    """
    return "%05d-" % (number,) + "n" * 194

BSD_ABORT = (b"\xff\xf4\xff", b"\xf2ABOR\r\n")
"""BSD C{ftp}'s C{abort}: Telnet IP and IAC sent as urgent data (the
Synch), then DM and the command in the normal stream."""


class MidTransferMixin(GUIClientsMixin):
    """
    The tests every way of serving runs; a class below picks the server,
    the security and the passive verb.
    """

    def abortLine(self, wire):
        """
        Send C{ABOR} as the clients of this security can: in the clear
        the BSD way, with urgent data (the server keeps it inline); under
        TLS, where urgent data cannot go through the TLS layer, Telnet IP
        and DM inside it, then the command.
        """
        if self.security is None:
            wire.sock.send(BSD_ABORT[0], socket.MSG_OOB)
            wire.sock.sendall(BSD_ABORT[1])
        else:
            wire.sock.sendall(b"\xff\xf4\xff\xf2ABOR\r\n")

    def test_duringDownload(self):
        """
        C{STAT}, C{NOOP}, C{PWD} and C{SIZE} sent together during a
        download the client is not reading: C{STAT}'s C{213} with the
        bytes sent so far comes at once, then C{NOOP}'s C{200}; once the
        client reads the file to its end (whole), C{226}, then the
        others' replies in order.
        """
        def client(wire):
            data = self.start(wire, "RETR huge.bin")
            first = data.recv(65536)
            wire.send("STAT\r\nNOOP\r\nPWD\r\nSIZE huge.bin")
            status = wire.reply()
            noop = wire.reply()[1][-1]
            received, clean = readUntilEnd(data)
            return (status[0], "bytes transferred" in status[1][-1], noop,
                    first + received == self.huge, clean,
                    [wire.reply()[1][-1] for _ in range(3)])

        return self.session(client).addCallback(
            self.assertEqual,
            (213, True, "200 NOOP ok", True, True,
             ["226 Transfer complete",
              '257 "/" is the current directory', "213 %d" % (len(
                  self.huge),)]))

    def test_noopBehindCommand(self):
        """
        C{NOOP} pipelined behind C{PWD} during a download waits behind it:
        C{226}, C{257}, C{200}, in the order sent.
        """
        def client(wire):
            data = self.start(wire, "RETR huge.bin")
            first = data.recv(65536)
            wire.send("PWD\r\nNOOP")
            received, clean = readUntilEnd(data)
            return (first + received == self.huge, clean,
                    [wire.reply()[0] for _ in range(3)])

        return self.session(client).addCallback(
            self.assertEqual, (True, True, [226, 257, 200]))

    def abortDownload(self, send):
        """
        Abort a download the client stopped reading with C{send(wire)}.

        @return: a Deferred firing with the replies' codes (the transfer's
            and C{ABOR}'s, then C{NOOP}'s), and whether less than the
            file came.
        """
        def client(wire):
            data = self.start(wire, "RETR huge.bin")
            first = data.recv(65536)
            send(wire)
            codes = [wire.reply()[0], wire.reply()[0]]
            received, _ = readUntilEnd(data)
            codes.append(wire.cmd("NOOP")[0])
            return codes, len(first + received) < len(self.huge)

        return self.session(client)

    def test_abortDownloadTelnet(self):
        """
        C{ABOR} after Telnet IP and Synch (L{abortLine}): the same.
        """
        return self.abortDownload(self.abortLine).addCallback(
            self.assertEqual, ([426, 226, 200], True))

    def test_abortUpload(self):
        """
        C{ABOR} during an upload replacing C{old.txt}: C{426}, C{226}; the
        old file stays whole, and C{SIZE} gives what the cut upload kept
        for a resume (all, part or none of what was sent: under load the
        C{ABOR} may come before the first bytes were stored, and a cut
        upload replacing a file is kept even empty), never the old file's
        size, from which a resume would write the new file's rest after
        the old file's start.
        """
        def client(wire):
            data = self.start(wire, "STOR old.txt")
            data.sendall(b"n" * 2 ** 20)
            self.abortLine(wire)
            codes = [wire.reply()[0], wire.reply()[0]]
            data.close()
            size = int(wire.ok("SIZE old.txt", 213)[4:])
            kept = size <= 2 ** 20 and size != len(b"old")
            return codes, kept, self.readFile("old.txt")

        return self.session(client).addCallback(
            self.assertEqual, ([426, 226], True, b"old"))

    def quitDuring(self, command, move):
        """
        Send C{QUIT} once C{command} runs, then C{move(data)}.

        @return: a Deferred firing with the replies' codes and what
            followed them on the control connection (C{b""}: its end).
        """
        def client(wire):
            data = self.start(wire, command)
            wire.send("QUIT")
            moved = move(data)
            codes = [wire.reply()[0], wire.reply()[0]]
            return codes, wire.file.read(), moved

        return self.session(client)

    def test_quitDuringUpload(self):
        """
        C{QUIT} during an upload: the upload completes, then C{226} and
        C{221}.
        """
        def move(data):
            data.sendall(self.huge)
            self.endUpload(data)

        def check(result):
            self.assertEqual(result, ([226, 221], b"", None))
            self.assertEqual(self.readFile("quit.bin"), self.huge)
        return self.quitDuring("STOR quit.bin", move).addCallback(check)


class MoreMidTransferMixin(MidTransferMixin):
    """
    The tests one process runs too: their code is the same in a worker,
    which would add only its start-up (seconds) to each.
    """

    def test_duringUpload(self):
        """
        The same during an upload whose client has sent its first MiB
        only: C{STAT} and C{NOOP} at once, then, once the rest is in,
        C{226} and the file's whole size.
        """
        def client(wire):
            data = self.start(wire, "STOR up.bin")
            data.sendall(self.huge[:2 ** 20])
            wire.send("STAT\r\nNOOP\r\nSIZE up.bin")
            status = wire.reply()[0]
            noop = wire.reply()[1][-1]
            data.sendall(self.huge[2 ** 20:])
            self.endUpload(data)
            return status, noop, [wire.reply()[1][-1] for _ in range(2)]

        def check(result):
            self.assertEqual(result, (213, "200 NOOP ok", [
                "226 Transfer complete", "213 %d" % (len(self.huge),)]))
            self.assertEqual(self.readFile("up.bin"), self.huge)
        return self.session(client).addCallback(check)

    def test_abortDownload(self):
        """
        C{ABOR} as a line during a download: C{426}, C{226}, and the
        session goes on.
        """
        return self.abortDownload(lambda wire: wire.send("ABOR")).addCallback(
            self.assertEqual, ([426, 226, 200], True))

    def test_quitDuringDownload(self):
        """
        C{QUIT} during a download: the file comes whole, then C{226},
        C{221} and the end of the connection (RFC 959).
        """
        def move(data):
            received, clean = readUntilEnd(data)
            return received == self.huge and clean

        return self.quitDuring("RETR huge.bin", move).addCallback(
            self.assertEqual, ([226, 221], b"", True))

    def manyEntries(self):
        """
        Fill C{/many} with L{MANY} empty files.
        """
        directory = os.path.join(self.root, "many")
        os.mkdir(directory)
        for i in range(MANY):
            os.close(os.open(os.path.join(directory, entryName(i)),
                             os.O_CREAT | os.O_WRONLY, 0o644))

    def test_duringListing(self):
        """
        The same during an C{MLSD} of L{MANY} entries: C{STAT} and
        C{NOOP} at once, then the whole listing, C{226} and C{257}.
        """
        self.manyEntries()

        def client(wire):
            data = self.start(wire, "MLSD /many", small=True)
            first = data.recv(4096)
            wire.send("STAT\r\nNOOP\r\nPWD")
            status = wire.reply()[1][-1]
            noop = wire.reply()[0]
            received, clean = readUntilEnd(data)
            return (status.startswith("213 MLSD /many: "), noop,
                    len(mlsdEntries(first + received)), clean,
                    [wire.reply()[0] for _ in range(2)])

        return self.session(client).addCallback(
            self.assertEqual, (True, 200, MANY + 2, True, [226, 257]))

    def test_abortListing(self):
        """
        C{ABOR} during an C{MLSD}: C{426}, C{226}, and the listing is
        cut.
        """
        self.manyEntries()

        def client(wire):
            data = self.start(wire, "MLSD /many", small=True)
            first = data.recv(4096)
            wire.send("ABOR")
            codes = [wire.reply()[0], wire.reply()[0]]
            received, _ = readUntilEnd(data)
            codes.append(wire.cmd("PWD")[0])
            return codes, (first + received).count(b"\r\n") < MANY

        return self.session(client).addCallback(
            self.assertEqual, ([426, 226, 257], True))

    def test_quitDuringListing(self):
        """
        C{QUIT} during an C{MLSD}: the whole listing, C{226}, C{221}.
        """
        self.manyEntries()

        def move(data):
            return len(mlsdEntries(readUntilEnd(data)[0]))

        return self.quitDuring("MLSD /many", move).addCallback(
            self.assertEqual, ([226, 221], b"", MANY + 2))


class SingleClearPassiveTests(MoreMidTransferMixin, SingleProcess, Clear,
                              Passive, unittest.TestCase):
    """
    One process, plain FTP, C{PASV}.
    """


class SingleProtectedExtendedTests(MoreMidTransferMixin, SingleProcess,
                                   Protected, ExtendedPassive,
                                   unittest.TestCase):
    """
    One process, explicit FTPS, C{EPSV}.
    """


class WorkersClearExtendedTests(MidTransferMixin, TwoWorkers, Clear,
                                ExtendedPassive, unittest.TestCase):
    """
    Two workers, plain FTP, C{EPSV}.
    """


class WorkersProtectedPassiveTests(MidTransferMixin, TwoWorkers, Protected,
                                   Passive, unittest.TestCase):
    """
    Two workers, explicit FTPS, C{PASV}.
    """
