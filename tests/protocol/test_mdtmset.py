"""
C{MDTM} given a time and a path, the form some servers (Pure-FTPd) take
for setting the time, on L{StringTransport}: C{MDTM} only reads a time
(its access class in the command table is reading), so the form gets a
clear C{501} pointing at C{MFMT}, not C{550} for a file named after the
whole argument; a file that has that name still gets its time.
"""

from twisted.trial import unittest

from ftpkit.protocol.commands import formatTimeval
from ftpkit.shells.memory import MemoryShell
from tests.memorysessions import loggedIn, repliesTo


class MDTMSetFormTests(unittest.TestCase):
    """
    C{MDTM} on a L{MemoryShell} of C{/f.txt} and C{/20240102030405 g}.
    """

    def setUp(self):
        self.shell = MemoryShell({"/f.txt": b"x", "/20240102030405 g": b"y"})
        self.protocol, self.transport = loggedIn(self.shell)

    def mtime(self, name):
        """
        @return: the modification time of C{/name}, as C{MDTM} gives it.
        """
        info = self.successResultOf(self.shell.stat((name,)))
        return formatTimeval(info.mtime).encode("ascii")

    def test_setForm(self):
        """
        C{MDTM TIME PATH} gets C{501} naming C{MFMT}, and the time stays:
        it got C{550 No such file or directory}, which told a client
        trying it nothing.
        """
        before = self.mtime("f.txt")
        [reply] = repliesTo(self.protocol, self.transport,
                           b"MDTM 20240102030405 f.txt")
        self.assertEqual(reply, b"501 MDTM does not set a file's time; "
                                b"use MFMT\r\n")
        self.assertEqual(self.mtime("f.txt"), before)

    def test_fileOfThatName(self):
        """
        A file named like the set form gets its time.
        """
        [reply] = repliesTo(self.protocol, self.transport,
                           b"MDTM 20240102030405 g")
        self.assertEqual(reply,
                         b"213 " + self.mtime("20240102030405 g") + b"\r\n")

    def test_otherNames(self):
        """
        A name that is not a time and a path still gets C{550}.
        """
        replies = repliesTo(self.protocol, self.transport, b"MDTM 2024 f.txt",
                           b"MDTM 20241302030405 f.txt")
        self.assertEqual([reply[:4] for reply in replies], [b"550 "] * 2)

    def test_noMFMTHere(self):
        """
        A user whose C{MFMT} is refused (C{--read-only}) is not sent to
        it: times cannot be set here.
        """
        protocol, transport = loggedIn(MemoryShell({"/f.txt": b"x"}),
                                       readOnly=True)
        self.assertEqual(
            repliesTo(protocol, transport, b"MDTM 20240102030405 f.txt",
                      b"MFMT 20240102030405 f.txt"),
            [b"501 MDTM does not set a file's time; times cannot be set "
             b"here\r\n",
             b"550 Permission denied\r\n"])
