"""
Two ftpkit nodes behind a real HAProxy serving one S3 bucket (moto's
server, C{--realm fsspec:s3://...}): what one node stores the other lists
and serves, and a node killed while clients upload loses nothing it
answered C{226} for.
"""

import ftplib
import io
import os
import threading
import time

from twisted.trial import unittest

from tests.integration.test_haproxy import BalancerMixin
from tests.storageservers import S3_KEY, S3_SECRET, motoServer, newBucket, s3Filesystem

UPLOADERS = 4
"""Clients uploading at once while a node is killed."""


class SharedBucketTests(BalancerMixin, unittest.TestCase):
    """
    The nodes' only shared storage is the bucket.
    """

    timeout = 180

    def nodeOptions(self):
        endpoint = motoServer()
        self.fs = s3Filesystem(endpoint)
        self.bucket = newBucket(self.fs)
        config = os.path.abspath(self.mktemp())
        with open(config, "w") as f:
            f.write(f'[options]\nkey = "{S3_KEY}"\nsecret = "{S3_SECRET}"\n')
        return ["--realm", f"fsspec:s3://{self.bucket}/ftp?config={config}"
                f"&endpoint_url={endpoint}", "--auth", "memory:alice:secret"]

    def login(self, node, source="127.0.0.5"):
        """
        @return: an C{ftplib.FTP} logged in on node C{node}.
        """
        ftp = self.clientOn(node, source)
        ftp.login("alice", "secret")
        return ftp

    def download(self, ftp, name):
        """
        @return: the bytes of C{name}.
        """
        got = io.BytesIO()
        ftp.retrbinary("RETR " + name, got.write)
        return got.getvalue()

    def test_storedOnOneServedByOther(self):
        """
        A file uploaded through one node is listed and downloaded through
        the other, both ways, even by a node that listed the directory
        before (and might have kept that listing).
        """
        sessions = [self.login(0), self.login(1)]
        contents = [os.urandom(300_000), os.urandom(5000)]
        listed = []
        for node, content in enumerate(contents):
            for ftp in sessions:
                self.assertEqual(sorted(ftp.nlst()), listed)
            sessions[node].storbinary(f"STOR from{node}.bin",
                                      io.BytesIO(content))
            listed.append(f"from{node}.bin")
            other = sessions[1 - node]
            self.assertEqual(sorted(other.nlst()), listed)
            other.voidcmd("TYPE I")
            self.assertEqual(other.size(f"from{node}.bin"), len(content))
            self.assertEqual(self.download(other, f"from{node}.bin"), content)
        for ftp in sessions:
            ftp.quit()
        for node in (0, 1):
            self.assertIn("STOR from 127.0.0.5", self.nodes[node].log())

    def upload(self, index, stop, sent, answered, cut):
        """
        One client: log in through the balancer and upload new files
        until C{stop} is set, logging in again when its session is cut.

        @param index: the client's number (its address and file names).
        @param stop: a L{threading.Event}.
        @param sent: name to content of each file whose C{STOR} was sent.
        @param answered: gets C{(name, greeting)} for each C{226}.
        @param cut: gets C{index} for each session cut short.
        """
        count = 0
        while not stop.is_set():
            try:
                ftp = self.client(f"127.0.0.{10 + index}")
                greeting = ftp.getwelcome()
                ftp.login("alice", "secret")
                while not stop.is_set():
                    name = f"c{index}-{count}.bin"
                    count += 1
                    sent[name] = os.urandom(100_000 + count)
                    ftp.storbinary("STOR " + name, io.BytesIO(sent[name]))
                    answered.append((name, greeting))
                ftp.quit()
            except (OSError, EOFError, ftplib.Error):
                cut.append(index)

    def waitUntil(self, condition, what):
        """
        Poll C{condition} (for up to a minute).
        """
        deadline = time.monotonic() + 60
        while not condition():
            if time.monotonic() > deadline:
                self.fail(f"timed out waiting for {what}")
            time.sleep(0.05)

    def test_nodeKilledWhileUploading(self):
        """
        Clients upload through the balancer; node0 is killed once one of
        them stored a file through it. Its clients' sessions are cut, they
        log in again (on node1), and at the end every file answered C{226}
        is in the bucket whole, listed and served by the node left, and
        no object in the bucket holds anything but a whole file.
        """
        stop = threading.Event()
        sent, answered, cut = {}, [], []
        threads = [threading.Thread(target=self.upload,
                                    args=(i, stop, sent, answered, cut))
                   for i in range(UPLOADERS)]
        for thread in threads:
            thread.start()
        try:
            self.waitUntil(lambda: any(greeting == "220 node0"
                                       for _, greeting in answered),
                           "a file stored through node0")
            self.nodes[0].process.kill()
            self.nodes[0].process.wait()
            before = len(answered)
            self.waitUntil(lambda: len(answered) >= before + 2 * UPLOADERS,
                           "uploads through node1")
        finally:
            stop.set()
            for thread in threads:
                thread.join(60)
        self.assertTrue(cut)
        stored = {path.rsplit("/", 1)[1]: path
                  for path in self.fs.find(f"{self.bucket}/ftp")}
        names = {name for name, _ in answered}
        self.assertLessEqual(names, set(stored))
        for name, path in stored.items():
            self.assertEqual(self.fs.cat_file(path), sent[name], name)
        ftp = self.login(1)
        self.assertLessEqual(names, set(ftp.nlst()))
        for name in sorted(names)[:UPLOADERS]:
            self.assertEqual(self.download(ftp, name), sent[name])
        ftp.quit()
