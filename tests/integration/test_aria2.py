"""
aria2c downloads: it reads a transfer's C{150}, then waits for its control
socket to say more before it reads the C{226}. When both replies arrived
together (ftpkit held the C{150} back and sent it with the C{226}, or sent
the C{226} before aria2c had read the C{150}), it waited for its
C{--timeout} and logged "Timeout before receiving transfer complete".
"""

import hashlib
import os
import shutil

from twisted.internet import utils
from twisted.trial import unittest

from tests.clienttrees import sha256
from tests.integration.test_clients import ClientTestMixin

ARIA2C = shutil.which("aria2c")
HUNG = b"Timeout before receiving transfer complete"
SMALL_FILES = 12


class Aria2Tests(ClientTestMixin, unittest.TestCase):
    """
    aria2c fetches small files, an empty one and a 3 MiB one, one after
    the other over one control connection, passive and active.
    """

    if ARIA2C is None:
        skip = "aria2c is not installed"

    def setUp(self):
        ClientTestMixin.setUp(self)
        self.files = {"empty.bin": b""}
        for i in range(SMALL_FILES):
            # Text without line ends: the same bytes in TYPE A.
            self.files["small%02d.txt" % i] = os.urandom(50 + i * 150).hex(
            ).encode("ascii")
        for name, data in self.files.items():
            with open(os.path.join(self.root, name), "wb") as f:
                f.write(data)
        self.files["big.bin"] = self.payload

    async def fetchAll(self, *options, binary=True):
        """
        Download every file with one aria2c, one at a time, and check
        each arrived whole and none waited for its C{226}.

        @param binary: fetch the binary 3 MiB file too.
        """
        if not binary:
            del self.files["big.bin"]
        listing = os.path.join(self.local, "input.txt")
        with open(listing, "w") as f:
            for name in sorted(self.files):
                f.write("ftp://alice:secret@127.0.0.1:%d/%s\n"
                        % (self.server.port, name))
        log = os.path.join(self.local, "aria2.log")
        out, err, code = await utils.getProcessOutputAndValue(
            ARIA2C, ["-q", "-j", "1", "--timeout=5", "--max-tries=1",
                     "--allow-overwrite=true", "-d", self.local,
                     "-i", listing, "-l", log, "--log-level=info"]
            + list(options), env=os.environ)
        self.assertEqual(code, 0, (out, err))
        with open(log, "rb") as f:
            hung = f.read().count(HUNG)
        self.assertEqual(hung, 0, "aria2c waited for %d 226 replies" % hung)
        for name, data in self.files.items():
            self.assertEqual(sha256(os.path.join(self.local, name)),
                             hashlib.sha256(data).hexdigest(), name)

    def test_passive(self):
        """
        Passive (EPSV/PASV) downloads.
        """
        return self.fetchAll("--ftp-pasv=true")

    def test_active(self):
        """
        Active (PORT/EPRT) downloads.
        """
        return self.fetchAll("--ftp-pasv=false")

    def test_ascii(self):
        """
        TYPE A downloads, which go through a Twisted transport rather
        than C{sendfile}.
        """
        return self.fetchAll("--ftp-type=ascii", binary=False)
