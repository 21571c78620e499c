"""
The disk realm under C{--workers 2}, over real sockets (ftplib): a worker
killed (C{SIGKILL}) while one of its sessions resumed a cut upload left
the partial upload taken (under its resuming name, which names no
worker), and the acceptor's sweep of the dead worker's uploads did not
give it back: the other worker's C{SIZE} still answered it after C{DELE}
of its name (C{550}: nothing there to remove), and the hidden file stayed
until the server restarted. The sweep gives it back now: the bytes the
killed resume had written are resumable, C{DELE} removes them.
"""

import os
import signal

from twisted.internet import threads
from twisted.trial import unittest

from ftpkit.shells import uploads
from tests.cutuploads import HALF, NEW, cut, resumeFromSize
from tests.ftpclient import ftplibLogin, replyCode
from tests.integration.test_attack_uploads import holderOf
from tests.scratch import readLocal, scratchDirectory
from tests.serverprocess import READY, ServerProcess, childrenOf

MORE = 1000
"""What the killed resume sends."""


class DeadResumeTests(unittest.TestCase):
    """
    Alice's cut upload of C{n} is resumed in a worker that is then killed.
    """

    timeout = 180

    def setUp(self):
        self.root = scratchDirectory(self)
        self.server = ServerProcess(self, [
            "--root", self.root, "--workers", "2",
            "--auth", "memory:alice:secret"])
        self.server.waitForLog(READY, 2)

    def login(self):
        """
        @return: a new session of alice's, in C{TYPE I}.
        """
        return ftplibLogin(self, self.server.port, binary=True)

    def killResume(self):
        """
        Cut an upload of L{NEW} to C{n} half-way; resume it, send L{MORE}
        bytes, and kill the worker holding the resume; wait for the
        worker started in its place, then for the partial upload given
        back (blocking).
        """
        ftp = self.login()
        self.assertEqual(cut(ftp, "n"), "426")
        ftp.quit()
        ftp = self.login()
        kept = ftp.size("n")
        self.assertEqual(kept, HALF)
        connection = ftp.transfercmd("STOR n", rest=kept)
        self.addCleanup(connection.close)
        connection.sendall(NEW[kept:kept + MORE])
        resuming = os.fsencode(os.path.join(self.root, "n"))
        name = os.path.basename(uploads.resumingPath(resuming))
        path = os.path.join(os.fsencode(self.root), name)
        self.server.waitFor(
            lambda: os.path.exists(path) and os.path.getsize(path)
            == HALF + MORE, "the resume's bytes written")
        worker = self.server.waitFor(
            lambda: holderOf(childrenOf(self.server.process.pid), name),
            "the worker holding the resume")
        os.kill(worker, signal.SIGKILL)
        self.server.waitForLog(READY, 3)
        partial = os.path.join(self.root, ".ftpkit-partial.n")
        self.server.waitFor(lambda: os.path.exists(partial),
                            "the partial upload given back")

    def deleted(self):
        """
        L{killResume}, then C{DELE n}, C{SIZE n} (blocking).

        @return: their replies.
        """
        self.killResume()
        ftp = self.login()
        removed = replyCode(lambda: ftp.delete("n"))
        size = replyCode(lambda: ftp.sendcmd("SIZE n"))
        ftp.quit()
        return removed, size

    async def test_deleteRemovesIt(self):
        """
        C{DELE} of the name removes what the killed resume left: C{SIZE}
        finds nothing after, and no hidden file stays.
        """
        self.assertEqual(await threads.deferToThread(self.deleted),
                         ("250", "550"))
        self.assertEqual(os.listdir(self.root), [])

    def resumed(self):
        """
        L{killResume}, then resume from what C{SIZE} answers (blocking).

        @return: C{(SIZE's answer, the resume's reply)}.
        """
        self.killResume()
        ftp = self.login()
        result = resumeFromSize(ftp, "n")
        ftp.quit()
        return result

    async def test_resumable(self):
        """
        The bytes the killed resume wrote are resumable: C{SIZE} answers
        them, and the resume from there completes the file.
        """
        self.assertEqual(await threads.deferToThread(self.resumed),
                         (HALF + MORE, "226"))
        self.assertTrue(readLocal(os.path.join(self.root, "n")) == NEW,
                        "n is not the new file")
        self.assertEqual(os.listdir(self.root), ["n"])
