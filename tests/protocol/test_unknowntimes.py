"""
Commands about a file whose modification time its shell does not know
(L{ftpkit.fileinfo.FileInfo.mtime} C{None}), on L{StringTransport}: C{MDTM}
answers 550 rather than a 1970 time, C{MLST} leaves the C{modify} fact
out, and C{MFMT} does not fail.
"""

import dataclasses

from twisted.trial import unittest

from ftpkit.shells.memory import MemoryShell
from tests.memorysessions import loggedIn, repliesTo
from tests.protocol.test_siteutime import FEB_24_2004


class TimelessShell(MemoryShell):
    """
    A L{MemoryShell} that knows no entry's modification time, as a shell
    over a store without times would.
    """

    def stat(self, path):
        """
        @return: what L{MemoryShell.stat} gives, its C{mtime} C{None}.
        """
        return super().stat(path).addCallback(
            lambda info: dataclasses.replace(info, mtime=None))


class UnknownTimeTests(unittest.TestCase):
    """
    C{/f.txt} on a L{TimelessShell}.
    """

    def setUp(self):
        self.shell = TimelessShell({"/f.txt": b"x"})
        self.protocol, self.transport = loggedIn(self.shell)

    def test_mdtm(self):
        """
        C{MDTM} answers 550 (RFC 3659 section 3.2: the time is not
        available for it); it gave C{213 19700101000000}.
        """
        [reply] = repliesTo(self.protocol, self.transport, b"MDTM f.txt")
        self.assertEqual(reply, b"550 Modification time not known\r\n")

    def test_mlst(self):
        """
        C{MLST} gives the other facts, without C{modify}.
        """
        [reply] = repliesTo(self.protocol, self.transport, b"MLST f.txt")
        self.assertIn(b" type=file;size=1;perm=adfrw;", reply)
        self.assertNotIn(b"modify=", reply)

    def test_mfmt(self):
        """
        C{MFMT} sets the time and, the shell not telling what it kept,
        gives the time asked for.
        """
        [reply] = repliesTo(self.protocol, self.transport,
                           b"MFMT 20040224083600 f.txt")
        self.assertEqual(reply, b"213 Modify=20040224083600; /f.txt\r\n")
        kept = self.successResultOf(MemoryShell.stat(self.shell, ("f.txt",)))
        self.assertEqual(kept.mtime, FEB_24_2004)
