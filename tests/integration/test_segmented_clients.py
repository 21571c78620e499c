"""
Segmented downloads: axel fetches one file over several connections at
once, each starting with C{REST} and closing its data connection once its
segment is in (the server sees the rest of each transfer cut short).
"""

import hashlib
import os
import shutil

from twisted.internet import utils
from twisted.trial import unittest

from tests.clienttrees import sha256
from tests.integration.test_clients import ClientTestMixin

AXEL = shutil.which("axel")


class AxelTests(ClientTestMixin, unittest.TestCase):
    """
    axel downloads the 3 MiB payload in four segments.
    """

    if AXEL is None:
        skip = "axel is not installed"

    async def test_segments(self):
        out, err, code = await utils.getProcessOutputAndValue(
            AXEL, ["-q", "-n", "4", "-o", "got.bin",
                   "ftp://alice:secret@127.0.0.1:%d/big.bin"
                   % self.server.port],
            env=os.environ, path=self.local)
        self.assertEqual(code, 0, (out, err))
        self.assertEqual(sha256(os.path.join(self.local, "got.bin")),
                         hashlib.sha256(self.payload).hexdigest())
