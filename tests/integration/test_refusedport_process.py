"""
C{PORT} refused as an FTP bounce, from a real server (C{python -m ftpkit},
C{twistd -n ftpkit}; one process or C{--workers 2}): a client opening
session after session, each sending one, has 10 lines logged in each
process, where it had one for each session.
"""

import ftplib
import re
from collections import Counter

from twisted.trial import unittest

from ftpkit.control.peerwarnings import LINES
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess

SESSIONS = 30
"""Sessions the client opens, each sending one refused C{PORT}."""


class RefusedPortLinesTests(unittest.TestCase):
    """
    The lines of refused C{PORT} from one address, over many sessions.
    """

    timeout = 240

    def refusedLines(self, extra, twistd=False):
        """
        @param extra: more ftpkit options.
        @return: how many refusal lines the server logged for
            L{SESSIONS} sessions, and a L{Counter} of them by worker.
        """
        server = ServerProcess(
            self, ["--root", scratchDirectory(self), "--auth", "anonymous",
                   *extra], twistd=twistd)
        if extra:
            server.waitForLog(" ready\n", 2)
        else:
            server.waitForGreeting()
        for _ in range(SESSIONS):
            ftp = server.login()
            with self.assertRaises(ftplib.error_perm):
                ftp.sendcmd("PORT 10,0,0,9,8,0")
            ftp.quit()
        # Stopped, every line is in the log (a worker's too, which the
        # acceptor writes).
        server.stop()
        lines = [line for line in server.log().splitlines()
                 if "refused PORT/EPRT to 10.0.0.9" in line]
        byWorker = Counter(re.findall(r"\[worker (\d+) ", "\n".join(lines)))
        return len(lines), byWorker

    def test_oneProcess(self):
        for twistd in (False, True):
            self.assertEqual(self.refusedLines([], twistd),
                             (LINES, Counter()))

    def test_workers(self):
        """
        Under C{--workers 2}, each worker has its own count: at most
        L{LINES} each, where each session had a line.
        """
        count, byWorker = self.refusedLines(["--workers", "2"])
        self.assertEqual(sum(byWorker.values()), count)
        self.assertTrue(LINES <= count <= 2 * LINES, byWorker)
        self.assertLessEqual(max(byWorker.values()), LINES, byWorker)
