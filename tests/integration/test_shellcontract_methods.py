"""
How a shell's methods answer (L{ftpkit.shells.contract}): a shell from
outside ftpkit whose method breaks L{ftpkit.interfaces.IFTPShell}'s
contract (a plain value rather than a Deferred, an exception raised, a
Deferred failing with an exception that is no L{ftpkit.errors.FTPError},
an error whose message is no text) gets, for each command that calls it,
a clear reply and one log line naming the shell's class and method,
never a traceback; the methods answering at once (C{permitted},
C{permittedIn}, C{unsupportedFeatures}, C{forResumer}) are held too.
Each test says what the server did before.
"""


from twisted.internet.defer import ensureDeferred, fail
from twisted.logger import globalLogPublisher
from twisted.trial import unittest
from zope.interface import implementer

from ftpkit.errors import NoSuchFile
from ftpkit.interfaces import (
    IFTPShellResumeOwners,
)
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.realms import SharedShellRealm
from tests.contractshells import (
    ContractTestCase,
    PluginShell,
    SloppyShell,
    listingReply,
    replyCode,
    runCommands,
)

LISTING = ["list", "listNames", "listSome", "openListing"]
"""The methods a listing may call."""


COMMANDS = [
    # (the commands, the last of which calls the shell's methods named,
    # which are made to break)
    (["CWD d"], ["stat"]),
    (["TYPE I", "SIZE f.txt"], ["stat"]),
    (["MDTM f.txt"], ["stat"]),
    (["MFMT 20200101000000 f.txt"], ["setModificationTime"]),
    (["DELE f.txt"], ["removeFile"]),
    (["RMD e"], ["removeDirectory"]),
    (["MKD n"], ["makeDirectory"]),
    (["RNFR f.txt"], ["stat"]),
    (["RNFR f.txt", "RNTO g.txt"], ["rename"]),
    (["SITE CHMOD 600 f.txt"], ["setPermissions"]),
    (["LIST"], LISTING),
    (["MLSD"], LISTING),
    (["NLST"], LISTING),
    (["RETR f.txt"], ["openForReading"]),
    (["STOR n.txt"], ["openForWriting"]),
    (["APPE f.txt"], ["openForWriting"]),
    (["STOU"], ["openForCreating"]),
]
"""The commands checked, and the shell methods they call."""


class BrokenContractTests(ContractTestCase):
    """
    Every command calling a shell method that breaks the contract (the
    contract's lines collected in C{lines}, by L{ContractTestCase}).
    """

    def check(self, how, code, said):
        """
        L{_check}, as a Deferred.
        """
        return ensureDeferred(self._check(how, code, said))

    async def _check(self, how, code, said):
        """
        Run every command of L{COMMANDS} with its methods broken.

        @param how: see L{tests.contractshells.brokenAnswer}.
        @param code: the reply each command must get.
        @param said: text the one log line of each must hold.
        """
        for lines, broken in COMMANDS:
            del self.lines[:]
            server = self.startServer(SharedShellRealm(
                SloppyShell(how, broken)))
            replies = await self.inThread(runCommands, server.port, lines)
            self.assertEqual(replies, (code, "200"), (lines, how))
            self.assertEqual(len(self.lines), 1, (lines, how, self.lines))
            [event] = self.lines
            self.assertIn(event["method"], broken)
            self.assertEqual(event["owner"], "SloppyShell")
            self.assertIn(said, event["what"])
            self.assertNotIn("log_failure", event)
            self.assertEqual(self.flushLoggedErrors(), [])

    def test_value(self):
        """
        A plain value is refused: C{451}, and the line says it is not a
        Deferred.
        """
        return self.check("value", "451", "not a Deferred")

    def test_coroutine(self):
        """
        A coroutine (a method written C{async def}): C{451}, and the line
        says how to give it as a Deferred; it is closed, never left
        unawaited (it was a traceback, and Python's warning that it was
        never awaited).
        """
        return self.check("coroutine", "451", "gave a coroutine (async def),"
                          " not a Deferred: return defer.Deferred."
                          "fromCoroutine(...) of it")

    def test_raises(self):
        """
        An exception raised: C{451}, the line says which and where.
        """
        return self.check("raise", "451", "raised RuntimeError: storage bug "
                          "(raised at ")

    def test_raisesFTPError(self):
        """
        An L{FTPError} raised rather than failing the Deferred: its own
        reply, and a line saying so.
        """
        return self.check("raiseFTP", "550", "rather than failing its "
                          "Deferred")

    def test_osError(self):
        """
        An C{OSError}: the reply the system's error has (C{550} for
        C{ENOENT}), as the disk shell gives.
        """
        return self.check("oserror", "550", "failed with FileNotFoundError")

    def test_otherError(self):
        """
        Any other exception: C{451}.
        """
        return self.check("odd", "451", "failed with KeyError: 'lost'")


class ErrorTextTests(LoopbackServerMixin, unittest.TestCase):
    """
    An L{FTPError} a plugin made with a message that is not text (the
    path's tuple, C{bytes}, a number, an exception): its reply, and the
    session goes on (C{bytes}, a number or an exception ended the session
    with a C{TypeError} traceback; a tuple was sent as a multi-line
    reply).
    """

    def test_replies(self):
        """
        C{CWD} of each, then C{NOOP}.
        """
        messages = [("a", "b"), b"gone", 13, KeyError("k")]
        shell = SloppyShell("value", [])
        shell.stat = lambda path: fail(NoSuchFile(messages.pop(0)))
        server = self.startServer(SharedShellRealm(shell))

        def client():
            return [runCommands(server.port, ["CWD x"]) for _ in range(4)]

        def check(replies):
            self.assertEqual(replies, [("550", "200")] * 4)
            self.assertEqual(self.flushLoggedErrors(), [])

        return self.inThread(client).addCallback(check)


class AtOnceTests(ContractTestCase):
    """
    C{permitted}, C{permittedIn} and C{unsupportedFeatures} answering
    with another shape, or raising: taken as telling nothing, said once
    a session (C{MLST}, C{MLSD}, C{RNFR} and C{FEAT} were C{451} and a
    traceback in the log, at every command).
    """

    def checkPermitted(self, broken, said):
        shell = PluginShell()
        shell.permitted = lambda path: broken()
        shell.permittedIn = lambda path: broken()

        def work(ftp):
            return [replyCode(ftp, "MLST f.txt"), listingReply(ftp, "MLSD")[0],
                    replyCode(ftp, "MLST f.txt"), replyCode(ftp, "RNFR f.txt")]

        def check(replies):
            self.assertEqual(replies, ["250", "226", "250", "350"])
            self.assertEqual(sorted(event["method"] for event in self.lines),
                             ["permitted", "permittedIn"])
            for event in self.lines:
                self.assertEqual(event["owner"], "PluginShell")
                self.assertIn(said, event["what"])
            self.assertEqual(self.flushLoggedErrors(), [])

        return self.session(shell, work).addCallback(check)

    def test_permittedText(self):
        """
        Letters as a C{str}.
        """
        return self.checkPermitted(lambda: "adfrw", "gave 'adfrw', not a")

    def test_permittedRaises(self):
        """
        An exception raised.
        """
        def broken():
            raise KeyError("rules")
        return self.checkPermitted(broken, "raised KeyError: 'rules' (raised "
                                   "at ")

    def test_featuresNone(self):
        """
        C{None} for the features: C{FEAT} lists them all.
        """
        shell = PluginShell()
        shell.unsupportedFeatures = lambda: None

        def check(replies):
            feat, hashed = replies
            self.assertIn(" MFMT\n", feat)
            self.assertEqual(hashed[:3], "213")
            self.said("unsupportedFeatures", "gave None, not a frozenset")

        return self.session(shell, lambda ftp: [
            ftp.sendcmd("FEAT"), ftp.sendcmd("HASH f.txt")]).addCallback(
                check)


@implementer(IFTPShellResumeOwners)
class _ForgetfulShell(PluginShell):
    """
    A shell whose C{forResumer} forgets its C{return}.
    """

    def forResumer(self, resumer):
        """
        @return: C{None}, as a method without C{return} does.
        """
        PluginShell()


class ForResumerTests(ContractTestCase):
    """
    A shell whose C{forResumer} gives what is no shell: the login goes on
    with the shell as it is, and one line says so (the session was
    logged in with C{None} as its shell, every command after C{230}
    failing).
    """

    def test_none(self):
        lines = []
        globalLogPublisher.addObserver(lines.append)
        self.addCleanup(globalLogPublisher.removeObserver, lines.append)

        def work(ftp):
            ftp.voidcmd("TYPE I")
            return replyCode(ftp, "SIZE f.txt"), listingReply(ftp, "RETR f.txt")

        def check(result):
            self.assertEqual(result, ("213", ("226", b"hello\n")))
            [line] = [event for event in lines if "problem" in event]
            self.assertIn("None without IFTPShell's ", line["problem"])
            self.assertEqual(self.flushLoggedErrors(), [])

        return self.session(_ForgetfulShell(), work).addCallback(check)
