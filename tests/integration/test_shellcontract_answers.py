"""
What a shell's Deferreds fire with, held to its shape by the contract
(L{ftpkit.shells.contract}): a L{ftpkit.fileinfo.FileInfo}'s fields,
C{hash}, C{available}, C{resumableSize} and C{linkTargets}, and the
answer of C{localPath}; and what a
plugin gave that the server took before the contract held it, still
taken. Each test says what the server did before.
"""

import datetime
import hashlib
import io

from twisted.internet import defer
from twisted.internet.defer import succeed
from twisted.logger import globalLogPublisher
from twisted.trial import unittest
from zope.interface import alsoProvides, implementer, noLongerProvides

from ftpkit.fileinfo import FILE, FileInfo
from ftpkit.interfaces import (
    IDirectoryListing,
    IFTPShellListSome,
    IFTPShellLocalPath,
    IFTPShellNames,
    IFTPShellResolve,
    IFTPShellResume,
    IFTPShellStreamedListing,
    IStatListing,
)
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.ops import events
from ftpkit.protocol.listing import ListFormat
from ftpkit.realms import SharedShellRealm
from ftpkit.shells.dotfiles import HideDotfilesShell
from ftpkit.shells.shellwrapper import ShellWrapper
from ftpkit.shells.wrappers import ReadOnlyShell
from tests.contractshells import (
    ContractTestCase,
    PluginShell,
    SloppyShell,
    listingReply,
    replyCode,
    runCommands,
)
from tests.ftpclient import inLoggedInClient


class _Unlisted(ShellWrapper):
    """
    A shell listing through C{list} alone (no optional extra).
    """

    def __init__(self, shell):
        """
        @param shell: the shell wrapped.
        """
        ShellWrapper.__init__(self, shell)
        noLongerProvides(self, IFTPShellStreamedListing)
        noLongerProvides(self, IFTPShellNames)
        noLongerProvides(self, IFTPShellListSome)


class BadAnswerTests(LoopbackServerMixin, unittest.TestCase):
    """
    A C{stat} or a listing firing with a value of another shape: C{451}
    and one line saying which field of what (a C{datetime} as C{mtime}
    was C{451} and a traceback for C{MDTM}, C{MLST}, C{STAT}, and a cut
    data connection for C{LIST} and C{MLSD}).
    """

    def test_datetime(self):
        """
        A C{datetime} as C{mtime}, in C{stat} and C{list}.
        """
        when = FileInfo(FILE, size=3, mtime=datetime.datetime(2020, 1, 1))
        shell = SloppyShell("value", [])
        stat = shell.stat
        shell.stat = lambda path: (succeed(when) if path == ("f.txt",)
                                   else stat(path))
        shell.list = lambda path: succeed([("f.txt", when)])
        server = self.startServer(SharedShellRealm(
            ReadOnlyShell(_Unlisted(shell))))
        events = []
        globalLogPublisher.addObserver(events.append)
        self.addCleanup(globalLogPublisher.removeObserver, events.append)

        def check(replies):
            self.assertEqual(replies, [("451", "200")] * 3)
            lines = [event for event in events if event.get(
                "log_namespace") == "ftpkit.shells.contract"]
            self.assertEqual([event["method"] for event in lines],
                             ["stat", "stat", "list"])
            self.assertIn("gave a FileInfo whose mtime is datetime.datetime("
                          "2020, 1, 1, 0, 0), not seconds since the epoch",
                          lines[0]["what"])
            self.assertEqual(lines[0]["owner"], "_Unlisted(SloppyShell)")
            self.assertEqual(self.flushLoggedErrors(), [])

        def client():
            return [runCommands(server.port, [line])
                    for line in ("MDTM f.txt", "MLST f.txt", "LIST")]

        return self.inThread(client).addCallback(check)


class InfoFieldTests(ContractTestCase):
    """
    A L{FileInfo}'s C{access} and C{special} held to their types, as its
    other fields are.
    """

    def test_accessText(self):
        """
        C{access} as text: C{451} and one line naming the field (C{MLST}
        was C{451} and a traceback).
        """
        shell = PluginShell()
        stat = shell.stat
        shell.stat = lambda path: (
            succeed(FileInfo(FILE, size=6, access="rw"))
            if path == ("f.txt",) else stat(path))

        def check(code):
            self.assertEqual(code, "451")
            self.said("stat", "a FileInfo whose access is 'rw', not ")

        return self.session(shell, lambda ftp: replyCode(ftp, "MLST f.txt")
                            ).addCallback(check)


class AnswerTests(ContractTestCase):
    """
    What C{hash}, C{available}, C{resumableSize} and C{linkTargets}
    fire with, held to its shape.
    """

    def test_hashOfAnotherAlgorithm(self):
        """
        A shell giving MD5 whatever it is asked: C{451} (C{HASH} answered
        C{213 SHA-256} with the MD5 digest).
        """
        shell = PluginShell()
        shell.hash = lambda path, algorithm, start=0, end=None: succeed(
            hashlib.md5(b"hello\n").hexdigest())

        def check(code):
            self.assertEqual(code, "451")
            self.said("hash", "32 hex digits, not a sha256 digest (64)")

        return self.session(shell, lambda ftp: replyCode(
            ftp, "HASH f.txt")).addCallback(check)

    def test_availableText(self):
        """
        Text for the room left: C{451}, the line naming the shell's class
        (it named C{ContractShell object at 0x...}).
        """
        shell = PluginShell()
        shell.available = lambda path: succeed("1000")

        def check(code):
            self.assertEqual(code, "451")
            self.said("available", "gave '1000', not a count of bytes")

        return self.session(shell, lambda ftp: replyCode(ftp, "AVBL")
                            ).addCallback(check)

    def test_resumableSize(self):
        """
        Text, or a C{float}, as the bytes kept for a resume: C{451} (a
        traceback at C{REST} + C{STOR}; C{SIZE} answered C{213 2.5}).
        """
        shell = PluginShell()
        alsoProvides(shell, IFTPShellResume)
        kept = ["3", 2.5]
        shell.resumableSize = lambda path: succeed(kept[0])

        def work(ftp):
            ftp.voidcmd("TYPE I")
            replies = [replyCode(ftp, "SIZE f.txt")]
            kept.pop(0)
            replies.append(replyCode(ftp, "SIZE f.txt"))
            return replies

        def check(replies):
            self.assertEqual(replies, ["451", "451"])
            self.assertEqual([event["method"] for event in self.lines],
                             ["resumableSize", "resumableSize"])
            self.assertIn("gave '3', not a count of bytes",
                          self.lines[0]["what"])
            self.assertEqual(self.flushLoggedErrors(), [])

        return self.session(shell, work).addCallback(check)

    def test_linkTargets(self):
        """
        A list for the targets of a directory's links, beneath the
        wrapper hiding dot files: C{451} and one line (and a traceback).
        """
        shell = PluginShell()
        alsoProvides(shell, IFTPShellResolve)
        shell.resolve = lambda path: succeed(tuple(path))
        shell.linkTargets = lambda path: succeed([])

        def check(code):
            self.assertEqual(code, "451")
            self.said("linkTargets", "gave [], not a dict from names to "
                      "paths")

        return self.session(HideDotfilesShell(shell), lambda ftp: listingReply(
            ftp, "NLST")[0]).addCallback(check)


@implementer(IDirectoryListing, IStatListing)
class _TypeAskingListing:
    """
    A listing that formats its one batch as the format's class says,
    asking C{isinstance} (as a plugin written before the contract held
    its format may).
    """

    def __init__(self):
        self._done = False

    def nextBatch(self):
        return succeed([])

    def nextFormattedBatch(self, format):
        if self._done:
            return succeed(None)
        self._done = True
        if isinstance(format, ListFormat):
            return succeed(b"-rw-r--r-- 1 ftp ftp 6 Jan 1 2020 f.txt\r\n")
        return succeed(b"not a LIST line\r\n")

    def close(self):
        pass


class UnchangedTests(ContractTestCase):
    """
    What a plugin gave that the server took before the contract held it
    is still taken, without a line.
    """

    def test_featuresText(self):
        """
        A keyword as text (C{"MFMT"}): C{FEAT} leaves it out, as it did
        (C{"MFMT" in "MFMT"}).
        """
        shell = PluginShell()
        shell.unsupportedFeatures = lambda: "MFMT"

        def check(feat):
            self.assertNotIn(" MFMT\n", feat)
            self.assertIn(" MDTM\n", feat)
            self.assertEqual(self.lines, [])

        return self.session(shell, lambda ftp: ftp.sendcmd("FEAT")
                            ).addCallback(check)

    def test_wholeFloat(self):
        """
        A C{float} of a whole number as the bytes kept for a resume: taken
        as the C{int} (C{SIZE} answered C{213 3.0}).
        """
        shell = PluginShell()
        alsoProvides(shell, IFTPShellResume)
        shell.resumableSize = lambda path: succeed(
            3.0 if path == ("k.txt",) else None)

        def work(ftp):
            ftp.voidcmd("TYPE I")
            return ftp.sendcmd("SIZE k.txt")

        def check(reply):
            self.assertEqual(reply, "213 3")
            self.assertEqual(self.lines, [])

        return self.session(shell, work).addCallback(check)

    def test_formatAsked(self):
        """
        A listing that asks what its format is (C{isinstance}) is
        answered as before the format was held.
        """
        shell = PluginShell()
        shell.openListing = lambda path: succeed(_TypeAskingListing())

        def check(result):
            self.assertEqual(result, ("226", b"-rw-r--r-- 1 ftp ftp 6 Jan 1 "
                                             b"2020 f.txt\r\n"))
            self.assertEqual(self.lines, [])

        return self.session(shell, lambda ftp: listingReply(ftp, "LIST")
                            ).addCallback(check)


class LocalPathAnswerTests(ContractTestCase):
    """
    What a plugin's C{localPath} gives (L{ftpkit.interfaces.IFTPShellLocalPath})
    is the complete upload's C{localFile} where it is an absolute path or
    C{None}; another shape, or an exception, is no local file, said in one
    line.
    """

    def upload(self, localPath):
        """
        Upload C{/up.txt} to a plugin's shell whose C{localPath} is
        C{localPath}.

        @return: a Deferred firing with the C{localFile} of the upload's
            event.
        """
        shell = PluginShell()
        alsoProvides(shell, IFTPShellLocalPath)
        shell.localPath = localPath
        self.server = self.startServer(SharedShellRealm(shell))
        uploads = []
        self.server.factory.events.subscribe(uploads.append,
                                             [events.TRANSFER])
        self.server.factory.events.localFiles = True
        return inLoggedInClient(self, lambda ftp: ftp.storbinary(
            "STOR up.txt", io.BytesIO(b"up"))).addCallback(
            lambda _: [(event.code, event.localFile) for event in uploads])

    @defer.inlineCallbacks
    def test_absolute(self):
        """
        An absolute path is the event's, nothing said.
        """
        asked = []

        def localPath(path):
            asked.append(path)
            return "/srv/plugin/up.txt"
        self.assertEqual((yield self.upload(localPath)),
                         [(226, "/srv/plugin/up.txt")])
        self.assertEqual((asked, self.lines), ([("up.txt",)], []))

    @defer.inlineCallbacks
    def test_bytes(self):
        """
        C{bytes} (which the command's environment could not hold as
        text) is none, said.
        """
        self.assertEqual((yield self.upload(lambda path: b"/srv/up.txt")),
                         [(226, None)])
        self.said("localPath", "not an absolute path (text) or None")

    @defer.inlineCallbacks
    def test_relative(self):
        """
        A relative path is none, said.
        """
        self.assertEqual((yield self.upload(lambda path: "up.txt")),
                         [(226, None)])
        self.said("localPath", "'up.txt', not an absolute path")

    @defer.inlineCallbacks
    def test_raises(self):
        """
        An exception raised is none, said: the upload's reply and event
        are as without it.
        """
        def broken(path):
            raise KeyError("disk")
        self.assertEqual((yield self.upload(broken)), [(226, None)])
        self.said("localPath", "raised KeyError: 'disk'")
