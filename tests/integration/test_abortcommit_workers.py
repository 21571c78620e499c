"""
L{tests.integration.test_abortcommit} against C{python -m ftpkit
--workers 2} on the disk realm, in clear and under C{PROT P}: an upload
whose commit takes 0.3 seconds (the disk shell's C{close} delayed by a
C{sitecustomize}) gets C{226} to its C{STOR} and its C{ABOR}, the file
in place; a download whose every byte was read before the C{ABOR}
gets C{226}, and its C{ABOR} C{226} (or C{225} once the transfer ended).
"""

import os

from twisted.internet import threads
from twisted.trial import unittest

from tests.drainsteps import loginAlice, uploadUntilCommitting
from tests.integration.test_abortcommit import (
    PAYLOAD,
    abortAfterLastByte,
)
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess
from tests.sitescripts import sitePath
from tests.tlssupport import Certificates

HELD_CLOSE = """\
import os
from zope.interface import directlyProvides, providedBy
from twisted.internet import defer
from ftpkit.shells import filesystem

_opened = filesystem.FilesystemShell.openForWriting


class _HeldClose:
    def __init__(self, opened):
        self._opened = opened
        directlyProvides(self, providedBy(opened))

    def __getattr__(self, name):
        return getattr(self._opened, name)

    def close(self):
        open(os.environ["FTPKIT_TEST_COMMITTING"], "w").close()
        closing = defer.Deferred()
        _holdCommit(lambda: defer.maybeDeferred(
            self._opened.close).chainDeferred(closing))
        return closing


def _openForWriting(self, *args):
    return defer.maybeDeferred(_opened, self, *args).addCallback(_HeldClose)


filesystem.FilesystemShell.openForWriting = _openForWriting
"""
"""The start of a C{sitecustomize} whose disk uploads' C{close} touches
the file C{FTPKIT_TEST_COMMITTING} names and hands the commit (a
callable storing the file) to C{_holdCommit}, which the rest of the
script defines."""

SLOW_COMMIT = HELD_CLOSE + """

def _holdCommit(commit):
    from twisted.internet import reactor
    reactor.callLater(0.3, commit)
"""
"""A C{sitecustomize} whose disk uploads are stored 0.3 seconds after
their file's C{close} (L{HELD_CLOSE})."""

HELD_COMMIT = HELD_CLOSE + """
from ftpkit.control import commandqueue
from ftpkit.ops import drain

_arrive = commandqueue.CommandQueue.arrive
_drain = drain.Drain.drain
_commits = []


def _holdCommit(commit):
    _commits.append(commit)


def _commitLater():
    from twisted.internet import reactor
    delay = float(os.environ.get("FTPKIT_TEST_COMMIT_DELAY", "0"))
    while _commits:
        reactor.callLater(delay, _commits.pop())


def _arriveSeen(self, verb, *args):
    action = _arrive(self, verb, *args)
    if verb == "ABOR":
        _commitLater()
        read = os.environ.get("FTPKIT_TEST_ABOR_READ")
        if read:
            open(read, "w").close()
    return action


def _drainSeen(self):
    _commitLater()
    return _drain(self)


commandqueue.CommandQueue.arrive = _arriveSeen
drain.Drain.drain = _drainSeen
"""
"""A C{sitecustomize} whose disk uploads are stored only once the
server read an C{ABOR} sent during their commit, or began a drain
(C{SIGTERM}), whichever comes first (L{HELD_CLOSE}), and then
C{FTPKIT_TEST_COMMIT_DELAY} seconds later (0 by default); it touches the
file C{FTPKIT_TEST_ABOR_READ} names, if any, once the C{ABOR} was read.
Stored a fixed time after the C{close} (L{SLOW_COMMIT}), an upload
whose client sent its C{ABOR}, or whose test sent its C{SIGTERM}, later
than that under load had its commit end before, and its test failed
(C{225} to the C{ABOR}; C{226}, not C{426}, past a drain's grace)."""


class WorkersAbortCommitTests(Certificates, unittest.TestCase):
    """
    C{ABOR} while an upload is committed, or after a download's last
    byte, under C{--workers 2}.
    """

    timeout = 60

    def setUp(self):
        self.makeCertificates()
        self.root = scratchDirectory(self)
        self.marker = os.path.join(scratchDirectory(self), "committing")
        with open(os.path.join(self.root, "big.bin"), "wb") as f:
            f.write(PAYLOAD * 30)
        self.server = ServerProcess(
            self, ["--root", self.root, "--auth", "memory:alice:secret",
                   "--tls-cert", self.both, "--workers", "2"],
            env={"PYTHONPATH": sitePath(self, HELD_COMMIT),
                 "FTPKIT_TEST_COMMITTING": self.marker})
        self.server.waitForGreeting()

    def login(self, tls):
        """
        @param tls: under C{PROT P}.
        @return: an C{ftplib} client logged in as C{alice}, C{TYPE I}.
        """
        return loginAlice(self, self.server.port, tls, timeout=30)

    def store(self, tls):
        """
        Upload L{PAYLOAD} as C{f.bin}, send C{ABOR} once its commit began.

        @return: the two replies' codes, the C{SIZE} reply, the file's
            size on disk.
        """
        ftp = self.login(tls)
        uploadUntilCommitting(ftp, "STOR f.bin", PAYLOAD, self.marker, tls,
                              seconds=10)
        ftp.putcmd("ABOR")
        codes = [ftp.getline()[:3], ftp.getline()[:3]]
        return codes, ftp.sendcmd("SIZE f.bin"), os.path.getsize(
            os.path.join(self.root, "f.bin"))

    def assertStored(self, tls):
        """
        L{store}: C{226} twice, the file stored whole.
        """
        def check(result):
            self.assertEqual(result, (["226", "226"],
                                      "213 %d" % len(PAYLOAD), len(PAYLOAD)))
        return threads.deferToThread(self.store, tls).addCallback(check)

    def test_stor(self):
        """
        In clear.
        """
        return self.assertStored(False)

    def test_storTLS(self):
        """
        Under C{PROT P}.
        """
        return self.assertStored(True)

    def assertRead(self, tls, slow=False):
        """
        C{ABOR} once C{big.bin} was read whole: C{226} to the C{RETR}; to
        the C{ABOR} C{226}, or C{225} when the server had ended the
        transfer before it came (the client acknowledged every byte, and
        was slower than the linger's first look to send its C{ABOR}: a
        loaded machine; RFC 959 allows either once nothing runs).

        @param slow: see L{abortAfterLastByte}.
        """
        size = len(PAYLOAD) * 30

        def read():
            return abortAfterLastByte(self.login(tls), "RETR big.bin", size,
                                      slow)

        def check(result):
            (transfer, abort), got = result
            self.assertEqual((transfer, got), ("226", size))
            self.assertIn(abort, ("225", "226"))
        return threads.deferToThread(read).addCallback(check)

    def test_retr(self):
        """
        C{RETR} in clear.
        """
        return self.assertRead(False)

    def test_retrTLS(self):
        """
        C{RETR} under C{PROT P}.
        """
        return self.assertRead(True)

    def test_retrSlowClient(self):
        """
        C{RETR} in clear, its C{ABOR} sent only after the C{226}: what
        a client slow under load does (the test asked for C{226} twice,
        and failed then).
        """
        return self.assertRead(False, slow=True)

    def test_retrTLSSlowClient(self):
        """
        C{RETR} under C{PROT P}, its C{ABOR} sent only after the C{226}.
        """
        return self.assertRead(True, slow=True)
