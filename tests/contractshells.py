"""
Shells of classes outside ftpkit that break L{ftpkit.interfaces.IFTPShell}'s
contract, and the sessions that drive them: what the contract's tests
(L{tests.integration.test_shellcontract_methods},
L{tests.integration.test_shellcontract_answers},
L{tests.integration.test_shellcontract_listings},
L{tests.integration.test_shellcontract_files} and
L{tests.integration.test_shellcontract_wrappers}) share.
"""

import ftplib
import io

from twisted.internet.defer import fail, succeed
from twisted.logger import globalLogPublisher
from twisted.python.failure import Failure
from twisted.trial import unittest
from zope.interface import implementer

from ftpkit.errors import NoSuchFile
from ftpkit.interfaces import (
    IFTPShellAvailable,
    IFTPShellChmod,
    IFTPShellFeatures,
    IFTPShellPermitted,
)
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.protocol.permletters import ALL
from ftpkit.realms import SharedShellRealm
from ftpkit.shells.memory import MemoryShell


def brokenAnswer(how, result):
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
    C{broken} answer as L{brokenAnswer} says.
    """

    def __init__(self, how, broken):
        """
        @param how: see L{brokenAnswer}.
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
            return brokenAnswer(how, method(*args, **kwargs))
        return broken


def runCommands(port, lines):
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


class ContractTestCase(LoopbackServerMixin, unittest.TestCase):
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


def replyCode(ftp, line):
    """
    @return: the reply code to C{line}, an error's too.
    """
    try:
        return ftp.sendcmd(line)[:3]
    except ftplib.Error as e:
        return str(e)[:3]


def listingReply(ftp, line):
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
