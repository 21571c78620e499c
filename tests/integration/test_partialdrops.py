"""
The log event of a kept cut upload the server drops of its own accord
(L{ftpkit.shells.keptregistry}): for room, before a quota refuses an
upload, or past the user's L{MAX_KEPT_PER_USER}. Each drop is one
C{partial-dropped} event, with the partial upload's path, its user, its
bytes and why; before, the server discarded them without a line.
"""

import json

from twisted.trial import unittest

from ftpkit.auth.fsspecrealm import makeFsspecRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.shells.keptregistry import (
    FOR_ROOM,
    MAX_KEPT_PER_USER,
    PARTIAL_DROPPED,
    PAST_LIMIT,
    KeptPartials,
)
from tests.fsspecrealms import MemoryMixin
from tests.ftpclient import ftplibLogin
from tests.integration.test_quotareclaim import (
    fill,
    filledOnWorkers,
)
from tests.logevents import captureLogs, dropped


class LimitTests(unittest.TestCase):
    """
    L{KeptPartials.kept} past a user's limit.
    """

    def test_pastLimit(self):
        """
        The user's oldest, dropped for the newest, is one event, once
        removed.
        """
        events = captureLogs(self)
        kept = KeptPartials()
        for n in range(MAX_KEPT_PER_USER + 1):
            removes = kept.kept(("d", ".ftpkit-partial.%d" % n), "alice",
                                None, size=n + 1)
        self.assertEqual(len(removes), 1)
        self.assertEqual(dropped(events), [])
        kept.removed(("d", ".ftpkit-partial.0"), 1)
        self.assertEqual(dropped(events), [
            ("/d/.ftpkit-partial.0", "alice", 1, PAST_LIMIT)])


class ForRoomTests(MemoryMixin, LoopbackServerMixin, unittest.TestCase):
    """
    C{fsspec:memory://?size=4M} in one process: the cut uploads dropped
    for the 3 MB upload are one event each.
    """

    timeout = 120

    def test_droppedForRoom(self):
        """
        Each cut upload dropped is logged once, with its bytes.
        """
        events = captureLogs(self)
        port = self.startServer(
            makeFsspecRealm(f"memory://{self.where}?size=4M", {}),
            ServerConfig(loginFailureDelay=0)).port

        def client():
            ftp = ftplibLogin(self, port, binary=True)
            try:
                return fill(ftp, 550000, 160000, 3000000)
            finally:
                ftp.quit()

        def check(result):
            self.assertEqual(result[1], "226")
            drops = dropped(events)
            self.assertTrue(drops)
            self.assertEqual(len(set(drop[0] for drop in drops)), len(drops))
            self.assertEqual(set(drop[1:] for drop in drops),
                             {("alice", 160000, FOR_ROOM)})

        return self.inThread(client).addCallback(check)


class WorkersTests(unittest.TestCase):
    """
    C{fsspec:file://} with a quota under C{--workers 2} and
    C{--log-format json}: the drop reaches the log once, from its worker.
    """

    timeout = 120

    def test_droppedForRoom(self):
        """
        Each drop is one JSON record naming its worker.
        """
        server, ftp, _ = filledOnWorkers(self, "--log-format", "json")
        server.waitForLog('"partial-dropped"')
        ftp.quit()
        server.waitForLog('"logout"')
        records = [json.loads(line) for line in server.log().splitlines()
                   if line.startswith("{")]
        drops = dropped(records)
        self.assertTrue(drops)
        self.assertEqual(len(set(drop[0] for drop in drops)), len(drops))
        self.assertEqual(set(drop[1:] for drop in drops),
                         {("alice", 64000, FOR_ROOM)})
        self.assertTrue(all(
            record.get("ftpkit_worker") for record in records
            if record.get("ftpkit_event") == PARTIAL_DROPPED))
