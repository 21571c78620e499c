"""
Tests for the conformance kit itself (L{ftpkit.conformance}): it accepts
a shell the contract allows, and says which rule one breaks.
"""

import dataclasses
import datetime
import os

from twisted.internet.defer import fail, inlineCallbacks, succeed
from twisted.internet.interfaces import IConsumer
from twisted.trial import unittest
from zope.interface import implementer

from ftpkit.conformance import IFTPShellConformanceMixin
from ftpkit.errors import InvalidPath, NoSuchFile
from ftpkit.fileinfo import DIRECTORY, FileInfo
from ftpkit.interfaces import (
    IDirectoryListing,
    IFTPShellFeatures,
    IFTPShellPermitted,
    IFTPShellUploadOffsets,
    IWriteFile,
)
from ftpkit.protocol.permletters import ALL
from ftpkit.shells.filesystem import FilesystemShell
from ftpkit.shells.memory import MemoryShell
from ftpkit.shells.wrappers import ShellWrapper
from tests.scratch import scratchDirectory


class UniqueShell(ShellWrapper):
    """
    A L{MemoryShell} describing every entry with one C{unique} id (it
    overrides C{list}, so it offers none of the other ways to list).

    @ivar unique: the id every entry gets.
    """

    def __init__(self, unique):
        """
        @param unique: the id every entry gets; C{""} for none.
        """
        ShellWrapper.__init__(self, MemoryShell())
        self.unique = unique

    def _described(self, info):
        """
        @param info: a L{ftpkit.fileinfo.FileInfo}.
        @return: C{info} with this shell's C{unique} id.
        """
        return dataclasses.replace(info, unique=self.unique)

    def stat(self, path):
        """
        @param path: see L{ftpkit.interfaces.IFTPShell.stat}.
        @return: the wrapped shell's answer, with this shell's id.
        """
        return ShellWrapper.stat(self, path).addCallback(self._described)

    def list(self, path):
        """
        @param path: see L{ftpkit.interfaces.IFTPShell.list}.
        @return: the wrapped shell's answer, with this shell's id.
        """
        return ShellWrapper.list(self, path).addCallback(
            lambda entries: [(name, self._described(info))
                             for name, info in entries])


class NoUniqueConformanceTests(IFTPShellConformanceMixin, unittest.TestCase):
    """
    A shell that gives no C{unique} ids passes the kit: the fact is
    optional (the server leaves it out of C{MLSD}), but C{test_list}
    failed such a shell with C{1 != 3}, a rule written nowhere.
    """

    def makeShell(self):
        """
        @return: a shell with no C{unique} ids.
        """
        return UniqueShell("")


class SharedUniqueTests(unittest.TestCase):
    """
    Entries sharing one C{unique} id fail the kit's C{test_list}, saying so.
    """

    @inlineCallbacks
    def test_shared(self):
        """
        The failure names the rule and the ids.
        """
        kit = NoUniqueConformanceTests("test_list")
        kit.shell = UniqueShell("same")
        error = yield self.assertFailure(kit.test_list(),
                                         self.failureException)
        self.assertIn("two entries share a unique id: ['same', 'same', "
                      "'same']", str(error))


class PlainStatShell(ShellWrapper):
    """
    A L{MemoryShell} whose C{stat} answers with a plain value, or raises.

    @ivar raising: whether C{stat} raises rather than answering.
    """

    def __init__(self, raising=False):
        """
        @param raising: whether C{stat} raises.
        """
        ShellWrapper.__init__(self, MemoryShell())
        self.raising = raising

    def stat(self, path):
        """
        @param path: ignored.
        @return: a L{FileInfo} of a directory, not a Deferred of one.
        @raise NoSuchFile: when C{raising}.
        """
        if self.raising:
            raise NoSuchFile()
        return FileInfo(DIRECTORY)


class NotDeferredTests(unittest.TestCase):
    """
    The kit's C{test_givesDeferreds} fails a shell whose method answers
    without a Deferred, naming it: the rest of the kit takes a plain
    value, as C{yield} does, so that such a shell passed all but one of
    its tests (C{test_removeDirectory}) while the server answered its
    C{MLST}, C{CWD} and listings with 451 and a traceback.
    """

    @inlineCallbacks
    def assertKitFails(self, shell, message):
        """
        @param shell: the shell under test.
        @param message: what the kit's failure says.
        """
        kit = NoUniqueConformanceTests("test_givesDeferreds")
        kit.shell = shell
        error = yield self.assertFailure(kit.test_givesDeferreds(),
                                         self.failureException)
        self.assertIn(message, str(error))

    def test_plainValue(self):
        """
        A plain value.
        """
        return self.assertKitFails(
            PlainStatShell(), "stat gave FileInfo(kind='dir'")

    def test_coroutine(self):
        """
        A coroutine (C{async def}): said so, with the way to a Deferred,
        and closed (it was its C{repr}, and Python's warning that it was
        never awaited).
        """
        shell = PlainStatShell()

        async def stat(path):
            return FileInfo(DIRECTORY)

        shell.stat = stat
        return self.assertKitFails(
            shell, "stat gave a coroutine (async def), not a Deferred: "
            "return defer.Deferred.fromCoroutine(...) of it")

    def test_raises(self):
        """
        An exception raised instead of given as a failing Deferred.
        """
        return self.assertKitFails(
            PlainStatShell(raising=True),
            "stat raised NoSuchFile('No such file or directory'), not a "
            "failing Deferred")


@implementer(IWriteFile, IConsumer)
class _TakingAll:
    """
    A producer/consumer upload that stores each write at once and never
    pauses its producer.
    """

    def receive(self):
        """
        @return: this consumer.
        """
        return succeed(self)

    def registerProducer(self, producer, streaming):
        """
        Never pause it.
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
        Store nothing.
        """
        return succeed(None)

    def abort(self):
        """
        Drop nothing.
        """
        return succeed(None)


class NeverPausingShell(ShellWrapper):
    """
    A L{MemoryShell} whose uploads never pause their producer.
    """

    def __init__(self):
        ShellWrapper.__init__(self, MemoryShell())

    def openForWriting(self, path, offset=0, append=False):
        """
        @return: a Deferred firing with a L{_TakingAll}.
        """
        return succeed(_TakingAll())


class NeverPausedTests(unittest.TestCase):
    """
    The kit's C{test_uploadBackpressure} says what an upload's consumer
    that never pauses must do (it said "The sender was never paused").
    """

    @inlineCallbacks
    def test_says(self):
        """
        It names the consumer, C{pauseProducing} and the other way.
        """
        kit = NoUniqueConformanceTests("test_uploadBackpressure")
        kit.shell = NeverPausingShell()
        error = yield self.assertFailure(kit.test_uploadBackpressure(),
                                         self.failureException)
        self.assertIn("without pausing it once: a consumer pauses it "
                      "(pauseProducing) while", str(error))
        self.assertIn("or open an IRandomWriteFile", str(error))


class DatetimeShell(ShellWrapper):
    """
    A L{MemoryShell} whose C{stat} gives a C{datetime} as C{mtime}.
    """

    def __init__(self):
        ShellWrapper.__init__(self, MemoryShell())

    def stat(self, path):
        """
        @return: a Deferred firing with a L{FileInfo} whose C{mtime} is a
            C{datetime}.
        """
        return succeed(FileInfo(DIRECTORY, mtime=datetime.datetime(2020, 1,
                                                                   1)))


class AnswerTypesTests(unittest.TestCase):
    """
    The kit's C{test_answersHaveTheirTypes} fails a shell whose C{stat}
    gives a field of another type, which the server refuses with 451
    (such a shell passed the whole kit).
    """

    @inlineCallbacks
    def test_datetime(self):
        """
        Said by field.
        """
        kit = NoUniqueConformanceTests("test_answersHaveTheirTypes")
        kit.shell = DatetimeShell()
        error = yield self.assertFailure(kit.test_answersHaveTheirTypes(),
                                         self.failureException)
        self.assertIn("stat(()) gave a FileInfo whose mtime is "
                      "datetime.datetime(2020, 1, 1, 0, 0)", str(error))


@implementer(IFTPShellPermitted, IFTPShellFeatures)
class LettersShell(ShellWrapper):
    """
    A L{MemoryShell} whose C{permitted} gives its letters as a C{str},
    and whose C{unsupportedFeatures} gives C{None}.
    """

    def __init__(self):
        ShellWrapper.__init__(self, MemoryShell())

    def permitted(self, path):
        """
        @return: letters as a C{str}.
        """
        return "adfrw"

    def permittedIn(self, path):
        """
        @return: every letter, as it should.
        """
        return ALL, {}

    def unsupportedFeatures(self):
        """
        @return: C{None}.
        """
        return None


class AnswersAtOnceTests(unittest.TestCase):
    """
    The kit's C{test_answersAtOnceHaveTheirShapes} fails a shell whose
    C{permitted} or C{unsupportedFeatures} gives another shape, which
    the server takes as telling nothing (such a shell passed the whole
    kit, and the server answered C{MLST}, C{RNFR} and C{FEAT} with 451 and
    a traceback).
    """

    @inlineCallbacks
    def test_said(self):
        """
        Said by method.
        """
        kit = NoUniqueConformanceTests("test_answersAtOnceHaveTheirShapes")
        kit.shell = LettersShell()
        error = yield self.assertFailure(
            kit.test_answersAtOnceHaveTheirShapes(), self.failureException)
        self.assertIn("permitted(()) gave 'adfrw', not a frozenset of "
                      "letters", str(error))
        kit.shell.permitted = lambda path: ALL
        error = yield self.assertFailure(
            kit.test_answersAtOnceHaveTheirShapes(), self.failureException)
        self.assertIn("unsupportedFeatures() gave None, not a frozenset",
                      str(error))


@implementer(IFTPShellUploadOffsets)
class SaysWholeFilesShell(ShellWrapper):
    """
    A L{MemoryShell} that says its uploads cannot write at an offset, and
    writes there all the same.

    @ivar says: what C{writesAtOffsets} gives.
    """

    says = False

    def __init__(self):
        ShellWrapper.__init__(self, MemoryShell())

    def writesAtOffsets(self):
        """
        @return: L{says}.
        """
        return self.says


class UploadOffsetsTests(unittest.TestCase):
    """
    The kit holds a shell providing
    L{ftpkit.interfaces.IFTPShellUploadOffsets} to what it says.
    """

    @inlineCallbacks
    def test_saysWholeFilesOnly(self):
        """
        A shell saying it writes whole files, whose uploads at an offset
        are not refused, fails C{test_wholeFilesOnly}; its tests of
        resumes and appends are skipped.
        """
        kit = NoUniqueConformanceTests("test_wholeFilesOnly")
        kit.shell = SaysWholeFilesShell()
        yield self.assertFailure(kit.test_wholeFilesOnly(),
                                 self.failureException)
        kit.shell = SaysWholeFilesShell()
        self.assertRaises(unittest.SkipTest, kit.skipWholeFiles)

    @inlineCallbacks
    def test_answerShape(self):
        """
        C{writesAtOffsets} giving C{None} fails
        C{test_answersAtOnceHaveTheirShapes}, saying so.
        """
        kit = NoUniqueConformanceTests("test_answersAtOnceHaveTheirShapes")
        kit.shell = SaysWholeFilesShell()
        kit.shell.says = None
        error = yield self.assertFailure(
            kit.test_answersAtOnceHaveTheirShapes(), self.failureException)
        self.assertIn("writesAtOffsets() gave None, not True or False",
                      str(error))


class MisplacedShell(FilesystemShell):
    """
    A disk shell whose L{ftpkit.interfaces.IFTPShellLocalPath} answers
    C{answer(path, itsOwn)}, C{itsOwn} the disk shell's answer.
    """

    def __init__(self, root, answer):
        FilesystemShell.__init__(self, root)
        self.answer = answer

    def localPath(self, path):
        """
        @param path: a tuple of segments.
        @return: what L{answer} makes of the right answer.
        """
        return self.answer(path, FilesystemShell.localPath(self, path))


class LocalPathTests(unittest.TestCase):
    """
    The kit holds a shell providing
    L{ftpkit.interfaces.IFTPShellLocalPath} to naming the file.
    """

    @inlineCallbacks
    def check(self, answer):
        """
        @param answer: see L{MisplacedShell}.
        @return: a Deferred failing with C{test_localPath}'s failure.
        """
        kit = NoUniqueConformanceTests("test_localPath")
        kit.shell = MisplacedShell(scratchDirectory(self), answer)
        return (yield self.assertFailure(kit.test_localPath(),
                                         self.failureException))

    def test_right(self):
        """
        The disk shell's own answers pass.
        """
        kit = NoUniqueConformanceTests("test_localPath")
        kit.shell = MisplacedShell(scratchDirectory(self),
                                   lambda path, right: right)
        return kit.test_localPath()

    def test_none(self):
        """
        C{None}, no local file (a name the shell refuses), passes.
        """
        kit = NoUniqueConformanceTests("test_localPath")
        kit.shell = MisplacedShell(scratchDirectory(self),
                                   lambda path, right: None)
        return kit.test_localPath()

    def test_relative(self):
        """
        A relative path fails.
        """
        return self.check(lambda path, right: right.lstrip("/"))

    def test_bytes(self):
        """
        A path as C{bytes}, not text, fails.
        """
        return self.check(lambda path, right: os.fsencode(right))

    def test_otherFileBelowRoot(self):
        """
        A path below the root, of another file than the one uploaded,
        fails.
        """
        def answer(path, right):
            if not path:
                return right
            other = os.path.join(os.path.dirname(right), "other")
            with open(other, "wb") as f:
                f.write(b"other")
            return other

        return self.check(answer)

    def test_notTheFile(self):
        """
        A path of another file (the one the upload replaced, kept
        elsewhere) fails.
        """
        other = scratchDirectory(self)
        with open(os.path.join(other, "f"), "wb") as f:
            f.write(b"old")
        return self.check(lambda path, right: os.path.join(other, "f")
                          if path else right)

    def test_outsideRoot(self):
        """
        A root said to be elsewhere than its files fails.
        """
        return self.check(lambda path, right: right if path
                          else scratchDirectory(self))


class Utf8OnlyShell(ShellWrapper):
    """
    A L{MemoryShell} whose store takes UTF-8 names only, and fails with
    C{UnicodeEncodeError} on a name that is not (or, C{refusing}, with
    L{InvalidPath}).
    """

    def __init__(self, refusing=False):
        ShellWrapper.__init__(self, MemoryShell())
        self.refusing = refusing

    def _checked(self, path, call):
        """
        @param path: a tuple of segments.
        @param call: a callable giving the wrapped shell's answer.
        @return: C{call()}, or a failing Deferred for a path that is not
            UTF-8.
        """
        try:
            "/".join(path).encode("utf-8")
        except UnicodeEncodeError as e:
            return fail(InvalidPath() if self.refusing else e)
        return call()

    def makeDirectory(self, path):
        """
        @param path: see L{ftpkit.interfaces.IFTPShell.makeDirectory}.
        @return: the wrapped shell's answer, for a UTF-8 path.
        """
        return self._checked(path, lambda: ShellWrapper.makeDirectory(
            self, path))

    def openForWriting(self, path, offset=0, append=False):
        """
        @param path: see L{ftpkit.interfaces.IFTPShell.openForWriting}.
        @return: the wrapped shell's answer, for a UTF-8 path.
        """
        return self._checked(path, lambda: ShellWrapper.openForWriting(
            self, path, offset, append))


class NonUTF8NamesTests(unittest.TestCase):
    """
    The kit's C{test_nonUTF8Names} fails a store whose names must be
    UTF-8 and that fails otherwise with another error than
    L{InvalidPath}, saying what to do; one refusing them with
    L{InvalidPath} passes, as one keeping them does.
    """

    def kit(self, shell):
        """
        @param shell: the shell under test.
        @return: the Deferred of the kit's test of it.
        """
        kit = NoUniqueConformanceTests("test_nonUTF8Names")
        kit.shell = shell
        return kit.test_nonUTF8Names()

    @inlineCallbacks
    def test_unicodeEncodeError(self):
        error = yield self.assertFailure(self.kit(Utf8OnlyShell()),
                                         self.failureException)
        self.assertIn("an upload of 'caf\\udce9' failed with "
                      "UnicodeEncodeError(", str(error))
        self.assertIn("refuse it with InvalidPath", str(error))

    def test_refused(self):
        return self.kit(Utf8OnlyShell(refusing=True))

    def test_kept(self):
        return self.kit(MemoryShell())


@implementer(IDirectoryListing)
class _LeftWorkListing:
    """
    A plain listing (no names, no formats) whose close leaves work running
    until its test case settles, as the fsspec shell's close of a listing
    does (in a thread of its pool).
    """

    def __init__(self, listing, case):
        """
        @param listing: the wrapped L{IDirectoryListing}.
        @param case: the L{LeftWorkSettledTests} running.
        """
        self._listing = listing
        self._case = case

    def nextBatch(self):
        return self._listing.nextBatch()

    def close(self):
        self._listing.close()
        self._case.unsettled = True


class _LeftWorkShell(ShellWrapper):
    """
    A L{MemoryShell} whose listings are L{_LeftWorkListing}s.
    """

    def __init__(self, case):
        ShellWrapper.__init__(self, MemoryShell())
        self._case = case

    def openListing(self, path):
        return ShellWrapper.openListing(self, path).addCallback(
            _LeftWorkListing, self._case)


class LeftWorkSettledTests(IFTPShellConformanceMixin, unittest.TestCase):
    """
    No kit test ends, nor skips, with work its closes started still
    running: it settles first. The SFTP shell's close of a listing
    (a call in its pool, with a deadline timer) left the reactor unclean
    when C{test_namedListing} skipped at once after closing one.
    """

    unsettled = False

    def makeShell(self):
        """
        @return: a L{_LeftWorkShell}, checked at the end of each test.
        """
        self.addCleanup(lambda: self.assertFalse(
            self.unsettled, "the test ended before settling its closes"))
        return _LeftWorkShell(self)

    def settle(self):
        self.unsettled = False
        return IFTPShellConformanceMixin.settle(self)
