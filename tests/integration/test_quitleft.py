"""
A client that pipelines a download, more commands and C{QUIT} in one
write and hangs up at once, on a real server (C{python -m ftpkit}, in
one process and under C{--workers 2}): the download goes on (RFC 959 lets
a transfer finish after C{QUIT}), then the commands queued before the
C{QUIT} run (L{ftpkit.control.quitleft}); they never ran, the session
ending with the transfer.
"""

import os
import socket

from twisted.trial import unittest

from tests.rawclient import RawClient, readToEnd
from tests.scratch import scratchDirectory
from tests.serverprocess import READY, ServerProcess

SIZE = 8 * 1024 * 1024
"""The download's size: more than the sockets' buffers hold, so that it
still runs when the server sees the client hang up."""


class RunToQuitTests(unittest.TestCase):
    """
    C{RETR big}, C{MKD done}, C{RNFR}, C{RNTO}, C{QUIT}, then a hang-up.
    """

    timeout = 120
    workers = None

    def test_commandsBeforeQuitRun(self):
        """
        The whole file is sent, the directory made and the file renamed,
        then the user is logged out.
        """
        root = scratchDirectory(self)
        with open(os.path.join(root, "big"), "wb") as f:
            f.write(b"b" * SIZE)
        with open(os.path.join(root, "old.txt"), "wb") as f:
            f.write(b"o")
        options = ["--root", root, "--auth", "memory:alice:secret"]
        if self.workers:
            options += ["--workers", str(self.workers)]
        server = ServerProcess(self, options)
        if self.workers:
            server.waitForLog(READY, self.workers)
        else:
            server.waitForGreeting()
        client = RawClient(server.port)
        self.addCleanup(client.close)
        client.login()
        client.command("TYPE I")
        data = socket.create_connection(("127.0.0.1", client.epsvPort()),
                                        timeout=20)
        self.addCleanup(data.close)
        client.sock.sendall(b"RETR big\r\nMKD done\r\nRNFR old.txt\r\n"
                            b"RNTO new.txt\r\nQUIT\r\n")
        client.close()
        self.assertEqual(len(readToEnd(data)), SIZE)
        server.waitForLog("logout from")
        self.assertTrue(os.path.isdir(os.path.join(root, "done")))
        self.assertEqual(sorted(os.listdir(root)), ["big", "done", "new.txt"])

    def test_workers(self):
        """
        The same under C{--workers 2}.
        """
        self.workers = 2
        self.test_commandsBeforeQuitRun()
