"""
Edges real clients reach, against C{python -m ftpkit} in a child process
with the access options the earlier sweeps left at their defaults
(session 42):

 - rclone's uploads as an anonymous user under C{--anonymous-write}:
   C{FEAT} listed C{MFMT}, which such a user may never send, rclone set
   each upload's time with it and failed the copy on its C{550}.
"""

import os
import shutil
import subprocess

from twisted.trial import unittest

from tests.clientmatrix import UNICODE, ClientServerMixin

RCLONE = shutil.which("rclone")


class AnonymousRcloneTests(ClientServerMixin, unittest.TestCase):
    """
    rclone as C{anonymous} on a server with C{--anonymous-write}.
    """

    if RCLONE is None:
        skip = "rclone is not installed"

    def rclone(self, *args):
        """
        Run rclone with no config file, its C{:ftp:} remote the clear
        listener, as C{anonymous}.

        @param args: its arguments.
        @return: its C{subprocess.CompletedProcess}.
        """
        config = os.path.join(self.local, "rclone.conf")
        open(config, "w").close()
        env = dict(os.environ, RCLONE_CONFIG=config,
                   RCLONE_FTP_HOST="127.0.0.1",
                   RCLONE_FTP_PORT=str(self.port),
                   RCLONE_FTP_USER="anonymous")
        password = subprocess.run(
            [RCLONE, "obscure", "guest@example.com"], env=env, check=True,
            capture_output=True, timeout=60).stdout.decode().strip()
        env["RCLONE_FTP_PASS"] = password
        return subprocess.run(
            [RCLONE, "--retries", "1", "--low-level-retries", "1", *args],
            env=env, capture_output=True, timeout=120,
            stdin=subprocess.DEVNULL)

    def test_copy(self):
        """
        A copy of new files and a new directory succeeds, and each file
        arrives whole; a second copy has nothing to do.
        """
        source = os.path.join(self.local, "src")
        contents = {"a.txt": b"anonymous\n", UNICODE: b"unicode\n",
                    os.path.join("sub", "empty.bin"): b""}
        for name, data in contents.items():
            path = os.path.join(source, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
        self.serve("--auth", "anonymous", "--anonymous-write")
        for _ in range(2):
            done = self.rclone("copy", source, ":ftp:incoming")
            self.assertEqual(done.returncode, 0, done.stderr)
        for name, data in contents.items():
            self.assertEqual(self.served("incoming", name), data, name)
