"""
C{SIGTERM} while an C{ABOR} waits for an upload's commit (the disk
shell's C{close} delayed by a C{sitecustomize}, as in
L{tests.integration.test_abortcommit_workers}), against a real server
(C{python -m ftpkit}, one process and C{--workers 2}, in clear and under
C{PROT P}): the C{ABOR}, sent before the signal, is answered before the
drain's C{421}, as one sent during the drain is. It was dropped with the
commands pipelined behind the upload, so its client read C{226} (or
C{426}) then C{421}, the C{421} in place of the C{ABOR}'s reply. And a
commit that outlasts the C{ABOR}'s grace ends before the process does
(L{ftpkit.ops.drain.Drain} waits for it, within the shutdown grace): the
process ended first, the file neither replaced nor kept for a resume, its
temporary file left behind.
"""

import os
import signal

from twisted.internet import threads
from twisted.trial import unittest

from tests.drainsteps import loginAlice, repliesUntilClosed, uploadUntilCommitting
from tests.integration.test_abortcommit_workers import (
    HELD_COMMIT,
    SLOW_COMMIT,
)
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess
from tests.sitescripts import sitePath
from tests.tlssupport import Certificates

PAYLOAD = os.urandom(300000)
"""What the client uploads."""

DELAYED_COMMIT = SLOW_COMMIT.replace(
    "reactor.callLater(0.3,",
    'reactor.callLater(float(os.environ["FTPKIT_TEST_COMMIT_DELAY"]),') + """

from ftpkit.control import commandqueue

_arrive = commandqueue.CommandQueue.arrive


def _arriveSeen(self, verb, *args):
    action = _arrive(self, verb, *args)
    if verb == "ABOR":
        open(os.environ["FTPKIT_TEST_ABOR_READ"], "w").close()
    return action


commandqueue.CommandQueue.arrive = _arriveSeen
"""
"""L{SLOW_COMMIT} with the delay of its C{close} taken from the
environment, touching the file C{FTPKIT_TEST_ABOR_READ} names once an
C{ABOR} was read and acted on."""


class AbortWhileCommittingTests(Certificates, unittest.TestCase):
    """
    C{ABOR} during an upload's commit, then C{SIGTERM}.
    """

    timeout = 120

    def start(self, delay, *extra):
        """
        Start a server whose uploads are committed C{delay} seconds after
        it read the C{ABOR} sent during their commit (its grace, 1.5 s,
        starts then too): 1.0 s after the commit began, a client later
        than that under load had its C{ABOR} answered C{225}, or within
        the grace of a commit taking 4 s.

        @param delay: the seconds.
        @param extra: more options.
        """
        self.makeCertificates()
        self.root = scratchDirectory(self)
        self.marker = os.path.join(scratchDirectory(self), "committing")
        self.aborRead = os.path.join(scratchDirectory(self), "abor-read")
        with open(os.path.join(self.root, "old"), "wb") as f:
            f.write(b"the old file")
        self.server = ServerProcess(
            self, ["--root", self.root, "--auth", "memory:alice:secret",
                   "--tls-cert", self.both, "--shutdown-grace", "30",
                   *extra],
            env={"PYTHONPATH": sitePath(self, HELD_COMMIT),
                 "FTPKIT_TEST_COMMITTING": self.marker,
                 "FTPKIT_TEST_COMMIT_DELAY": str(delay),
                 "FTPKIT_TEST_ABOR_READ": self.aborRead})
        if extra:
            self.server.waitForLog(" ready\n", 2)
        self.server.waitForGreeting()

    def abortThenStop(self, tls):
        """
        Upload L{PAYLOAD} over C{old}, send C{ABOR} once its commit began,
        then C{SIGTERM} while the C{ABOR} waits.

        @return: the reply codes the client read until the server closed.
        """
        ftp = loginAlice(self, self.server.port, tls)
        uploadUntilCommitting(ftp, "STOR old", PAYLOAD, self.marker, tls)
        ftp.putcmd("ABOR")
        # The ABOR read (and acting) before the signal comes.
        self.server.waitFor(lambda: os.path.exists(self.aborRead),
                            "the ABOR read")
        self.server.signal(signal.SIGTERM)
        return repliesUntilClosed(ftp)

    def assertAnswered(self, tls, codes):
        """
        L{abortThenStop} gives C{codes}; the server exits on the signal,
        with one drain line (from the process or worker that has the
        session), one transfer line and no traceback.
        """
        def check(got):
            self.assertEqual(got, codes)
            self.assertEqual(self.server.process.wait(60), -signal.SIGTERM)
            log = self.server.log()
            self.assertEqual(log.count("stopping: closing"), 1, log)
            self.assertEqual(log.count("STOR from 127.0.0.1"), 1, log)
            self.assertNotIn("Traceback", log)
            with open(os.path.join(self.root, "old"), "rb") as f:
                self.assertTrue(f.read() == PAYLOAD)
            self.assertEqual(sorted(os.listdir(self.root)), ["old"])
            return log
        return threads.deferToThread(self.abortThenStop, tls).addCallback(
            check)

    def test_committed(self):
        """
        The commit ends within the C{ABOR}'s grace: C{226} for the
        upload, C{226} for the C{ABOR}, then C{421}.
        """
        self.start(0.5)
        return self.assertAnswered(False, ["226", "226", "421"])

    def test_committedTLSWorkers(self):
        """
        The same under C{PROT P} and C{--workers 2}.
        """
        self.start(0.5, "--workers", "2")
        return self.assertAnswered(True, ["226", "226", "421"])

    def test_pastGrace(self):
        """
        The commit outlasts the C{ABOR}'s grace: C{426} for the upload,
        C{226} for the C{ABOR}, then C{421}.
        """
        self.start(4.0)
        return self.assertAnswered(False, ["426", "226", "421"])

    def test_pastGraceTLS(self):
        """
        Under C{PROT P}, where the commit (the file's C{close}) puts the
        file in place: the drain waits for it, the file is in place, and
        the log says so once.
        """
        self.start(4.0)
        late = "after its ABOR was answered (426): the file is in place"

        def check(log):
            self.assertEqual(log.count(late), 1, log)
            self.assertLess(log.index(late),
                            log.rindex("logout from 127.0.0.1"))
        return self.assertAnswered(True, ["426", "226", "421"]).addCallback(
            check)
