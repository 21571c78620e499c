"""
An upload cut by a full disk counts every byte it received (session 55):
on a 1 MiB C{tmpfs} (root only), a C{STOR} of 2 MiB gets C{452}, and its
byte count (the transfer's log line, the transfer log, the C{logout}
line) is at least the bytes its file held when it was dropped
(C{partial-dropped}), at most what the client sent. The bytes of the
spliced batch a full disk failed were not counted before: 65,536 bytes
logged for a file of 1,196,032. Spliced in clear, through Python in
active mode and under TLS; in one process and under C{--workers 2}.
"""

import ftplib
import json
import os

from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.ops import events
from tests.ftpclient import ftplibLogin
from tests.fulldisks import OneProcessServer, WorkersServer
from tests.integration.test_diskfull import FLOOD, storeFailing
from tests.logevents import captureLogs
from tests.polling import waitFor
from tests.serverprocess import ServerProcess
from tests.tlssupport import Certificates, clientContext, makeContextFactory


class CutBytesMixin:
    """
    The scenarios, on a 1 MiB file system (L{tests.fulldisks.FullDisk}),
    through C{self.login(user, password)} and C{self.transferBytes()},
    the byte counts the server reported for the upload.
    """

    def storeBig(self, active=False):
        """
        Alice's C{STOR} of twice the disk to a new file (blocking).

        @param active: in active mode (its bytes through Python).
        @return: the final reply.
        """
        alice = self.login("alice", "secret")
        alice.set_pasv(not active)
        final = storeFailing(alice, "STOR big", FLOOD)
        alice.quit()
        return final

    async def assertCounted(self, final):
        """
        The upload got C{452}, and each count of its bytes is at least
        what its file held when dropped and at most what was sent.
        """
        self.assertTrue(final.startswith("452"), final)
        self.assertTrue(await waitFor(self.drops), "no partial-dropped")
        [(_, _, kept, _)] = self.drops()
        self.assertGreater(kept, 0)
        self.assertTrue(await waitFor(self.transferBytes),
                        "no byte count reported")
        counts = self.transferBytes()
        for count in counts:
            self.assertTrue(kept <= count <= FLOOD, (kept, counts))

    async def test_spliced(self):
        """
        An upload in passive mode in clear (spliced).
        """
        await self.assertCounted(await self.inThread(self.storeBig))

    async def test_active(self):
        """
        An upload in active mode (written through Python).
        """
        await self.assertCounted(await self.inThread(self.storeBig, True))


class OneProcessTests(CutBytesMixin, Certificates, OneProcessServer,
                      unittest.TestCase):
    """
    A server in this process, which also speaks TLS.
    """

    def setUp(self):
        OneProcessServer.setUp(self)
        self.makeCertificates()
        self.tlsServer = self.startServer(
            FilesystemRealm(self.root),
            ServerConfig(loginFailureDelay=0,
                         tlsContextFactory=makeContextFactory(self.both)))
        self.events = captureLogs(self)

    def transferBytes(self):
        """
        @return: the bytes of the C{STOR} logged and the C{logout}'s
            bytes in, once both are logged; else C{[]}.
        """
        stored = [event["bytes"] for event in self.events
                  if event.get("ftpkit_event") == events.TRANSFER]
        received = [event["bytes_in"] for event in self.events
                    if event.get("ftpkit_event") == events.LOGOUT]
        return stored + received if stored and received else []

    async def test_tls(self):
        """
        An upload under TLS (written through Python).
        """
        def store():
            client = ftplib.FTP_TLS(context=clientContext())
            ftp = ftplibLogin(self, self.tlsServer.port, "alice", "secret",
                              client=client, protect=True, binary=True)
            final = storeFailing(ftp, "STOR big", FLOOD)
            ftp.quit()
            return final
        await self.assertCounted(await self.inThread(store))


class WorkersTests(CutBytesMixin, WorkersServer, unittest.TestCase):
    """
    A server of C{--workers 2} in a child process, with a transfer log.
    """

    def setUp(self):
        self.mount()
        self.xferlog = os.path.abspath(self.mktemp())
        self.server = ServerProcess(self, [
            "--root", self.root, "--workers", "2", "--log-format", "json",
            "--auth", "memory:alice:secret:bob:pw", "--xferlog",
            self.xferlog])
        self.server.waitForLog(" ready", 2)

    def transferBytes(self):
        """
        @return: the bytes of the C{STOR} logged, in the transfer log and
            the C{logout}'s bytes in, once all are written; else C{[]}.
        """
        records = [json.loads(line)
                   for line in self.server.log().splitlines()
                   if line.startswith("{")]
        stored = [record["bytes"] for record in records
                  if record.get("ftpkit_event") == events.TRANSFER]
        received = [record["bytes_in"] for record in records
                    if record.get("ftpkit_event") == events.LOGOUT]
        if not os.path.exists(self.xferlog):
            return []
        with open(self.xferlog) as f:
            logged = [int(line.split()[7]) for line in f]
        counts = stored + received + logged
        return counts if stored and received and logged else []
