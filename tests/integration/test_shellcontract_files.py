"""
The files a shell from outside ftpkit opens, held to the contract
(L{ftpkit.shells.contract}): a download's C{send} and C{size}, the
rates of an L{ftpkit.interfaces.IFTPShellRates} shell, and the files an
upload writes to. Each test says what the server did before.
"""

import errno
import ftplib
import io

from twisted.internet.defer import fail, succeed
from twisted.internet.interfaces import IConsumer
from twisted.logger import globalLogPublisher
from twisted.trial import unittest
from zope.interface import alsoProvides, implementer

from ftpkit.interfaces import (
    IFTPShellRates,
    IRandomReadFile,
    IRandomWriteFile,
    IWriteFile,
)
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.realms import SharedShellRealm
from ftpkit.shells.wrappers import ReadOnlyShell
from tests.contractshells import (
    ContractTestCase,
    PluginShell,
    SloppyShell,
    listingReply,
    runCommands,
)
from tests.lateends import LastByteSenderFile


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
            LastByteSenderFile(b"0123456789"[offset:]))
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


class FileAnswerTests(ContractTestCase):
    """
    An open file's C{size} and the rates of an L{IFTPShellRates} shell,
    held to their shapes.
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
            return [listingReply(ftp, "RETR f.txt") for size in list(sizes)]

        def check(results):
            self.assertEqual(results, [("451", b"")] * 2)
            self.assertEqual([event["what"] for event in self.lines], [
                "gave a file whose size is -5, not a count of bytes or None",
                "gave a file whose size is '6', not a count of bytes or None"])
            self.assertEqual(self.flushLoggedErrors(), [])

        return self.session(shell, work).addCallback(check)

    def checkRates(self, rate, said, wrapper=None):
        shell = PluginShell()
        alsoProvides(shell, IFTPShellRates)
        shell.downloadRate = rate
        shell.uploadRate = None
        shell.openForReading = lambda path, offset=0: succeed(
            _BigFile(100000))
        if wrapper is not None:
            shell = wrapper(shell)

        def work(ftp):
            ftp.voidcmd("TYPE I")
            code, data = listingReply(ftp, "RETR big")
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

    def test_rateThroughWrapper(self):
        """
        The rates of a shell a realm wraps (C{ReadOnlyShell}, as
        writing-a-realm.rst recommends) are read at login through the
        wrapper: before session 47 they were lost, and no line said so.
        """
        return self.checkRates("1M", "'1M', not bytes a second",
                               ReadOnlyShell)


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

        return self.inThread(runCommands, server.port, ["STOR n.txt"]).addCallback(
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
