"""
C{ABOR} that arrives once a transfer's data is all moved, over real
loopback sockets: while an upload is being committed (its file's
C{close} stores it), or once a download or listing sent its last byte.

RFC 959: an C{ABOR} after the transfer completed is answered C{226},
the transfer's reply being its own C{226}. An upload whose commit
stored the file while the C{ABOR} waited got C{426} all the same (the
server logging that the file was stored after it), and its client took
the upload for failed though the file was there. C{ABOR} now waits up
to L{ftpkit.control.opening.COMMIT_GRACE} for the commit: stored, the
upload gets C{226}; failed, its error, and nothing is stored; still
under way (a plugin whose C{close} hangs,
L{tests.integration.test_attack_plugins.HungStoreTests}), C{426}.
"""

import ftplib
import threading

from twisted.internet import defer, reactor
from twisted.trial import unittest
from zope.interface import directlyProvides, providedBy

from ftpkit.config import ServerConfig
from ftpkit.control.commandqueue import CommandQueue
from ftpkit.errors import LocalError
from ftpkit.realms import SharedShellRealm
from ftpkit.shells.filesystem import FilesystemShell
from ftpkit.shells.memory import MemoryShell
from ftpkit.shells.shellwrapper import ShellWrapper
from tests.ftpclient import ftplibLogin
from tests.logevents import captureLogs
from tests.scratch import scratchDirectory
from tests.tlssupport import FTPSTestsMixin, clientContext

PAYLOAD = b"u" * 100000


class SlowCommitShell(ShellWrapper):
    """
    A shell whose uploads are stored (or fail) only once the server read
    the C{ABOR} sent during their commit (L{abortRead}), as a storage
    whose last call (an upload's rename, a network store) takes that
    long. They were stored 0.3 s after their C{close} was called: a
    client (or a server) slower than that under load sent its C{ABOR}
    after the commit, answered C{225}, and the test failed.

    @ivar committing: a C{threading.Event} set once a C{close} is called.
    @ivar failing: the commit fails (and stores nothing).
    """

    def __init__(self, shell, failing=False):
        """
        @param shell: the shell storing the uploads.
        @param failing: see L{failing}.
        """
        ShellWrapper.__init__(self, shell)
        self.committing = threading.Event()
        self._commits = []
        self.failing = failing

    def commitOnAbort(self, commit):
        """
        Run C{commit} once the server read an C{ABOR}.

        @param commit: called with no argument.
        """
        self._commits.append(commit)

    def abortRead(self):
        """
        The server read an C{ABOR} (and acted on it): the commits waiting
        run on the reactor's next turn, the C{ABOR} waiting for them.
        """
        commits, self._commits = self._commits, []
        for commit in commits:
            reactor.callLater(0, commit)

    def openForWriting(self, path, offset=0, append=False):
        """
        See L{IFTPShell.openForWriting}: a L{SlowCommitFile}.
        """
        return defer.maybeDeferred(
            self._shell.openForWriting, path, offset, append).addCallback(
                SlowCommitFile, self)

    def openForCreating(self, path):
        """
        See L{IFTPShellCreate.openForCreating}: a L{SlowCommitFile}.
        """
        return defer.maybeDeferred(
            self._shell.openForCreating, path).addCallback(
                SlowCommitFile, self)


class SlowCommitFile:
    """
    An upload's file whose C{close} ends once the server read an
    C{ABOR} (L{SlowCommitShell.abortRead}).
    """

    def __init__(self, opened, shell):
        """
        @param opened: the file the wrapped shell opened.
        @param shell: the L{SlowCommitShell}.
        """
        self._opened = opened
        self._shell = shell
        directlyProvides(self, providedBy(opened))

    def __getattr__(self, name):
        return getattr(self._opened, name)

    def close(self):
        """
        Store the file (or fail, L{SlowCommitShell.failing}) once the
        server read an C{ABOR}.

        @return: a Deferred firing then.
        """
        self._shell.committing.set()
        closing = defer.Deferred()

        def commit():
            if self._shell.failing:
                drop = getattr(self._opened, "discard", self._opened.abort)
                defer.maybeDeferred(drop).addCallback(
                    lambda _: closing.errback(
                        LocalError("the store went away")))
            else:
                defer.maybeDeferred(self._opened.close).chainDeferred(
                    closing)

        self._shell.commitOnAbort(commit)
        return closing


def abortWhileCommitting(ftp, shell, command, tls):
    """
    Upload L{PAYLOAD} whole with C{command} (the data connection closed
    in order), and send C{ABOR} once the server commits it.

    @return: the two replies' codes, and the C{SIZE} reply after them.
    """
    data = ftp.transfercmd(command)
    data.sendall(PAYLOAD)
    if tls:
        data.unwrap()
    data.close()
    if not shell.committing.wait(10):
        raise AssertionError("the upload was never committed")
    ftp.putcmd("ABOR")
    codes = [ftp.getline()[:3], ftp.getline()[:3]]
    # STOU: the one name there.
    name = command.split(" ", 1)[1] if " " in command else (
        (ftp.nlst() + ["none"])[0])
    ftp.voidcmd("TYPE I")
    try:
        size = ftp.sendcmd("SIZE " + name)
    except ftplib.error_perm as e:
        size = str(e)
    return codes, size


def abortAfterLastByte(ftp, command, expected, slow=False):
    """
    Read C{expected} bytes of C{command}'s data, then send C{ABOR}
    without closing the data connection.

    @param slow: play a client too slow to send its C{ABOR} before the
        server ended the transfer (as any client may be under load): wait
        for C{command}'s reply first, which comes once the client has
        acknowledged every byte (L{ftpkit.data.linger}).
    @return: the two replies' codes, and the count of bytes read.
    """
    data = ftp.transfercmd(command)
    got = b""
    while len(got) < expected:
        chunk = data.recv(65536)
        if not chunk:
            break
        got += chunk
    codes = [ftp.getline()[:3]] if slow else []
    ftp.putcmd("ABOR")
    while len(codes) < 2:
        codes.append(ftp.getline()[:3])
    data.close()
    return codes, len(got)


class AbortCommitTests(FTPSTestsMixin, unittest.TestCase):
    """
    C{ABOR} while an upload is committed, on the memory and disk shells,
    in clear and under C{PROT P}.
    """

    def serveSlow(self, disk=False, failing=False):
        """
        Serve a L{SlowCommitShell} (on disk in C{self.root}, or in
        memory), told of each C{ABOR} the server reads.

        @return: the shell.
        """
        inner = (FilesystemShell(scratchDirectory(self)) if disk
                 else MemoryShell())
        shell = SlowCommitShell(inner, failing)
        arrive = CommandQueue.arrive

        def arriving(queue, verb, *args):
            action = arrive(queue, verb, *args)
            if verb == "ABOR":
                shell.abortRead()
            return action
        self.patch(CommandQueue, "arrive", arriving)
        self.server = self.startServer(
            SharedShellRealm(shell),
            ServerConfig(loginFailureDelay=0,
                         tlsContextFactory=self.factory))
        return shell

    def commit(self, command, disk=False, tls=False, failing=False):
        """
        L{abortWhileCommitting} against a new server.

        @return: a Deferred firing with its result.
        """
        shell = self.serveSlow(disk, failing)

        def client():
            ftp = ftplibLogin(
                self, self.server.port,
                client=ftplib.FTP_TLS(context=clientContext()) if tls
                else None, protect=tls, binary=True)
            result = abortWhileCommitting(ftp, shell, command, tls)
            ftp.quit()
            return result

        return self.inThread(client)

    @defer.inlineCallbacks
    def assertStored(self, command, **kwargs):
        """
        C{command} committed while C{ABOR} waits: C{226} for both, the
        file in place, and no line saying it was stored after a C{426}.
        """
        events = captureLogs(self)
        codes, size = yield self.commit(command, **kwargs)
        self.assertEqual(codes, ["226", "226"])
        self.assertEqual(size, "213 %d" % len(PAYLOAD))
        self.assertEqual(
            [event for event in events
             if "after its ABOR" in event.get("log_format", "")], [])

    def test_storMemory(self):
        """
        C{STOR} on the memory shell.
        """
        return self.assertStored("STOR f.bin")

    def test_storDisk(self):
        """
        C{STOR} on disk.
        """
        return self.assertStored("STOR f.bin", disk=True)

    def test_storTLS(self):
        """
        C{STOR} under C{PROT P}, on disk.
        """
        return self.assertStored("STOR f.bin", disk=True, tls=True)

    def test_appeMemoryTLS(self):
        """
        C{APPE} under C{PROT P}, on the memory shell.
        """
        return self.assertStored("APPE f.bin", tls=True)

    def test_stou(self):
        """
        C{STOU}, on disk.
        """
        return self.assertStored("STOU", disk=True)

    @defer.inlineCallbacks
    def test_commitFails(self):
        """
        The commit fails while C{ABOR} waits: the upload gets the
        failure's reply (L{LocalError}'s C{451}, not C{226}), the C{ABOR}
        C{226}, and no file is there.
        """
        codes, size = yield self.commit("STOR f.bin", failing=True)
        self.assertEqual(codes, ["451", "226"])
        self.assertEqual(size[:3], "550")


class AbortAfterLastByteTests(FTPSTestsMixin, unittest.TestCase):
    """
    C{ABOR} once a download or listing sent its last byte, the client
    still holding the data connection open: the transfer completed, so
    C{226} for it and for the C{ABOR}.
    """

    def assertCompleted(self, codes):
        """
        The transfer got C{226}; the C{ABOR} C{226}, or C{225} when the
        server had ended the data connection before it came (the client
        slow under load; RFC 959 allows either once nothing runs).

        @param codes: the two replies' codes.
        """
        self.assertEqual(codes[0], "226")
        self.assertIn(codes[1], ("225", "226"))

    def afterLastByte(self, command, expected, tls=False):
        """
        L{abortAfterLastByte} against a new server on disk.

        @return: a Deferred firing with its result.
        """
        self.serve()

        def client():
            ftp = ftplibLogin(
                self, self.server.port,
                client=ftplib.FTP_TLS(context=clientContext()) if tls
                else None, protect=tls, binary=True)
            result = abortAfterLastByte(ftp, command, expected)
            ftp.quit()
            return result

        return self.inThread(client)

    @defer.inlineCallbacks
    def test_retr(self):
        """
        C{RETR} in clear.
        """
        codes, got = yield self.afterLastByte("RETR big.bin",
                                              len(self.payload))
        self.assertEqual(got, len(self.payload))
        self.assertCompleted(codes)

    @defer.inlineCallbacks
    def test_retrTLS(self):
        """
        C{RETR} under C{PROT P}.
        """
        codes, got = yield self.afterLastByte("RETR big.bin",
                                              len(self.payload), tls=True)
        self.assertEqual(got, len(self.payload))
        self.assertCompleted(codes)

    @defer.inlineCallbacks
    def test_nlst(self):
        """
        C{NLST}: its one line.
        """
        codes, got = yield self.afterLastByte("NLST", len(b"big.bin\r\n"))
        self.assertEqual(got, len(b"big.bin\r\n"))
        self.assertCompleted(codes)

    @defer.inlineCallbacks
    def test_nlstTLS(self):
        """
        C{NLST} under C{PROT P}.
        """
        codes, got = yield self.afterLastByte(
            "NLST", len(b"big.bin\r\n"), tls=True)
        self.assertEqual(got, len(b"big.bin\r\n"))
        self.assertCompleted(codes)
