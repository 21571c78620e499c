"""
Integration tests: an S3 store that stops answering costs ftpkit's
sessions a reply within the realm's deadline (C{deadline=} of
C{--realm fsspec:s3://...}), not minutes of botocore's timeouts and
retries, and the next command works once it answers again.

The store is moto's S3 server (L{tests.storageservers}), reached through
a L{tests.stallingproxy.StallingProxy}: stalled, its connections open
now stop, and new ones go to a listener that never answers (moto's
server ends a connection after each answer, so a stall of the open ones
alone left every new request answered).
"""

import ftplib
import io
import os
import socket

from twisted.trial import unittest

from ftpkit.config import ServerConfig
from ftpkit.deploy import tap
from ftpkit.loopback import LoopbackServerMixin
from tests.ftpclient import ftplibLogin
from tests.stallingproxy import StallingProxy
from tests.storageservers import S3_KEY, S3_SECRET, motoServer, newBucket, s3Filesystem
from tests.usersfiles import writeText

DEADLINE = 2
"""The tests' deadline, in seconds."""

CLIENT_TIMEOUT = 40
"""The clients' timeout: far longer than the deadline, far shorter than
what a stalled store cost without it (botocore's 60 s per read, tried
again and again)."""

TIMED_OUT = "451 Storage did not answer in time; try again later"


class StalledS3Mixin(LoopbackServerMixin):
    """
    A server on an S3 bucket with a deadline of L{DEADLINE}, reached
    through a proxy that the test stalls, serving its prefix C{ftp}
    holding a 10-byte C{f.bin} (C{users}: a users file's text, or
    C{None}; C{receiveBuffer}: the proxy's, see L{StallingProxy}).
    """

    timeout = 180
    users = None
    receiveBuffer = None

    def setUp(self):
        endpoint = motoServer()
        self.fs = fs = s3Filesystem(endpoint)
        self.bucket = bucket = newBucket(fs)
        fs.pipe(f"{bucket}/ftp/f.bin", b"0123456789")
        self.motoPort = int(endpoint.rsplit(":", 1)[1])
        self.proxy = StallingProxy(self.motoPort, self.receiveBuffer)
        self.addCleanup(self.proxy.close)
        self.silent = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.addCleanup(self.silent.close)
        config = os.path.abspath(self.mktemp())
        writeText(config, f'[options]\nkey = "{S3_KEY}"\nsecret = "{S3_SECRET}"\n')
        argument = (f"fsspec:s3://{bucket}/ftp?config={config}"
                    f"&endpoint_url=http://127.0.0.1:{self.proxy.port}"
                    f"&deadline={DEADLINE}")
        if self.users is not None:
            usersFile = os.path.abspath(self.mktemp())
            writeText(usersFile, self.users)
            argument += f"&users={usersFile}"
        options = tap.Options()
        options.parseOptions(["--realm", argument])
        self.server = self.startServer(options["realmObject"],
                                       ServerConfig(loginFailureDelay=0.01))

    def stall(self):
        """
        Stop the store's answers: the connections open now, and new ones.
        """
        self.proxy.retarget(self.silent.getsockname()[1])
        self.proxy.stall()

    def answerAgain(self):
        """
        Send new connections to the store again.
        """
        self.proxy.retarget(self.motoPort)

    def afterwards(self, client, replies):
        """
        Check that the store answers again, and quit.

        @param client: a logged-in ftplib client.
        @param replies: the replies so far, by name.
        @return: C{replies}, with C{after}: the reply to C{SIZE f.bin},
            and C{retrieved}: the bytes of C{RETR f.bin}.
        """
        replies["after"] = client.sendcmd("SIZE f.bin")
        chunks = []
        client.retrbinary("RETR f.bin", chunks.append)
        replies["retrieved"] = b"".join(chunks)
        client.quit()
        return replies

    def attempt(self, call, *args):
        """
        @param call: a client's method sending a command (and transferring).
        @param args: its arguments.
        @return: the command's final reply, a transient refusal's too.
        """
        try:
            return call(*args)
        except ftplib.error_temp as e:
            return str(e)


class StalledCommandTests(StalledS3Mixin, unittest.TestCase):
    """
    Commands on a store that stopped answering.
    """

    def stalledSession(self):
        client = ftplibLogin(self, self.server.port, timeout=CLIENT_TIMEOUT,
                             binary=True)
        replies = {"before": client.sendcmd("SIZE f.bin")}
        self.stall()
        replies["stalled"] = self.attempt(client.sendcmd, "SIZE f.bin")
        replies["listing"] = self.attempt(client.sendcmd, "MLST f.bin")
        replies["retrieve"] = self.attempt(
            client.retrbinary, "RETR f.bin", io.BytesIO().write)
        replies["store"] = self.attempt(
            client.storbinary, "STOR f.bin", io.BytesIO(b"new"))
        self.answerAgain()
        return self.afterwards(client, replies)

    async def test_stalledCommand(self):
        """
        C{SIZE}, C{MLST}, C{RETR} and C{STOR} on a store that stopped
        answering get C{451} within the clients' timeout; the commands
        after them work, and the file the C{STOR} did not replace is
        whole.
        """
        replies = await self.inThread(self.stalledSession)
        self.assertEqual(replies, {"before": "213 10", "stalled": TIMED_OUT,
                                   "listing": TIMED_OUT,
                                   "retrieve": TIMED_OUT, "store": TIMED_OUT,
                                   "after": "213 10",
                                   "retrieved": b"0123456789"})


class StalledLoginTests(StalledS3Mixin, unittest.TestCase):
    """
    A login whose home is made on a store that stopped answering.
    """

    users = ('[users.alice]\nhome = "homes/alice"\n'
             'permissions = ["list", "read", "write", "mkdir"]\n')

    def stalledLogins(self):
        self.stall()
        replies = {"stalled": self.attempt(
            lambda: ftplibLogin(self, self.server.port,
                                timeout=CLIENT_TIMEOUT).welcome)}
        self.answerAgain()
        client = ftplibLogin(self, self.server.port, timeout=CLIENT_TIMEOUT,
                             binary=True)
        replies["after"] = client.sendcmd("PWD")
        client.quit()
        return replies

    async def test_stalledLogin(self):
        """
        A login while the store does not answer gets C{421 Storage
        unavailable} (its home could not be made in time, as the log
        says), as on SFTP: it said C{Home directory unavailable}, as if
        the home had failed, not the store; the next one works once it
        answers again.
        """
        replies = await self.inThread(self.stalledLogins)
        self.assertEqual(replies, {
            "stalled": "421 Storage unavailable, try again later",
            "after": '257 "/" is the current directory'})


class StalledUploadTests(StalledS3Mixin, unittest.TestCase):
    """
    An upload whose part stops being taken midway.
    """

    receiveBuffer = 16384

    def cutUpload(self, client, data):
        """
        @return: the final reply to a C{STOR} of C{data}, also when the
            server ended the data connection while the client still sent.
        """
        try:
            return client.storbinary("STOR f.bin", io.BytesIO(data))
        except ftplib.error_temp as e:
            return str(e)
        except OSError:
            return self.attempt(client.getresp)

    def stalledUpload(self):
        client = ftplibLogin(self, self.server.port, timeout=CLIENT_TIMEOUT,
                             binary=True)
        self.proxy.deafenPast(256 * 1024)
        return self.afterwards(client, {
            "store": self.cutUpload(client, os.urandom(12 << 20))})

    async def test_stalledPart(self):
        """
        A C{STOR} whose first part's request stops being read midway (the
        store's connection takes no more: a network that drops packets)
        gets C{451} within the clients' timeout: botocore bounds no write,
        and the part waited for the system's TCP timeout (some 15 minutes),
        or for ever while the store's side acknowledged a closed window.
        The next commands work, the old file is whole, and the multipart
        upload was aborted (no part of it is kept).
        """
        replies = await self.inThread(self.stalledUpload)
        self.assertEqual(replies, {"store": TIMED_OUT, "after": "213 10",
                                   "retrieved": b"0123456789"})
        self.assertEqual(self.fs.list_multipart_uploads(self.bucket), [])
