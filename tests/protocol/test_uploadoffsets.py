"""
A shell whose storage writes whole files says so
(L{ftpkit.interfaces.IFTPShellUploadOffsets}), and every reply about
resuming or appending an upload agrees with it, on L{StringTransport}s:
C{FEAT}, C{OPTS REST STOR}, C{REST}'s C{350}, C{REST} then C{STOR},
C{APPE} and C{HELP}.
"""

from twisted.internet.defer import fail
from twisted.logger import globalLogPublisher
from twisted.trial import unittest
from zope.interface import implementer

from ftpkit.conformance.helpers import readFile
from ftpkit.control.handlers.transfers import APPEND_REFUSED, RESUME_REFUSED
from ftpkit.errors import CommandNotImplemented
from ftpkit.interfaces import IFTPShellUploadOffsets
from ftpkit.shells.memory import MemoryShell
from tests.memorysessions import loggedIn, repliesTo


@implementer(IFTPShellUploadOffsets)
class WholeFilesShell(MemoryShell):
    """
    A L{MemoryShell} that writes whole files only, as an object store:
    an upload at an offset or appending fails, as the fsspec shell's
    does; each such open is recorded.

    @ivar writes: whether it says it writes at offsets.
    @ivar asked: the C{(path, offset, append)} of each such open.
    """

    writes = False

    def __init__(self, *args, **kwargs):
        MemoryShell.__init__(self, *args, **kwargs)
        self.asked = []

    def writesAtOffsets(self):
        """
        @return: L{writes}.
        """
        return self.writes

    def openForWriting(self, path, offset=0, append=False):
        """
        Refuse an upload at an offset or appending; open any other.
        """
        if offset or append:
            self.asked.append((path, offset, append))
            return fail(CommandNotImplemented("Appending is not supported"
                                              " by this test's storage"))
        return MemoryShell.openForWriting(self, path, offset, append)


def reply(pair):
    """
    @param pair: a C{(code, text)} reply.
    @return: it as the line the session writes.
    """
    code, text = pair
    return b"%d %s\r\n" % (code, text.encode())


class WholeFilesTests(unittest.TestCase):
    """
    On a shell that says its uploads cannot write at an offset.
    """

    def setUp(self):
        self.shell = WholeFilesShell({"/f.bin": b"0123456789"})
        self.protocol, self.transport = loggedIn(self.shell)

    def replies(self, *commands):
        """
        @return: the replies to C{commands} (L{repliesTo}).
        """
        return repliesTo(self.protocol, self.transport, *commands)

    def test_featKeepsRestStream(self):
        """
        C{FEAT} still lists C{REST STREAM}: downloads restart.
        """
        [feat] = self.replies(b"FEAT")
        self.assertIn(b"\r\n REST STREAM\r\n", feat)

    def test_optsRestStor(self):
        """
        C{OPTS REST STOR} gets C{501}: uploads do not resume here.
        """
        self.assertEqual(
            self.replies(b"OPTS REST STOR"),
            [b"501 REST STOR: uploads do not resume on this storage\r\n"])

    def test_restNamesRetrAlone(self):
        """
        C{REST N}'s C{350} names C{RETR} alone; C{REST 0}'s C{STOR} too.
        """
        self.assertEqual(
            self.replies(b"TYPE I", b"REST 5", b"REST 0")[1:],
            [b"350 Restarting at 5; send RETR\r\n",
             b"350 Restarting at 0; send RETR or STOR\r\n"])

    def test_restThenStor(self):
        """
        C{REST N} then C{STOR} gets L{RESUME_REFUSED} before the shell is
        asked anything, whether N is within the file or past its end
        (which was C{554}), in C{TYPE A} too (which was C{554}: send
        C{TYPE I}, then refused all the same); the file stays as it was.
        """
        self.assertEqual(
            self.replies(b"TYPE I", b"REST 5", b"STOR f.bin", b"REST 50",
                         b"STOR f.bin", b"TYPE A", b"REST 5",
                         b"STOR f.bin")[1:],
            [b"350 Restarting at 5; send RETR\r\n", reply(RESUME_REFUSED),
             b"350 Restarting at 50; send RETR\r\n", reply(RESUME_REFUSED),
             b"200 Type set to A\r\n",
             b"350 Restarting at 5; send TYPE I, then RETR\r\n",
             reply(RESUME_REFUSED)])
        self.assertEqual(self.shell.asked, [])
        self.assertEqual(
            self.successResultOf(readFile(self.shell, ("f.bin",))),
            b"0123456789")

    def test_appe(self):
        """
        C{APPE} gets L{APPEND_REFUSED}, after C{REST} of the file's size
        too, and the shell is not asked to open it.
        """
        self.assertEqual(
            self.replies(b"TYPE I", b"APPE f.bin", b"REST 10",
                         b"APPE f.bin", b"APPE new.bin")[1:],
            [reply(APPEND_REFUSED), b"350 Restarting at 10; send RETR\r\n",
             reply(APPEND_REFUSED), reply(APPEND_REFUSED)])
        self.assertEqual(self.shell.asked, [])

    def test_help(self):
        """
        C{HELP} leaves C{APPE} out, and C{HELP APPE} says why; C{REST}
        and C{STOR} are still there.
        """
        listing, appe, rest = self.replies(b"HELP", b"HELP APPE",
                                           b"HELP REST")
        self.assertNotIn(b"APPE", listing.split())
        self.assertIn(b"STOR", listing.split())
        self.assertEqual(
            appe, b"214 APPE is not available here: this storage writes"
                  b" whole files (no resume, no append): send the whole"
                  b" file with STOR\r\n")
        self.assertEqual(rest, b"214 Syntax: REST <sp> offset\r\n")


class WritesAtOffsetsTests(unittest.TestCase):
    """
    A shell that says its uploads write at offsets, and one that says
    nothing, as every shell before the extra: as before.
    """

    def check(self, shell):
        """
        C{OPTS REST STOR} gets C{200}, C{REST N}'s C{350} names C{STOR},
        C{HELP APPE} its syntax, and C{APPE} appends.
        """
        protocol, transport = loggedIn(shell)
        self.assertEqual(
            repliesTo(protocol, transport, b"OPTS REST STOR", b"TYPE I",
                      b"REST 5", b"HELP APPE"),
            [b"200 REST STOR: uploads resume from a REST offset\r\n",
             b"200 Type set to I\r\n",
             b"350 Restarting at 5; send RETR or STOR\r\n",
             b"214 Syntax: APPE <sp> pathname\r\n"])

    def test_saysItDoes(self):
        """
        A shell providing the extra and answering C{True}.
        """
        shell = WholeFilesShell()
        shell.writes = True
        self.check(shell)

    def test_saysNothing(self):
        """
        A shell without the extra.
        """
        self.check(MemoryShell())


class BrokenAnswerTests(unittest.TestCase):
    """
    A plugin's shell whose C{writesAtOffsets} gives another shape, or
    raises, is taken as telling nothing (its uploads resume, as a shell
    without the extra), said in one log line a session
    (L{ftpkit.shells.contract.ContractShell}).
    """

    def check(self, answer):
        """
        C{OPTS REST STOR} twice, and C{HELP APPE}: as on any shell; one
        line names the method.

        @param answer: what C{writesAtOffsets} does, called.
        """
        lines = []
        globalLogPublisher.addObserver(lines.append)
        self.addCleanup(globalLogPublisher.removeObserver, lines.append)
        shell = WholeFilesShell()
        shell.writesAtOffsets = answer
        protocol, transport = loggedIn(shell)
        resumes = b"200 REST STOR: uploads resume from a REST offset\r\n"
        self.assertEqual(
            repliesTo(protocol, transport, b"OPTS REST STOR",
                      b"OPTS REST STOR", b"HELP APPE"),
            [resumes, resumes, b"214 Syntax: APPE <sp> pathname\r\n"])
        said = [line for line in lines
                if line.get("method") == "writesAtOffsets"]
        self.assertEqual(len(said), 1)
        return said[0]["what"]

    def test_none(self):
        """
        C{None}, from a method that forgot its C{return}.
        """
        self.assertEqual(self.check(lambda: None),
                         "gave None, not True or False")

    def test_raises(self):
        """
        An exception raised.
        """
        def broken():
            raise KeyError("store")
        self.assertIn("raised KeyError: 'store'", self.check(broken))
