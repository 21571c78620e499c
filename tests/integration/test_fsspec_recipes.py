"""
The recipes of C{docs/object-storage.rst}, run as written: the files in
C{docs/recipes/} with their paths moved into a scratch directory, their
example hosts replaced by the test's own servers (moto's S3 server, an
OpenSSH server on loopback), C{pip install} skipped and C{twistd} run as
a child process that ftplib then uses.
"""

import io
import os
import shlex
import subprocess
import sys

from twisted.trial import unittest

from tests.ftpclient import ftplibLogin
from tests.integration.test_docs import literalBlockAfter
from tests.integration.test_docs_run import needProgram, runShell
from tests.scratch import scratchDirectory
from tests.serverprocess import chosenPort
from tests.storageservers import (
    S3_KEY,
    S3_SECRET,
    motoServer,
    newBucket,
    s3Filesystem,
    sshServer,
)
from tests.twistdrun import SOURCE, TWISTD

RECIPES = os.path.join(SOURCE, "docs", "recipes")


def recipe(name, replacements):
    """
    @param name: a file of C{docs/recipes/}.
    @param replacements: C{(old, new)} text pairs, applied in order.
    @return: the file's text with them applied.
    """
    with open(os.path.join(RECIPES, name), encoding="utf-8") as f:
        text = f.read()
    for old, new in replacements:
        if old not in text:
            raise AssertionError(f"{old!r} is no longer in {name}")
        text = text.replace(old, new)
    return text


class RecipeMixin:
    """
    Runs a recipe's commands.
    """

    timeout = 240

    def setUp(self):
        self.etc = scratchDirectory(self)
        self.env = dict(os.environ, PYTHONPATH=SOURCE)

    def runCommands(self, script, replacements):
        """
        Run each line of a recipe's shell script but the last (C{pip
        install} skipped, C{python -m ftpkit.passwd} given the password
        C{"secret"} on its standard input), then start the last, C{twistd}
        (told to listen on port 0: a port picked in advance may be taken
        by another process before it binds), and wait until it says which
        port it took (C{self.port}).
        """
        lines = recipe(script, replacements).splitlines()
        for line in lines[:-1]:
            argv = shlex.split(line)
            if argv[:2] == ["pip", "install"]:
                continue
            stdin = None
            if argv[:3] == ["python", "-m", "ftpkit.passwd"]:
                argv = [sys.executable, *argv[1:], "--password-stdin"]
                stdin = b"secret\n"
            subprocess.run(argv, input=stdin, check=True, env=self.env,
                           stdout=subprocess.DEVNULL, timeout=60)
        argv = shlex.split(lines[-1])
        self.assertEqual(argv[0], "twistd")
        log = open(os.path.join(self.etc, "server.log"), "w+b")
        self.addCleanup(log.close)
        server = subprocess.Popen(
            [sys.executable, "-c", TWISTD, *argv[1:]], cwd=self.etc,
            env=self.env, stdin=subprocess.DEVNULL, stdout=log,
            stderr=subprocess.STDOUT)
        self.addCleanup(server.wait, 60)
        self.addCleanup(server.terminate)
        try:
            self.port = chosenPort(log, server)
        except OSError as e:
            self.fail(str(e))
        self.log = log

    def useServer(self):
        """
        Log in as alice, upload, make a directory, list, download.

        @return: C{(listing, downloaded bytes)}.
        """
        client = ftplibLogin(self, self.port, timeout=60)
        data = os.urandom(9 * 1024 * 1024 + 1)
        client.storbinary("STOR report.bin", io.BytesIO(data))
        client.mkd("outgoing")
        listing = sorted(client.nlst())
        got = io.BytesIO()
        client.retrbinary("RETR report.bin", got.write)
        client.quit()
        self.assertEqual(got.getvalue(), data)
        return listing


class S3RecipeTests(RecipeMixin, unittest.TestCase):
    """
    "Serve an S3 bucket over FTP".
    """

    def startRecipe(self):
        """
        Run the recipe against a new bucket of moto's server.

        @return: C{(filesystem, bucket)}: an s3fs filesystem of that
            server, and the bucket's name.
        """
        endpoint = motoServer()
        fs = s3Filesystem(endpoint)
        bucket = newBucket(fs)
        config = recipe("s3.toml", [
            ("/etc/ftpkit", self.etc),
            ('"AKIAIOSFODNN7EXAMPLE"', f'"{S3_KEY}"'),
            ('"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"', f'"{S3_SECRET}"'),
            ('# endpoint_url = "http://127.0.0.1:9000"',
             f'endpoint_url = "{endpoint}"'),
        ])
        with open(os.path.join(self.etc, "s3.toml"), "w") as f:
            f.write(config)
        self.runCommands("s3.sh", [
            ("/etc/ftpkit", self.etc),
            ("tcp:2121:", "tcp:0:"),
            ("example-bucket", bucket),
        ])
        return fs, bucket

    def test_recipe(self):
        fs, bucket = self.startRecipe()
        listing = self.useServer()
        self.assertEqual(listing, ["outgoing", "report.bin"])
        self.assertEqual(sorted(fs.find(f"{bucket}/ftp", withdirs=False)), [
            f"{bucket}/ftp/alice/", f"{bucket}/ftp/alice/outgoing/",
            f"{bucket}/ftp/alice/report.bin"])
        self.log.seek(0)
        self.assertNotIn(S3_SECRET.encode(), self.log.read())


    def test_pageClients(self):
        """
        The page's C{curl -T} and C{lftp ... mirror -R} lines, run as
        written (the password and port put in), upload a file and a
        directory tree into alice's prefix of the bucket.
        """
        needProgram("curl")
        needProgram("lftp")
        with open(os.path.join(SOURCE, "docs", "object-storage.rst"),
                  encoding="utf-8") as f:
            block = literalBlockAfter(f.read(), "Serve an S3 bucket over FTP")
        self.assertEqual([line.split()[0] for line in block], ["curl", "lftp"])
        fs, bucket = self.startRecipe()
        work = scratchDirectory(self)
        os.makedirs(os.path.join(work, "outgoing", "sub"))
        for name in ["report.pdf", "outgoing/a.txt", "outgoing/sub/b.txt"]:
            with open(os.path.join(work, name), "w") as f:
                f.write(name)
        for line in block:
            line = (line.replace("PASSWORD", "secret")
                    .replace("-u alice ", "-u alice,secret ")
                    .replace("2121", str(self.port)))
            done = runShell(line, work)
            self.assertEqual(done.returncode, 0, (line, done.stderr))
        self.assertEqual(
            sorted(fs.find(f"{bucket}/ftp/alice", withdirs=False)),
            [f"{bucket}/ftp/alice/{name}" for name in [
                "", "outgoing/", "outgoing/a.txt", "outgoing/sub/",
                "outgoing/sub/b.txt", "report.pdf"]])


class SFTPRecipeTests(RecipeMixin, unittest.TestCase):
    """
    "FTP in front of an SFTP server".
    """

    def test_recipe(self):
        ssh = sshServer()
        data = scratchDirectory(self)
        config = recipe("sftp.toml", [("/etc/ftpkit", self.etc)])
        with open(os.path.join(self.etc, "sftp.toml"), "w") as f:
            f.write(config)
        self.runCommands("sftp.sh", [
            ("/etc/ftpkit", self.etc),
            ("tcp:2121:", "tcp:0:"),
            ("ftpgw@files.example.com:22", f"{ssh.user}@127.0.0.1:{ssh.port}"),
            ("/srv/data", data),
        ])
        # The recipe's last step, on the SFTP server: trust the key.
        with open(os.path.join(self.etc, "gateway_key.pub")) as key, \
                open(os.path.join(ssh.directory, "authorized_keys"), "a") as keys:
            keys.write(key.read())
        listing = self.useServer()
        self.assertEqual(listing, ["outgoing", "report.bin"])
        self.assertEqual(sorted(os.listdir(os.path.join(data, "alice"))),
                         ["outgoing", "report.bin"])
