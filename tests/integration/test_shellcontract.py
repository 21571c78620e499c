"""
A shell from outside ftpkit that breaks L{ftpkit.interfaces.IFTPShell}'s
contract (a plain value rather than a Deferred, an exception raised, a
Deferred failing with an exception that is no L{ftpkit.errors.FTPError})
gets, for each command that calls it, a clear reply and one log line
naming the shell's class and method, never a traceback
(L{ftpkit.shells.contract}). Each of these commands was C{451} and a
traceback in the log (C{error handling ...}).
"""

import datetime
import errno
import ftplib
import io

from twisted.internet.defer import ensureDeferred, fail, succeed
from twisted.internet.interfaces import IConsumer
from twisted.logger import globalLogPublisher
from twisted.protocols.basic import FileSender
from twisted.python.failure import Failure
from twisted.trial import unittest
from zope.interface import implementer, noLongerProvides

from ftpkit.errors import NoSuchFile
from ftpkit.fileinfo import FILE, FileInfo
from ftpkit.interfaces import (
    IDirectoryListing,
    IFTPShellChmod,
    IFTPShellListSome,
    IFTPShellNames,
    IFTPShellStreamedListing,
    IRandomWriteFile,
    IReadFile,
    IWriteFile,
)
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.realms import SharedShellRealm
from ftpkit.shells.contract import ContractShell, describeFailure, heldToContract
from ftpkit.shells.dotfiles import HideDotfilesShell
from ftpkit.shells.memory import MemoryShell
from ftpkit.shells.shellwrapper import ShellWrapper
from ftpkit.shells.wrappers import ReadOnlyShell

LISTING = ["list", "listNames", "listSome", "openListing"]
"""The methods a listing may call."""

COMMANDS = [
    # (the commands, the last of which calls the shell's methods named,
    # which are made to break)
    (["CWD d"], ["stat"]),
    (["SIZE f.txt"], ["stat"]),
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


def _answer(how, result):
    """
    @param how: how the method breaks the contract: C{"value"} (its
        result as a plain value), C{"coroutine"} (a coroutine giving
        it), C{"raise"} (a C{RuntimeError} raised),
        C{"raiseFTP"} (L{NoSuchFile} raised), C{"oserror"} (a Deferred
        failing with C{FileNotFoundError}), C{"odd"} (one failing with
        C{KeyError}).
    @param result: the Deferred the method would have given.
    @return: what the broken method gives.
    """
    if how == "coroutine":
        async def later():
            return await result
        return later()
    if how == "value":
        given = []
        result.addBoth(given.append)
        if isinstance(given[0], Failure):
            given[0].raiseException()
        return given[0]
    result.addErrback(lambda failure: None)
    if how == "raise":
        raise RuntimeError("storage bug")
    if how == "raiseFTP":
        raise NoSuchFile()
    if how == "oserror":
        return fail(FileNotFoundError(2, "No such file or directory"))
    return fail(KeyError("lost"))


@implementer(IFTPShellChmod)
class SloppyShell(MemoryShell):
    """
    A L{MemoryShell} (of a class outside ftpkit) whose methods named in
    C{broken} answer as L{_answer} says.
    """

    def __init__(self, how, broken):
        """
        @param how: see L{_answer}.
        @param broken: the names of the methods broken.
        """
        MemoryShell.__init__(self, {"/f.txt": b"hello\n", "/d/x": b"x"})
        self.makeDirectory(("e",))
        for name in broken:
            setattr(self, name, self._broken(how, getattr(self, name)))

    def setPermissions(self, path, mode):
        """
        See L{IFTPShellChmod.setPermissions}: changes nothing.
        """
        return succeed(None)

    @staticmethod
    def _broken(how, method):
        def broken(*args, **kwargs):
            return _answer(how, method(*args, **kwargs))
        return broken


def _run(port, lines):
    """
    Log in and send each line, reading the data of a transfer.

    @param port: the server's port.
    @param lines: the command lines.
    @return: the last line's reply code, and a C{NOOP}'s after it.
    """
    ftp = ftplib.FTP()
    ftp.connect("127.0.0.1", port, timeout=10)
    ftp.login("alice", "secret")
    code = None
    for line in lines:
        try:
            if line.split()[0] in ("LIST", "MLSD", "NLST", "RETR"):
                code = ftp.retrbinary(line, io.BytesIO().write)[:3]
            elif line.split()[0] in ("STOR", "APPE", "STOU"):
                code = ftp.storbinary(line, io.BytesIO(b"new\n"))[:3]
            else:
                code = ftp.sendcmd(line)[:3]
        except ftplib.Error as e:
            code = str(e)[:3]
        except OSError:
            # The data connection was cut (reset): the reply follows.
            try:
                code = ftp.getresp()[:3]
            except ftplib.Error as e:
                code = str(e)[:3]
    noop = ftp.sendcmd("NOOP")[:3]
    ftp.quit()
    return code, noop


class BrokenContractTests(LoopbackServerMixin, unittest.TestCase):
    """
    Every command calling a shell method that breaks the contract.
    """

    def setUp(self):
        self.lines = []

        def observe(event):
            if event.get("log_namespace") == "ftpkit.shells.contract":
                self.lines.append(event)

        globalLogPublisher.addObserver(observe)
        self.addCleanup(globalLogPublisher.removeObserver, observe)

    def check(self, how, code, said):
        """
        L{_check}, as a Deferred.
        """
        return ensureDeferred(self._check(how, code, said))

    async def _check(self, how, code, said):
        """
        Run every command of L{COMMANDS} with its methods broken.

        @param how: see L{_answer}.
        @param code: the reply each command must get.
        @param said: text the one log line of each must hold.
        """
        for lines, broken in COMMANDS:
            del self.lines[:]
            server = self.startServer(SharedShellRealm(
                SloppyShell(how, broken)))
            replies = await self.inThread(_run, server.port, lines)
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
            return [_run(server.port, [line])
                    for line in ("MDTM f.txt", "MLST f.txt", "LIST")]

        return self.inThread(client).addCallback(check)


@implementer(IDirectoryListing)
class _Batches:
    """
    A listing giving one batch, C{batch}, then none.
    """

    def __init__(self, batch):
        self._batches = [batch, []]

    def nextBatch(self):
        """
        @return: the next batch, a plain list.
        """
        return self._batches.pop(0)

    def close(self):
        """
        Nothing to release.
        """


class BadBatchTests(LoopbackServerMixin, unittest.TestCase):
    """
    A streamed listing's batch of another shape: the listing is cut
    (C{426}: its data connection is open by then) and the log has one line
    saying what is wrong (it said C{TypeError} raised in ftpkit's listing
    code); a good batch given as a plain list is still taken.
    """

    def list(self, batch):
        """
        C{LIST} and C{MLSD} of a shell whose listing gives C{batch}.

        @param batch: the batch.
        @return: a Deferred firing with the replies and the log's lines.
        """
        shell = SloppyShell("value", [])
        shell.openListing = lambda path: succeed(_Batches(batch))
        server = self.startServer(SharedShellRealm(shell))
        events = []
        globalLogPublisher.addObserver(events.append)
        self.addCleanup(globalLogPublisher.removeObserver, events.append)

        def client():
            return [_run(server.port, [line]) for line in ("LIST", "MLSD")]

        return self.inThread(client).addCallback(lambda replies: (
            replies, [event for event in events if event.get(
                "log_namespace") == "ftpkit.shells.contract"]))

    def test_datetime(self):
        """
        A C{datetime} as C{mtime}.
        """
        when = FileInfo(FILE, mtime=datetime.datetime(2020, 1, 1))

        def check(result):
            replies, lines = result
            self.assertEqual(replies, [("426", "200")] * 2)
            self.assertEqual(len(lines), 2)
            self.assertIn("gave a listing whose batch gave a FileInfo whose "
                          "mtime is datetime.datetime(2020, 1, 1, 0, 0)",
                          lines[0]["what"])
            self.assertEqual(self.flushLoggedErrors(), [])

        return self.list([("f.txt", when)]).addCallback(check)

    def test_plainList(self):
        """
        A good batch, given as a plain list: listed.
        """
        def check(result):
            self.assertEqual(result, ([("226", "200")] * 2, []))

        return self.list([("f.txt", FileInfo(FILE, size=3))]).addCallback(
            check)


class BadNameTests(LoopbackServerMixin, unittest.TestCase):
    """
    Names a listing gives that name no entry (C{"."}, C{".."}, C{""}, a
    name holding C{"/"} or NUL) are left out, said once a session for
    each method (they were listed: C{NLST} sent C{.}, C{a/b}; C{MLSD} a
    C{type=file} entry named C{.} beside its C{cdir}).
    """

    def test_leftOut(self):
        """
        C{listNames} (C{NLST}) and a streamed listing (C{MLSD}) whose
        first batch is only bad names (an empty batch would have ended
        it).
        """
        good = FileInfo(FILE, size=1)
        bad = [".", "..", "", "a/b", "n\x00ul"]
        shell = SloppyShell("value", [])
        shell.listNames = lambda path: succeed(bad + ["ok"])
        batches = [[(name, good) for name in bad], [("ok", good)], []]

        def openListing(path):
            listing = _Batches([])
            listing._batches = [list(batch) for batch in batches]
            return succeed(listing)

        shell.openListing = openListing
        events = []
        globalLogPublisher.addObserver(events.append)
        self.addCleanup(globalLogPublisher.removeObserver, events.append)
        server = self.startServer(SharedShellRealm(shell))

        def client():
            ftp = ftplib.FTP()
            ftp.connect("127.0.0.1", server.port, timeout=10)
            ftp.login()
            got = [ftp.nlst(), [name for name, facts in ftp.mlsd()
                                if facts["type"] == "file"], ftp.nlst()]
            ftp.quit()
            return got

        def check(got):
            self.assertEqual(got, [["ok"]] * 3)
            lines = [event for event in events if event.get(
                "log_namespace") == "ftpkit.shells.contract"]
            self.assertEqual(sorted(event["method"] for event in lines),
                             ["listNames", "openListing"])
            self.assertEqual(lines[0]["names"],
                             "['.', '..', '', 'a/b', 'n\\x00ul']")

        return self.inThread(client).addCallback(check)


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
            return [_run(server.port, ["CWD x"]) for _ in range(4)]

        def check(replies):
            self.assertEqual(replies, [("550", "200")] * 4)
            self.assertEqual(self.flushLoggedErrors(), [])

        return self.inThread(client).addCallback(check)


@implementer(IReadFile)
class _SenderFile:
    """
    A download sent by Twisted's C{FileSender}, whose Deferred is given
    back as it is (it fires with the last byte sent, not a count).
    """

    def __init__(self, data):
        self._data = data
        self.size = len(data)

    def send(self, consumer):
        """
        See L{IReadFile.send}.
        """
        return FileSender().beginFileTransfer(io.BytesIO(self._data),
                                              consumer)

    def close(self):
        """
        Nothing to release.
        """


class FileSenderTests(LoopbackServerMixin, unittest.TestCase):
    """
    A file whose C{send} is C{FileSender}'s: the download completes
    (C{226}), where the last byte taken for a count got C{451} and a
    traceback once the whole file was sent.
    """

    def test_retr(self):
        """
        C{RETR}, whole and after C{REST}.
        """
        shell = SloppyShell("value", [])
        shell.openForReading = lambda path, offset=0: succeed(
            _SenderFile(b"0123456789"[offset:]))
        server = self.startServer(SharedShellRealm(shell))

        def client():
            ftp = ftplib.FTP()
            ftp.connect("127.0.0.1", server.port, timeout=10)
            ftp.login()
            got = []
            for rest in (None, 4):
                data = io.BytesIO()
                reply = ftp.retrbinary("RETR f.txt", data.write, rest=rest)
                got.append((reply[:3], data.getvalue()))
            ftp.quit()
            return got

        def check(got):
            self.assertEqual(got, [("226", b"0123456789"), ("226", b"456789")])
            self.assertEqual(self.flushLoggedErrors(), [])

        return self.inThread(client).addCallback(check)


class HeldToContractTests(unittest.TestCase):
    """
    L{heldToContract} holds what is not ftpkit's all through.
    """

    def test_own(self):
        """
        ftpkit's shells and wrappers are handed on as they are.
        """
        shell = ReadOnlyShell(MemoryShell())
        self.assertIs(heldToContract(shell), shell)

    def test_foreign(self):
        """
        A shell of another module is held; the held shell provides what
        the shell does.
        """
        held = heldToContract(SloppyShell("value", []))
        self.assertIsInstance(held, ContractShell)
        self.assertTrue(IFTPShellChmod.providedBy(held))

    def test_beneathWrappers(self):
        """
        A shell of another module beneath ftpkit's wrappers is held where
        it is, a copy of each wrapper around it (the realm's wrappers
        are left as they were): the wrappers are given answers that keep
        the contract. (It was held around the wrappers, which handed its
        answers on unchecked.)
        """
        shell = SloppyShell("value", [])
        given = HideDotfilesShell(ReadOnlyShell(shell))
        held = heldToContract(given)
        self.assertIs(type(held), HideDotfilesShell)
        self.assertIs(type(held._shell), ReadOnlyShell)
        self.assertIsInstance(held._shell._shell, ContractShell)
        self.assertIs(held._shell._shell._shell, shell)
        self.assertIs(given._shell._shell, shell)
        self.assertTrue(IFTPShellChmod.providedBy(held))

    def test_beneathUncopiedWrapper(self):
        """
        Beneath an ftpkit wrapper that may not be copied
        (C{copiedForResumer} false), the shell is held around it.
        """
        shell = SloppyShell("value", [])
        counting = type("Counting", (ShellWrapper,),
                        {"__module__": "ftpkit.shells.counting"})(shell)
        held = heldToContract(ReadOnlyShell(counting))
        self.assertIs(type(held), ReadOnlyShell)
        self.assertIsInstance(held._shell, ContractShell)
        self.assertIs(held._shell._shell, counting)

    def test_describeFailure(self):
        """
        One line: the type, the text and where it was raised.
        """
        try:
            raise ValueError("two\nlines")
        except ValueError as e:
            error = e
        text = describeFailure(error)
        self.assertTrue(text.startswith("ValueError: two lines (raised at "),
                        text)
        self.assertTrue(text.endswith(", in test_describeFailure)"), text)
        self.assertEqual(describeFailure(Failure(KeyError("k"))),
                         "KeyError: 'k'")

    def test_describeDeferredFailure(self):
        """
        An exception a Deferred failed with, given without its traceback,
        and raised again where it is awaited, is not said to be raised in
        Twisted (it was 'raised at .../twisted/python/failure.py').
        """
        async def awaiting():
            await fail(KeyError("k"))

        failure = self.failureResultOf(ensureDeferred(awaiting()), KeyError)
        self.assertEqual(describeFailure(failure.value), "KeyError: 'k'")


@implementer(IRandomWriteFile)
class _FailingWrites:
    """
    An upload at offsets whose C{writeAt} fails with C{KeyError}.
    """

    def writeAt(self, offset, data):
        """
        Fail.
        """
        return fail(KeyError("chunk"))

    def close(self):
        """
        Commit nothing.
        """
        return succeed(None)

    def abort(self):
        """
        Drop nothing.
        """
        return succeed(None)


@implementer(IWriteFile, IConsumer)
class _ProducingUpload:
    """
    A producer/consumer upload whose C{close} breaks as C{how} says:
    C{"none"} (returns C{None}) or C{"full"} (fails with C{ENOSPC}).
    """

    def __init__(self, how):
        self._how = how

    def receive(self):
        """
        @return: this consumer.
        """
        return succeed(self)

    def registerProducer(self, producer, streaming):
        """
        Take a streaming producer as it comes.
        """

    def unregisterProducer(self):
        """
        Nothing to let go.
        """

    def write(self, data):
        """
        Drop the bytes.
        """

    def close(self):
        """
        Break.
        """
        if self._how == "none":
            return None
        return fail(OSError(errno.ENOSPC, "No space left on device"))

    def abort(self):
        """
        Drop nothing.
        """
        return succeed(None)


class BrokenUploadTests(LoopbackServerMixin, unittest.TestCase):
    """
    The files an upload writes to, breaking their contract: one line and
    a clear reply (each was C{451} and a traceback, C{error handling
    STOR}).
    """

    def upload(self, opened, code, said):
        """
        C{STOR} into what a shell's C{openForWriting} gives.

        @param opened: the file it gives.
        @param code: the reply the upload must get.
        @param said: text the one error line logged must hold.
        @return: a Deferred firing once checked.
        """
        shell = SloppyShell("value", [])
        shell.openForWriting = lambda *args: succeed(opened)
        server = self.startServer(SharedShellRealm(shell))
        events = []
        globalLogPublisher.addObserver(events.append)
        self.addCleanup(globalLogPublisher.removeObserver, events.append)

        def check(replies):
            self.assertEqual(replies, (code, "200"))
            errors = [event for event in events
                      if getattr(event.get("log_level"), "name", "") in (
                          "error", "critical")]
            self.assertEqual(len(errors), 1, errors)
            self.assertIn(said, errors[0]["what"])
            self.assertEqual(self.flushLoggedErrors(), [])

        return self.inThread(_run, server.port, ["STOR n.txt"]).addCallback(
            check)

    def test_writeAtFails(self):
        """
        A C{writeAt} failing with an exception that is no L{FTPError}:
        C{451}.
        """
        return self.upload(_FailingWrites(), "451",
                           "failed with KeyError: 'chunk'")

    def test_closeGivesNone(self):
        """
        An L{IWriteFile} whose C{close} gives C{None}: C{451}.
        """
        return self.upload(_ProducingUpload("none"), "451",
                           "gave None, not a Deferred")

    def test_closeFailsFull(self):
        """
        Its C{close} failing with C{ENOSPC}: C{452}, as the disk shell's.
        """
        return self.upload(_ProducingUpload("full"), "452",
                           "failed with OSError: [Errno 28]")
