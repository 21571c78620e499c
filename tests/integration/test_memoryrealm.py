"""
C{--realm memory:SIZE} over real sockets: an uploader cannot fill the
server's memory (the tree had no limit at all).
"""

import ftplib
import io

from twisted.trial import unittest

from tests.floods import uploadUntilCut
from tests.serverprocess import ServerProcess

LIMIT = 1 << 20
"""The realm's size in these tests: C{--realm memory:1M}."""

FLOOD = 64 << 20
"""Bytes the uploader tries to send: far past the limit."""


class MemoryRealmLimitTests(unittest.TestCase):
    """
    A server started with C{--realm memory:1M}.
    """

    def setUp(self):
        self.server = ServerProcess(self, [
            "--realm", "memory:1M", "--auth", "memory:alice:secret"])
        self.server.waitForGreeting()

    def login(self):
        ftp = self.server.login("alice", "secret")
        ftp.voidcmd("TYPE I")
        return ftp

    def flood(self, ftp, command):
        """
        Send up to L{FLOOD} bytes with C{command}.

        @return: C{(bytes sent, final reply)}.
        """
        return uploadUntilCut(ftp, command, FLOOD, 256 << 10)

    def test_uploadPastLimit(self):
        """
        C{STOR} of more than the realm holds gets C{552} before the client
        has sent it all, and nothing of it is kept; the room is still
        there for an upload that fits.
        """
        ftp = self.login()
        sent, final = self.flood(ftp, "STOR flood.bin")
        self.assertTrue(final.startswith("552"), final)
        self.assertLess(sent, FLOOD)
        self.assertEqual(ftp.nlst(), [])
        fits = b"y" * (LIMIT - 1)
        ftp.storbinary("STOR fits.bin", io.BytesIO(fits))
        self.assertEqual(ftp.size("fits.bin"), LIMIT - 1)
        received = []
        ftp.retrbinary("RETR fits.bin", received.append)
        self.assertEqual(b"".join(received), fits)
        with self.assertRaises(ftplib.error_perm) as caught:
            ftp.storbinary("STOR more.bin", io.BytesIO(b"z" * 2))
        self.assertTrue(str(caught.exception).startswith("552"))
        self.assertEqual(ftp.nlst(), ["fits.bin"])

    def test_appendPastLimit(self):
        """
        C{APPE} and a resumed C{STOR} (C{REST}) that would grow a file
        past the limit get C{552}; the file stays as it was.
        """
        ftp = self.login()
        start = b"a" * (LIMIT - 10)
        ftp.storbinary("STOR f", io.BytesIO(start))
        for command, rest in [("APPE f", None), ("STOR f", LIMIT - 10)]:
            with self.assertRaises(ftplib.error_perm) as caught:
                ftp.storbinary(command, io.BytesIO(b"z" * 20), rest=rest)
            self.assertTrue(str(caught.exception).startswith("552"),
                            (command, caught.exception))
            self.assertEqual(ftp.size("f"), LIMIT - 10)
        ftp.storbinary("APPE f", io.BytesIO(b"z" * 10))
        self.assertEqual(ftp.size("f"), LIMIT)

    def test_resumeReplacingFits(self):
        """
        A resume (C{REST} + C{STOR}) of a file whose result fits gets
        C{226}, though the old file and the bytes sent together would
        not fit: the bytes it writes over count as room, as on the disk
        realm with a quota (it got C{552}). One whose result does not
        fit still gets C{552}, the file left at its length before, as
        on the disk.
        """
        ftp = self.login()
        ftp.storbinary("STOR f", io.BytesIO(b"a" * 600000))
        ftp.storbinary("STOR f", io.BytesIO(b"b" * 460000), rest=100)
        self.assertEqual(ftp.size("f"), 460100)
        received = []
        ftp.retrbinary("RETR f", received.append)
        self.assertEqual(b"".join(received), b"a" * 100 + b"b" * 460000)
        with self.assertRaises(ftplib.error_perm) as caught:
            ftp.storbinary("STOR f", io.BytesIO(b"c" * (LIMIT - 99)),
                           rest=100)
        self.assertTrue(str(caught.exception).startswith("552"),
                        caught.exception)
        self.assertEqual(ftp.size("f"), 460100)

    def test_storeReplacingFits(self):
        """
        C{STOR} replacing a file gets C{226} where the new file fits
        once the old one's room is freed (it got C{552}, the old file
        kept), as on the disk realm with a quota; one past the realm's
        size still gets C{552}, the old file kept.
        """
        ftp = self.login()
        ftp.storbinary("STOR f", io.BytesIO(b"a" * 600000))
        ftp.storbinary("STOR f", io.BytesIO(b"b" * 500000))
        received = []
        ftp.retrbinary("RETR f", received.append)
        self.assertEqual(b"".join(received), b"b" * 500000)
        with self.assertRaises(ftplib.error_perm) as caught:
            ftp.storbinary("STOR f", io.BytesIO(b"c" * (LIMIT + 1)))
        self.assertTrue(str(caught.exception).startswith("552"),
                        caught.exception)
        self.assertEqual((ftp.size("f"), ftp.nlst()), (500000, ["f"]))

    def test_directoryFlood(self):
        """
        Directories hold no byte, but each costs the server memory: a
        client sending C{MKD} after C{MKD} (pipelined) gets C{550} once
        the realm holds as many files and directories as its size allows
        (1024 for 1M), and an empty upload then gets C{552}; removing
        one makes room again.
        """
        ftp = self.login()
        count = 1100
        ftp.sock.sendall(b"".join(b"MKD d%04d\r\n" % number
                                  for number in range(count)))
        codes = [_reply(ftp) for _ in range(count)]
        self.assertEqual(codes, ["257"] * 1024 + ["550"] * (count - 1024))
        with self.assertRaises(ftplib.error_perm) as caught:
            ftp.storbinary("STOR empty", io.BytesIO(b""))
        self.assertTrue(str(caught.exception).startswith("552"))
        ftp.rmd("d0000")
        ftp.storbinary("STOR empty", io.BytesIO(b""))
        self.assertEqual(ftp.size("empty"), 0)


def _reply(ftp):
    """
    @return: the code of the next reply, whatever it is.
    """
    return ftp.getmultiline()[:3]
