"""
A sparse file past 4 GiB on the disk, in clear: the data connection's
zero-copy path (C{sendfile}, C{splice}) given 64-bit offsets, where
L{tests.integration.test_personas_files} checks the same offsets under
C{PROT P}, read through Python.
"""

import ftplib
import io
import os

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.loopback import LoopbackServerMixin
from tests.ftpclient import ftplibLogin
from tests.scratch import scratchDirectory

BIG = 5 * 2 ** 30 + 7
"""The sparse file's size: past 4 GiB, not a multiple of anything."""

MARK = 2 ** 32
"""Where the file holds L{AROUND}: the first byte past 4 GiB."""

AROUND = b"0123456789"
"""Bytes written across the 4 GiB mark, five on each side."""

TAIL = b"TAILxyz"
"""The file's last bytes."""


class LargeClearFileTests(LoopbackServerMixin, unittest.TestCase):
    """
    C{SIZE}, C{MLST}, C{REST} with C{RETR}, and C{REST} with C{STOR}, of a
    sparse file past 4 GiB, with C{ftplib} in clear.
    """

    def setUp(self):
        self.root = scratchDirectory(self)
        self.big = os.path.join(self.root, "big.iso")
        with open(self.big, "wb") as f:
            f.truncate(BIG)
            f.seek(MARK - 5)
            f.write(AROUND)
            f.seek(BIG - len(TAIL))
            f.write(TAIL)
        if os.stat(self.big).st_blocks * 512 > 2 ** 20:
            raise unittest.SkipTest("no sparse files here")

    @defer.inlineCallbacks
    def test_offsetsPast4GiB(self):
        """
        C{SIZE} and C{MLST} give the 64-bit size (and C{SIZE} in C{TYPE A}
        C{550}, as for every file); C{REST} at 5 bytes before 4 GiB, at the last
        bytes, at the end, and past it (C{554}) bring exactly those bytes;
        C{REST} at the end then C{STOR} appends there.
        """
        server = self.startServer(FilesystemRealm(self.root),
                                  users={"alice": "pw"}, anonymous=False)

        def answer(ftp, command):
            try:
                return ftp.sendcmd(command)
            except ftplib.Error as e:
                return str(e)

        def client():
            ftp = ftplibLogin(self, server.port, "alice", "pw")
            told = [answer(ftp, "TYPE A"), answer(ftp, "SIZE big.iso")[:3],
                    answer(ftp, "TYPE I"), answer(ftp, "SIZE big.iso"),
                    answer(ftp, "MLST big.iso").split(";")[1]]
            received = []
            for offset, count in [(MARK - 5, len(AROUND)),
                                  (BIG - len(TAIL), None), (BIG, None)]:
                chunks = []
                conn = ftp.transfercmd("RETR big.iso", rest=offset)
                while count is None or sum(map(len, chunks)) < count:
                    data = conn.recv(65536)
                    if not data:
                        break
                    chunks.append(data)
                conn.close()
                try:
                    # Cut after the bytes wanted, the transfer ends 426.
                    reply = ftp.getresp()
                except ftplib.Error as e:
                    reply = str(e)
                received.append((b"".join(chunks)[:count], reply[:3]))
            answer(ftp, "REST %d" % (BIG + 1))
            received.append(answer(ftp, "RETR big.iso")[:3])
            ftp.storbinary("STOR big.iso", io.BytesIO(b"++"), rest=BIG)
            told.append(ftp.sendcmd("SIZE big.iso"))
            ftp.quit()
            return told, received

        told, received = yield self.inThread(client)
        self.assertEqual(told, ["200 Type set to A", "550",
                                "200 Type set to I", "213 %d" % BIG,
                                "size=%d" % BIG, "213 %d" % (BIG + 2)])
        self.assertEqual(received, [(AROUND, "426"), (TAIL, "226"),
                                    (b"", "226"), "554"])
        with open(self.big, "rb") as f:
            f.seek(BIG - len(TAIL))
            self.assertEqual(f.read(), TAIL + b"++")
