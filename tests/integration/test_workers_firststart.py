"""
The first sessions of a C{--workers} server: clients connecting while
one worker is ready and another still starts are served by both, once
both are ready (L{ftpkit.deploy.workers.ALL_READY_WAIT}); accepted as
soon as the first was ready, they all went to it for their lifetime.
"""

import os
import socket

from twisted.trial import unittest

from tests.integration.test_workers_starting import killWorkers
from tests.scratch import scratchDirectory
from tests.serverprocess import READY, TIMEOUT, ServerProcess, workerServing
from tests.sitescripts import sitePath

ONE_LATE = """\
import os, sys, time

if "ftpkit.deploy.worker" in sys.orig_argv:
    try:
        os.close(os.open(os.environ["FTPKIT_TEST_FIRST"],
                         os.O_CREAT | os.O_EXCL))
    except FileExistsError:
        while not os.path.exists(os.environ["FTPKIT_TEST_GO"]):
            time.sleep(0.05)
"""
"""
A C{sitecustomize} with which the first worker of C{--workers} starts at
once and the others wait until the file C{$FTPKIT_TEST_GO} exists.
"""

CLIENTS = 4


class FirstSessionsTests(unittest.TestCase):
    """
    Clients connecting as a two-worker server starts.
    """

    timeout = 2 * TIMEOUT

    def test_bothWorkersServe(self):
        """
        Clients that connect while only one worker is ready are served by
        both workers: the acceptor waits for the second, then hands each
        to the one with the fewest sessions.
        """
        root = scratchDirectory(self)
        self.addCleanup(killWorkers, root)
        scratch = self.mktemp()
        os.makedirs(scratch)
        go = os.path.join(scratch, "go")
        server = ServerProcess(
            self, ["--root", root, "--auth", "anonymous", "--workers", "2"],
            env={"PYTHONPATH": sitePath(self, ONE_LATE),
                 "FTPKIT_TEST_FIRST": os.path.join(scratch, "first"),
                 "FTPKIT_TEST_GO": go})
        server.waitForLog(READY)
        clients = []
        for _ in range(CLIENTS):
            client = socket.create_connection((server.host, server.port),
                                              timeout=TIMEOUT)
            self.addCleanup(client.close)
            clients.append(client)
        open(go, "w").close()
        for client in clients:
            self.assertTrue(client.recv(200).startswith(b"220"))
        serving = [server.waitFor(
            lambda client=client: workerServing(server.process.pid, client),
            "its worker") for client in clients]
        self.assertEqual(len(set(serving)), 2, server.log())
