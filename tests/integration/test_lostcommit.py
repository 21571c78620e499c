"""
A client that closes its control connection while its upload's commit
runs (every byte came, the data connection ended in order: in stream
mode that end is the file's), against a real server (C{python -m
ftpkit}, one process and C{--workers 2}; the disk shell's C{close}
delayed by a C{sitecustomize}, as in
L{tests.integration.test_drainabort}, standing for a store that commits
in a thread: the fsspec realms, the SQLite example). The upload is
logged and counted as complete, C{226}, once, and its xferlog line says
C{c}. It was logged C{426} (a failure in the metrics, xferlog C{i}),
then a warning with the file object's C{repr} as its subject said the
file was stored all the same (a client killed mid-upload, C{curl -T}
under C{timeout}, replaced the old file with what it had sent).
"""

import os
import signal

from twisted.internet import threads
from twisted.trial import unittest

from tests.drainsteps import loginAlice, uploadUntilCommitting
from tests.integration.test_drainabort import DELAYED_COMMIT, PAYLOAD
from tests.polling import waitUntil
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess
from tests.sitescripts import sitePath


class LeftWhileCommittingMixin:
    """
    A server (C{workers} processes) whose uploads take C{commitDelay}
    seconds to commit, with C{--metrics}; and a client that leaves while
    one commits.
    """

    timeout = 120
    workers = 1
    commitDelay = "1"

    def setUp(self):
        self.root = scratchDirectory(self)
        scratch = scratchDirectory(self)
        self.marker = os.path.join(scratch, "committing")
        self.xferlog = os.path.join(scratch, "xferlog")
        with open(os.path.join(self.root, "old"), "wb") as f:
            f.write(b"old!")
        self.server = ServerProcess(
            self, ["--root", self.root, "--auth", "memory:alice:secret",
                   "--xferlog", self.xferlog, "--workers", str(self.workers)],
            metrics=True,
            env={"PYTHONPATH": sitePath(self, DELAYED_COMMIT),
                 "FTPKIT_TEST_COMMITTING": self.marker,
                 "FTPKIT_TEST_COMMIT_DELAY": self.commitDelay,
                 "FTPKIT_TEST_ABOR_READ": os.path.join(scratch, "abor")})
        if self.workers == 1:
            self.server.waitForGreeting()
        else:
            self.server.waitForLog(" ready\n", self.workers)

    def leaveWhileCommitting(self):
        """
        Upload L{PAYLOAD} over C{old}, and close the control connection
        once its commit began.
        """
        ftp = loginAlice(self, self.server.port, tls=False)
        uploadUntilCommitting(ftp, "STOR old", PAYLOAD, self.marker)
        ftp.file.close()
        ftp.sock.close()

    def readStored(self):
        """
        @return: the bytes of C{old} now.
        """
        with open(os.path.join(self.root, "old"), "rb") as f:
            return f.read()


class ClientLeftWhileCommittingTests(LeftWhileCommittingMixin,
                                     unittest.TestCase):
    """
    One process; L{WorkersClientLeftWhileCommittingTests} under
    C{--workers 2}.
    """

    def test_complete(self):
        """
        The upload is logged C{226}, once, with no warning that it was
        stored late; the xferlog has one line for it, C{c}; the file is
        the upload.
        """
        def check(ignored):
            log = self.server.waitForLog("logout from 127.0.0.1")
            self.assertEqual(
                log.count("STOR from 127.0.0.1 user 'alice' path '/old': "), 1,
                log)
            self.assertIn("path '/old': 226, %d bytes" % len(PAYLOAD), log)
            self.assertNotIn("was stored after", log)
            self.assertTrue(waitUntil(
                lambda: os.path.exists(self.xferlog)
                and os.path.getsize(self.xferlog) > 0))
            with open(self.xferlog) as f:
                lines = f.read().splitlines()
            self.assertEqual([line.split()[-1] for line in lines], ["c"],
                             lines)
            self.assertTrue(self.readStored() == PAYLOAD)

        return threads.deferToThread(self.leaveWhileCommitting).addCallback(
            check)


class WorkersClientLeftWhileCommittingTests(ClientLeftWhileCommittingTests):
    """
    The same under C{--workers 2}.
    """

    workers = 2


class StopAfterLeavingTests(LeftWhileCommittingMixin, unittest.TestCase):
    """
    C{SIGTERM} once a client that left while its upload commits is gone
    from C{/sessions}: the commit takes longer than the steps between.
    """

    commitDelay = "5"

    def test_drainWaits(self):
        """
        The drain waits for the commit: the file is the upload, logged
        C{226} and in the xferlog (C{c}), and the process ends as
        C{SIGTERM} ends it. Before, the session gone, the drain ended at
        once and the process with it: the file's C{close} was never made,
        the upload neither logged nor in the xferlog (on a store that
        places the file at its C{close}, the fsspec realms', not stored).
        """
        def leaveThenStop():
            self.leaveWhileCommitting()
            self.server.waitFor(lambda: not self.server.sessionRecords(),
                                "the client gone from /sessions")
            return self.server.stop()

        def check(status):
            self.assertEqual(status, -signal.SIGTERM, self.server.log())
            self.assertTrue(self.readStored() == PAYLOAD)
            self.assertIn("path '/old': 226, %d bytes" % len(PAYLOAD),
                          self.server.log())
            with open(self.xferlog) as f:
                lines = f.read().splitlines()
            self.assertEqual([line.split()[-1] for line in lines], ["c"],
                             lines)

        return threads.deferToThread(leaveThenStop).addCallback(check)
