"""
The thirty-eighth attack sweep, over real loopback sockets: a file system
inside the root that no longer answers (a hard NFS mount whose server is
gone, a hung C{sshfs} or other FUSE mount) blocks each disk thread whose
call reaches it, and one client naming it took every thread of a lane:
a single C{LIST} of it (listings have one thread) kept every session's
listing of any other directory waiting, and eight C{MLST}s of it every
session's C{SIZE}, C{STOR}, C{CWD} and the rest, for as long as the
mount hung. vsftpd and ProFTPD, a process a session, lose only the
sessions that named it. The lanes now start threads for calls waiting
behind stuck ones (L{ftpkit.shells.diskthreads.STUCK_AFTER}).

And such a mount made below the root within ten seconds of the last
read of the mount table (L{ftpkit.shells.shortcalls.MOUNTS_MAX_AGE}) was
taken for the local disk: the next upload into it made its open in the
reactor thread, and the whole server stopped, no client greeted. The
table is now read again once it changed
(L{ftpkit.shells.shortcalls.MountChanges}).
"""

import os
import socket

from twisted.trial import unittest

from tests.attackhelpers import CLIENT_WAIT, ServedRootMixin
from tests.hungmounts import hungMount
from tests.rawclient import RawClient


class StuckMountTests(ServedRootMixin, unittest.TestCase):
    """
    Sessions not naming a hung mount are served while others wait on it.
    """

    def setUp(self):
        ServedRootMixin.setUp(self)
        os.mkdir(os.path.join(self.root, "mnt"))
        os.mkdir(os.path.join(self.root, "fresh"))
        with open(os.path.join(self.root, "fresh", "kept.txt"), "wb") as f:
            f.write(b"kept\n")
        self.mountPoint = os.path.join(self.root, "mnt")
        self.unmount = hungMount(self, self.mountPoint)

    def stuck(self, lines):
        """
        Log in, send C{lines} (each stuck on the hung mount) without
        waiting for their replies; the connection is closed when the test
        ends.

        @param lines: the command lines, C{str}.
        """
        def send():
            client = RawClient(self.server.port, timeout=CLIENT_WAIT)
            self.addCleanup(client.close)
            client.login()
            for line in lines:
                if line.startswith("LIST"):
                    port = client.epsvPort()
                    data = socket.create_connection(("127.0.0.1", port))
                    self.addCleanup(data.close)
                client.sock.sendall(line.encode("utf-8") + b"\r\n")

        return self.inThread(send)

    async def assertFreshListed(self, source=None):
        """
        Another session, from C{source} (or the usual address), lists the
        directory C{fresh} with C{MLSD}, whole.

        @param source: the client's address, or C{None}.
        """

        def other():
            client = RawClient(self.server.port, timeout=CLIENT_WAIT,
                               source=source)
            try:
                client.login()
                return client.transfer("MLSD fresh")
            finally:
                client.close()

        first, data, last = await self.inThread(other)
        self.assertTrue(first.startswith(b"150"), first)
        self.assertIn(b"; kept.txt\r\n", data)
        self.assertTrue(last.startswith(b"226"), last)

    async def test_listingBesideStuckListing(self):
        """
        While one client's C{LIST} of the hung mount waits (in the one
        thread of listings: the listing is opened before anything else),
        another client's C{MLSD} of another directory is whole, at once
        (another address: a client address's own listings take turns,
        L{ftpkit.control.turns}, and its other sessions wait for the hung
        one until it counts as stuck).
        """
        await self.stuck(["LIST mnt"])
        await self.assertFreshListed("127.0.0.2")

    async def test_listingBesideStuckListingSameAddress(self):
        """
        While one client's C{LIST} of the hung mount waits, another
        session from the same address lists another directory: the hung
        listing held the address's listing turn for ever, and that
        session's C{MLSD} waited behind it; held past the time for stuck
        calls (L{ftpkit.shells.diskthreads.STUCK_AFTER}) it counts no
        more.
        """
        await self.stuck(["LIST mnt"])
        await self.assertFreshListed()

    async def test_commandsBesideStuckCalls(self):
        """
        While ten sessions' C{MLST}s of the hung mount wait (more than
        the lane's threads), another session's C{SIZE}, C{CWD} and upload
        are answered.
        """
        for _ in range(10):
            await self.stuck(["MLST mnt"])

        def other():
            client = RawClient(self.server.port, timeout=CLIENT_WAIT)
            try:
                client.login()
                client.command("TYPE I")
                return (client.command("SIZE f.txt"),
                        client.command("CWD fresh"),
                        client.transfer("STOR new.txt", upload=b"new"))
            finally:
                client.close()

        size, cwd, (first, _, last) = await self.inThread(other)
        self.assertEqual(size, b"213 6")
        self.assertTrue(cwd.startswith(b"250"), cwd)
        self.assertTrue(first.startswith(b"150"), first)
        self.assertTrue(last.startswith(b"226"), last)
        with open(os.path.join(self.root, "fresh", "new.txt"), "rb") as f:
            self.assertEqual(f.read(), b"new")


class NewMountTests(ServedRootMixin, unittest.TestCase):
    """
    An upload into a hung mount made since the mount table was last read
    waits in a disk thread, not in the reactor.
    """

    async def test_uploadIntoNewMount(self):
        """
        A client's C{STOR} into a mount made just after an upload that
        ran at once waits; another client is greeted and answered.
        """
        os.mkdir(os.path.join(self.root, "mnt"))

        def prime():
            client = RawClient(self.server.port, timeout=CLIENT_WAIT)
            try:
                client.login()
                return client.transfer("STOR first.txt", upload=b"1")
            finally:
                client.close()

        self.assertTrue((await self.inThread(prime))[2].startswith(b"226"))
        unmount = hungMount(self, os.path.join(self.root, "mnt"))

        def attack():
            client = RawClient(self.server.port, timeout=CLIENT_WAIT)
            self.addCleanup(client.close)
            client.login()
            port = client.epsvPort()
            data = socket.create_connection(("127.0.0.1", port))
            self.addCleanup(data.close)
            client.sock.sendall(b"STOR mnt/x.txt\r\n")
            try:
                other = RawClient(self.server.port, timeout=CLIENT_WAIT)
            except OSError as e:
                # The reactor is stuck: free it, or the test never ends.
                unmount()
                return e
            try:
                return other.command("NOOP")
            finally:
                other.close()

        self.assertEqual(await self.inThread(attack), b"200 NOOP ok")
