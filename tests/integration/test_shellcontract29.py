"""
What the contract (L{ftpkit.shells.contract}) holds of a shell from
outside ftpkit besides the methods answering with a Deferred (the
twenty-ninth plugin author's sweep): the methods answering at once
(C{permitted}, C{permittedIn}, C{unsupportedFeatures}), what C{hash}
and C{available} fire with, listings that name their entries or format
their batches, a listing whose reading raises, and ftpkit's wrappers a
realm puts around such a shell. Each test says what the server did
before.
"""

import ftplib
import hashlib
import io

from twisted.internet.defer import succeed
from twisted.logger import globalLogPublisher
from twisted.trial import unittest
from zope.interface import alsoProvides, implementer

from ftpkit.errors import NoSuchFile
from ftpkit.fileinfo import FILE, FileInfo
from ftpkit.interfaces import (
    IDirectoryListing,
    IFTPShellAvailable,
    IFTPShellFeatures,
    IFTPShellPermitted,
    IFTPShellRates,
    IFTPShellResolve,
    IFTPShellResume,
    IFTPShellResumeOwners,
    INameListing,
    IRandomReadFile,
    IStatListing,
)
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.protocol.listing import ListFormat
from ftpkit.protocol.permletters import ALL
from ftpkit.realms import SharedShellRealm
from ftpkit.shells.dotfiles import HideDotfilesShell
from ftpkit.shells.memory import MemoryShell
from ftpkit.shells.shellwrapper import ShellWrapper
from ftpkit.shells.wrappers import ReadOnlyShell, UploadOnlyShell


@implementer(IFTPShellPermitted, IFTPShellFeatures, IFTPShellAvailable)
class PluginShell(MemoryShell):
    """
    A L{MemoryShell} of a class outside ftpkit, with the extras that
    answer at once, and C{available}; a test replaces what it breaks.
    """

    def __init__(self):
        MemoryShell.__init__(self, {"/f.txt": b"hello\n", "/d/x": b"x"})

    def permitted(self, path):
        """
        See L{IFTPShellPermitted.permitted}: everything.
        """
        return ALL

    def permittedIn(self, path):
        """
        See L{IFTPShellPermitted.permittedIn}: everything.
        """
        return ALL, {}

    def unsupportedFeatures(self):
        """
        See L{IFTPShellFeatures.unsupportedFeatures}: none.
        """
        return frozenset()

    def available(self, path):
        """
        See L{IFTPShellAvailable.available}.
        """
        return succeed(1000)


@implementer(IDirectoryListing, INameListing, IStatListing)
class OneBatch:
    """
    A listing giving one batch: C{names} from L{nextNames}, C{formatted}
    from L{nextFormattedBatch}, C{entries} from L{nextBatch}.
    """

    def __init__(self, names=(), formatted=b"", entries=()):
        self._answers = {"nextNames": names, "nextFormattedBatch": formatted,
                         "nextBatch": entries}
        self._ends = {"nextNames": [], "nextFormattedBatch": None,
                      "nextBatch": []}

    def _next(self, method):
        answer = self._answers[method]
        self._answers[method] = self._ends[method]
        return succeed(answer)

    def nextBatch(self):
        return self._next("nextBatch")

    def nextNames(self):
        return self._next("nextNames")

    def nextFormattedBatch(self, format):
        return self._next("nextFormattedBatch")

    def close(self):
        pass


def _halfway(items):
    """
    @return: a generator giving the first of C{items}, then raising.
    """
    yield items[0]
    raise ValueError("the store went away")


class _ContractTestCase(LoopbackServerMixin, unittest.TestCase):
    """
    Serve a shell; collect the contract's log lines.
    """

    def setUp(self):
        self.lines = []

        def observe(event):
            if event.get("log_namespace") == "ftpkit.shells.contract":
                self.lines.append(event)

        globalLogPublisher.addObserver(observe)
        self.addCleanup(globalLogPublisher.removeObserver, observe)

    def session(self, shell, work):
        """
        Log in to a server of C{shell} and run C{work(ftp)} in a thread.

        @return: a Deferred of what C{work} gives.
        """
        server = self.startServer(SharedShellRealm(shell))

        def client():
            ftp = ftplib.FTP()
            ftp.connect("127.0.0.1", server.port, timeout=10)
            try:
                ftp.login("alice", "secret")
                return work(ftp)
            finally:
                ftp.close()

        return self.inThread(client)

    def said(self, method, *texts, owner="PluginShell"):
        """
        Check that the contract said one line, of C{method} of C{owner},
        holding each of C{texts}; and that nothing was logged with a
        traceback.
        """
        self.assertEqual([event["method"] for event in self.lines], [method],
                         self.lines)
        [event] = self.lines
        self.assertEqual(event["owner"], owner)
        for text in texts:
            self.assertIn(text, event["what"])
        self.assertEqual(self.flushLoggedErrors(), [])


def _reply(ftp, line):
    """
    @return: the reply code to C{line}, an error's too.
    """
    try:
        return ftp.sendcmd(line)[:3]
    except ftplib.Error as e:
        return str(e)[:3]


def _listing(ftp, line):
    """
    @return: C{(final reply code, the data)} of a listing command.
    """
    data = io.BytesIO()
    try:
        return ftp.retrbinary(line, data.write)[:3], data.getvalue()
    except ftplib.Error as e:
        return str(e)[:3], data.getvalue()
    except OSError:
        # The data connection was cut (reset): the reply follows.
        try:
            return ftp.getresp()[:3], data.getvalue()
        except ftplib.Error as e:
            return str(e)[:3], data.getvalue()


class AtOnceTests(_ContractTestCase):
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
            return [_reply(ftp, "MLST f.txt"), _listing(ftp, "MLSD")[0],
                    _reply(ftp, "MLST f.txt"), _reply(ftp, "RNFR f.txt")]

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


class AnswerTests(_ContractTestCase):
    """
    What C{hash} and C{available} fire with, held to its shape.
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

        return self.session(shell, lambda ftp: _reply(
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

        return self.session(shell, lambda ftp: _reply(ftp, "AVBL")
                            ).addCallback(check)


class ListingTests(_ContractTestCase):
    """
    A listing that names its entries (L{INameListing}) or formats its
    batches (L{IStatListing}) is held to its shapes, as C{list}'s answer
    is; so is a listing whose reading raises.
    """

    def opened(self, listing):
        """
        @return: a L{PluginShell} whose C{openListing} fires with
            C{listing}.
        """
        shell = PluginShell()
        shell.openListing = lambda path: succeed(listing)
        return shell

    def test_namesLeftOut(self):
        """
        Names that name no entry are left out of C{NLST}, said once (they
        were listed: C{..}, C{a/b}).
        """
        shell = self.opened(OneBatch(names=["f.txt", "..", "a/b"]))

        def check(names):
            self.assertEqual(names, ["f.txt"])
            self.assertEqual([event["names"] for event in self.lines],
                             ["['..', 'a/b']"])
            self.assertEqual(self.flushLoggedErrors(), [])

        return self.session(shell, lambda ftp: ftp.nlst()).addCallback(check)

    def test_namesNotText(self):
        """
        Names that are not text: C{426}, one line saying which (it was a
        C{TypeError} in the sorting of the batch, in a line naming no
        plugin).
        """
        shell = self.opened(OneBatch(names=[b"f.txt", None]))

        def check(result):
            self.assertEqual(result[0], "426")
            self.said("openListing", "nextNames gave b'f.txt' as name 0, not"
                      " text")

        return self.session(shell, lambda ftp: _listing(ftp, "NLST")
                            ).addCallback(check)

    def test_formattedText(self):
        """
        A formatted batch of text rather than bytes: C{426} and one line
        (it was C{226} without the batch, and an unhandled error with its
        traceback in the log).
        """
        shell = self.opened(OneBatch(formatted="f.txt\r\n"))

        def check(result):
            self.assertEqual(result[0], "426")
            self.said("openListing", "nextFormattedBatch gave 'f.txt\\r\\n',"
                      " not bytes")

        return self.session(shell, lambda ftp: _listing(ftp, "LIST")
                            ).addCallback(check)

    def test_listRaisesHalfway(self):
        """
        A listing that raises while it is read (a generator): C{451} and
        one line saying where (it was C{451} and a traceback).
        """
        shell = PluginShell()
        shell.list = lambda path: succeed(_halfway(
            [("f.txt", FileInfo(FILE, size=6))]))

        def check(result):
            self.assertEqual(result[0], "451")
            self.said("list", "failed with ValueError: the store went away "
                      "(raised at ", "in _halfway",
                      owner="_ListOnly(PluginShell)")

        return self.session(_ListOnly(shell), lambda ftp: _listing(
            ftp, "LIST")).addCallback(check)


class _ListOnly(ShellWrapper):
    """
    A shell listing through C{list} alone: its class overrides C{list}
    and no other way to list, which it then does not provide.
    """

    def list(self, path):
        """
        See L{ftpkit.interfaces.IFTPShell.list}.
        """
        return self._shell.list(path)


class WrapperTests(_ContractTestCase):
    """
    ftpkit's wrappers that a realm puts around a shell from outside
    ftpkit are given the shell held to the contract.
    """

    def test_uploadOnlyOverRaisingStat(self):
        """
        An upload-only wrapper over a shell whose C{stat} raises
        L{NoSuchFile} for a new file: the upload is stored (it got
        C{550}: the wrapper's own check of the name let the raise
        through), and one line says the shell raised.
        """
        shell = PluginShell()
        stat = shell.stat

        def raising(path):
            if path == ("n.txt",) and "n.txt" not in shell.listNames(
                    ()).result:
                raise NoSuchFile()
            return stat(path)

        shell.stat = raising

        def check(code):
            self.assertEqual(code, "226")
            self.assertEqual(shell.listNames(()).result,
                             ["d", "f.txt", "n.txt"])
            self.said("stat", "raised NoSuchFile")

        return self.session(UploadOnlyShell(shell), lambda ftp: ftp.storbinary(
            "STOR n.txt", io.BytesIO(b"new\n"))[:3]).addCallback(check)

    def test_lineNamesTheShell(self):
        """
        A plain value beneath a read-only wrapper: the line names the
        shell and what it gave (it named the wrapper's C{AttributeError},
        raised in ftpkit's code).
        """
        shell = PluginShell()
        shell.available = lambda path: 1000

        def check(code):
            self.assertEqual(code, "451")
            self.said("available", "gave 1000, not a Deferred")

        return self.session(ReadOnlyShell(shell), lambda ftp: _reply(
            ftp, "AVBL")).addCallback(check)


@implementer(IRandomReadFile)
class _SizedFile:
    """
    An L{IRandomReadFile} of C{hello\\n} whose C{size} is what it is
    given.
    """

    def __init__(self, size):
        self.size = size

    def readAt(self, offset, length):
        return succeed(b"hello\n"[offset:offset + length])

    def close(self):
        return None


class MoreAnswerTests(_ContractTestCase):
    """
    An open file's C{size}, C{resumableSize}, C{linkTargets} and the
    rates of an L{IFTPShellRates} shell, held to their shapes.
    """

    def test_fileSize(self):
        """
        A negative size: C{451} (the download sent nothing and answered
        C{226}); text: C{451} and one line (a traceback, for C{RETR} and
        C{SIZE} in C{TYPE A}).
        """
        sizes = [-5, "6"]
        shell = PluginShell()
        shell.openForReading = lambda path, offset=0: succeed(
            _SizedFile(sizes.pop(0)))

        def work(ftp):
            ftp.voidcmd("TYPE I")
            return [_listing(ftp, "RETR f.txt") for size in list(sizes)]

        def check(results):
            self.assertEqual(results, [("451", b"")] * 2)
            self.assertEqual([event["what"] for event in self.lines], [
                "gave a file whose size is -5, not a count of bytes or None",
                "gave a file whose size is '6', not a count of bytes or None"])
            self.assertEqual(self.flushLoggedErrors(), [])

        return self.session(shell, work).addCallback(check)

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
            replies = [_reply(ftp, "SIZE f.txt")]
            kept.pop(0)
            replies.append(_reply(ftp, "SIZE f.txt"))
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

        return self.session(HideDotfilesShell(shell), lambda ftp: _listing(
            ftp, "NLST")[0]).addCallback(check)

    def checkRates(self, rate, said):
        shell = PluginShell()
        alsoProvides(shell, IFTPShellRates)
        shell.downloadRate = rate
        shell.uploadRate = None
        shell.openForReading = lambda path, offset=0: succeed(
            _BigFile(100000))

        def work(ftp):
            ftp.voidcmd("TYPE I")
            code, data = _listing(ftp, "RETR big")
            return code, len(data)

        def check(result):
            self.assertEqual(result, ("226", 100000))
            [event] = self.lines
            self.assertEqual(event["attribute"], "downloadRate")
            self.assertIn(said, event["what"])
            self.assertEqual(self.flushLoggedErrors(), [])

        return self.session(shell, work).addCallback(check)

    def test_rateText(self):
        """
        A rate as text: the server's rate, and one line (each transfer
        was C{451} and a traceback).
        """
        return self.checkRates("1M", "'1M', not bytes a second")

    def test_rateNegative(self):
        """
        A negative rate: the server's rate (a download stalled after its
        first 4 KiB until the data timeout).
        """
        return self.checkRates(-1, "-1, not bytes a second")


@implementer(IRandomReadFile)
class _BigFile:
    """
    An L{IRandomReadFile} of C{size} zero bytes.
    """

    def __init__(self, size):
        self.size = size

    def readAt(self, offset, length):
        return succeed(bytes(max(0, min(length, self.size - offset))))

    def close(self):
        return None


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


class UnchangedTests(_ContractTestCase):
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

        return self.session(shell, lambda ftp: _listing(ftp, "LIST")
                            ).addCallback(check)


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


class ForResumerTests(_ContractTestCase):
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
            return _reply(ftp, "SIZE f.txt"), _listing(ftp, "RETR f.txt")

        def check(result):
            self.assertEqual(result, ("213", ("226", b"hello\n")))
            [line] = [event for event in lines if "problem" in event]
            self.assertIn("None without IFTPShell's ", line["problem"])
            self.assertEqual(self.flushLoggedErrors(), [])

        return self.session(_ForgetfulShell(), work).addCallback(check)


class InfoFieldTests(_ContractTestCase):
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

        return self.session(shell, lambda ftp: _reply(ftp, "MLST f.txt")
                            ).addCallback(check)
