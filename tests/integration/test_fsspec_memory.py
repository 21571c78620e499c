"""
Large transfers through the fsspec realm keep the server's memory bounded:
a server process (C{twistd ftpkit --realm fsspec:...}) moves 1 GiB each way
on the local disk and 128 MiB each way on S3 (moto), and its peak resident
memory stays within L{BOUND} of what it held before.
"""

import os

from twisted.trial import unittest

from tests.ftpclient import ftplibLogin
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess
from tests.storageservers import S3_KEY, S3_SECRET, motoServer, newBucket, s3Filesystem

MiB = 1024 * 1024

BOUND = 64 * MiB
"""How much more than before the transfers the server may hold at its
peak."""


ONE_ARENA = {"MALLOC_ARENA_MAX": "1"}
"""The environment that gives glibc's C{malloc} one arena. By default
each thread that allocates gets an arena of its own (up to eight a core)
and keeps the blocks freed there for its next allocations: a transfer's
buffers, freed in whichever of the shell's threads ran each call, stayed
in the resident memory of every arena they passed through, and how many
that was depended on how the threads were scheduled. Under load from
other processes the retained memory alone came near L{BOUND} (the test
failed under C{trial -j2} and passed alone); with one arena the freed
blocks are reused, and a transfer that really held more data than the
bound still fails it."""


def memoryOf(pid):
    """
    @return: C{(resident, peak)} bytes of process C{pid}, from
        C{/proc/PID/status}.
    """
    values = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0]) * 1024
    return values["VmRSS"], values["VmHWM"]


class _Zeros:
    """
    A file-like object reading C{size} zero bytes, for uploads that need
    no disk space on the client's side.
    """

    def __init__(self, size):
        self.left = size

    def read(self, n):
        n = min(n, self.left)
        self.left -= n
        return bytes(n)


class MemoryBoundTests(unittest.TestCase):
    """
    Transfers much larger than L{BOUND}, through a server process.
    """

    timeout = 600

    def setUp(self):
        if not os.path.exists("/proc/self/status"):
            raise unittest.SkipTest("needs /proc to read a process's memory")

    def startServer(self, realm):
        """
        Start C{twistd -n ftpkit --realm REALM}, with the user alice.

        The server's C{malloc} keeps one arena (L{ONE_ARENA}), so that
        what is measured is what the server holds, not what the allocator
        keeps of what it freed.

        @return: the L{ServerProcess}, greeting.
        """
        server = ServerProcess(self, ["--realm", realm,
                                      "--auth", "memory:alice:secret"],
                               twistd=True, env=ONE_ARENA)
        server.waitForGreeting()
        return server

    def transfer(self, port, size):
        """
        Upload C{size} zero bytes as C{big}, then download it, counting.

        @return: the number of bytes downloaded.
        """
        client = ftplibLogin(self, port, timeout=120)
        client.storbinary("STOR big", _Zeros(size), blocksize=MiB)
        received = [0]

        def count(data):
            received[0] += len(data)

        client.retrbinary("RETR big", count, blocksize=MiB)
        client.quit()
        return received[0]

    def assertBounded(self, realm, size):
        server = self.startServer(realm)
        # One small transfer first, so that the server's start-up
        # allocations (thread pools, the store's client) are counted in
        # "before".
        self.assertEqual(self.transfer(server.port, MiB), MiB)
        before, _ = memoryOf(server.process.pid)
        self.assertEqual(self.transfer(server.port, size), size)
        _, peak = memoryOf(server.process.pid)
        self.assertLess(peak - before, BOUND,
                        f"grew from {before // MiB} MiB to a peak of {peak // MiB} MiB")

    def test_localDisk(self):
        """
        1 GiB up and down on C{file://}.
        """
        root = scratchDirectory(self)
        self.assertBounded(f"fsspec:file://{root}", 1024 * MiB)

    def test_s3(self):
        """
        128 MiB up (a multipart upload) and down on S3.
        """
        endpoint = motoServer()
        bucket = newBucket(s3Filesystem(endpoint))
        config = os.path.abspath(self.mktemp())
        with open(config, "w") as f:
            f.write(f'[options]\nkey = "{S3_KEY}"\nsecret = "{S3_SECRET}"\n')
        self.assertBounded(
            f"fsspec:s3://{bucket}?config={config}&endpoint_url={endpoint}",
            128 * MiB)
