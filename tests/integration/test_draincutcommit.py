"""
C{SIGTERM} while an upload's commit outlasts the shutdown grace, no
C{ABOR} sent (the disk shell's C{close} delayed by a C{sitecustomize},
as in L{tests.integration.test_drainabort}), against a real server: the
drain's cut answers the upload C{426}, the commit then puts the file in
place, and the log says the session closing answered it, not "after its
ABOR was answered" (which it said before session 32, of an C{ABOR} never
sent).
"""

import os
import signal

from twisted.internet import threads
from twisted.trial import unittest

from tests.drainsteps import loginAlice, repliesUntilClosed, uploadUntilCommitting
from tests.integration.test_abortcommit_workers import HELD_COMMIT
from tests.integration.test_drainabort import PAYLOAD
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess
from tests.sitescripts import sitePath


class DrainCutCommitTests(unittest.TestCase):
    """
    One process, C{--shutdown-grace 1}, uploads committed 3 seconds
    after the drain began (3 seconds after their commit began, a
    C{SIGTERM} more than 2 seconds late under load found the upload
    stored, answered C{226}).
    """

    timeout = 120

    def stopWhileCommitting(self):
        """
        Upload L{PAYLOAD} over C{old}, then C{SIGTERM} once its commit
        began.

        @return: the reply codes the client read until the server closed.
        """
        ftp = loginAlice(self, self.server.port, tls=False)
        uploadUntilCommitting(ftp, "STOR old", PAYLOAD, self.marker)
        self.server.signal(signal.SIGTERM)
        return repliesUntilClosed(ftp)

    def test_drainCut(self):
        """
        C{426}, then C{421}; the file is in place, and the log's line says
        the shutdown's grace cut it, once, naming the transfer (it named
        the file object's C{repr}).
        """
        self.root = scratchDirectory(self)
        self.marker = os.path.join(scratchDirectory(self), "committing")
        with open(os.path.join(self.root, "old"), "wb") as f:
            f.write(b"the old file")
        self.server = ServerProcess(
            self, ["--root", self.root, "--auth", "memory:alice:secret",
                   "--shutdown-grace", "1"],
            env={"PYTHONPATH": sitePath(self, HELD_COMMIT),
                 "FTPKIT_TEST_COMMITTING": self.marker,
                 "FTPKIT_TEST_COMMIT_DELAY": "3"})
        self.server.waitForGreeting()

        def check(codes):
            self.assertEqual(codes, ["426", "421"])
            self.assertEqual(self.server.process.wait(60), -signal.SIGTERM)
            log = self.server.log()
            self.assertNotIn("after its ABOR was answered", log)
            self.assertEqual(log.count(
                "'STOR /old' was stored after a shutdown's grace over "
                "answered it 426: the file is in place"), 1, log)
            with open(os.path.join(self.root, "old"), "rb") as f:
                self.assertTrue(f.read() == PAYLOAD)

        return threads.deferToThread(self.stopWhileCommitting).addCallback(
            check)
