"""
A name holding a control of the text's direction (U+202E, RIGHT-TO-LEFT
OVERRIDE, shows what follows it reversed: C{"report\\u202etxt.exe"} reads
as C{reportexe.txt}) is shown with C{"?"} for it in a reply's text for
people (C{CWD}'s, the headings of C{MLST} and C{STAT}), and goes as it is
where a client reads it back (C{PWD}'s and C{MKD}'s C{257}, C{MLST}'s
entry, C{STAT}'s listing), on L{StringTransport}s. Every reply passed it
unchanged before session 55 (the log and the xferlog replaced it).
"""

from twisted.trial import unittest

from ftpkit.shells.memory import MemoryShell
from tests.memorysessions import loggedIn, repliesTo

NAME = "report\u202etxt.exe"
WIRE = NAME.encode("utf-8")
SHOWN = b"report?txt.exe"


class DirectionMarkTests(unittest.TestCase):
    """
    Replies naming a directory called L{NAME}.
    """

    def setUp(self):
        self.protocol, self.transport = loggedIn(
            MemoryShell({"/" + NAME + "/f.txt": b"x"}))

    def replies(self, *commands):
        """
        @return: the replies to C{commands}.
        """
        return repliesTo(self.protocol, self.transport, *commands)

    def test_shown(self):
        """
        C{CWD}'s reply, and the headings of C{MLST}'s and C{STAT}'s, show
        C{"?"} for it.
        """
        cwd, mlst, stat = self.replies(b"CWD " + WIRE, b"MLST",
                                       b"STAT /" + WIRE)
        self.assertEqual(cwd, b"250 Directory changed to /" + SHOWN + b"\r\n")
        self.assertTrue(mlst.startswith(b"250-Listing /" + SHOWN + b"\r\n"),
                        mlst)
        self.assertTrue(stat.startswith(b"212-Status of /" + SHOWN + b":\r\n"),
                        stat)

    def test_readBack(self):
        """
        C{PWD}'s and C{MKD}'s C{257}, C{MLST}'s entry and C{STAT}'s
        listing lines give the name as it is, for the client to use.
        """
        pwd, mkd, mlst, stat = self.replies(
            b"CWD " + WIRE, b"PWD", b"MKD /" + WIRE + b"/sub", b"MLST",
            b"STAT /")[1:]
        self.assertEqual(pwd, b'257 "/' + WIRE + b'" is the current directory'
                         b"\r\n")
        self.assertEqual(mkd, b'257 "/' + WIRE + b'/sub" created\r\n')
        self.assertTrue(mlst.split(b"\r\n")[1].endswith(b" /" + WIRE), mlst)
        self.assertIn(b" " + WIRE + b"\r\n", stat)
