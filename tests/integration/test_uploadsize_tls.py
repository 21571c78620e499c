"""
C{--max-upload-size} over TLS data connections (C{PROT P}), with curl.
"""

import os
import subprocess

from twisted.trial import unittest

from tests.tlssupport import FTPSTestsMixin, skipUnlessBinary


class UploadSizeTLSTests(FTPSTestsMixin, unittest.TestCase):
    """
    An upload past the largest size gets 552 and keeps nothing under TLS
    too. It got 226 and a file cut at the limit: the client's bytes and
    its close_notify came in one read, so the connection ended cleanly
    although the limit had dropped it.
    """

    async def test_curlOverLimit(self):
        curl = skipUnlessBinary("curl")
        limit = 1 << 20
        self.serve(maxUploadSize=limit)
        source = os.path.join(self.root, "source.bin")
        with open(source, "wb") as f:
            f.write(os.urandom(limit + 1))
        url = "ftp://127.0.0.1:%d/over.bin" % (self.server.port,)

        def run():
            return subprocess.run(
                [curl, "-sS", "--ssl-reqd", "-k", "-u", "alice:secret",
                 "-T", source, url], capture_output=True, timeout=60)
        for _ in range(3):
            done = await self.inThread(run)
            self.assertNotEqual(done.returncode, 0, done.stderr)
            self.assertIn(b"Exceeded storage allocation", done.stderr)
            self.assertEqual(sorted(os.listdir(self.root)),
                             ["big.bin", "source.bin"])
