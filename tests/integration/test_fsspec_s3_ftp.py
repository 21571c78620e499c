"""
Integration tests: ftpkit serving an S3 bucket (s3fs against moto's
standalone server) to real clients, ftplib, curl and lftp, the realm built
the way C{--realm fsspec:s3://...} builds it.
"""

import ftplib
import hashlib
import io
import os
import time

from twisted.internet import task
from twisted.trial import unittest

from ftpkit.config import ServerConfig
from ftpkit.deploy import tap
from ftpkit.loopback import LoopbackServerMixin
from tests.clientprograms import CURL, LFTP, lftpMirror, runProgram
from tests.clienttrees import makeTree, sha256, treeDigest
from tests.ftpclient import breakOffUpload, ftplibLogin
from tests.scratch import scratchDirectory
from tests.storageservers import S3_KEY, S3_SECRET, motoServer, newBucket, s3Filesystem
from tests.usersfiles import writeText

MiB = 1024 * 1024


class S3ServerMixin(LoopbackServerMixin):
    """
    A server whose realm is C{--realm fsspec:s3://BUCKET/ftp?...}, with
    the credentials in a config file, and a local scratch directory.
    """

    timeout = 180
    extraArguments = ()
    users = None

    def setUp(self):
        self.endpoint = motoServer()
        self.fs = s3Filesystem(self.endpoint)
        self.bucket = newBucket(self.fs)
        self.local = scratchDirectory(self)
        config = os.path.join(self.local, "storage.toml")
        writeText(config, f'[options]\nkey = "{S3_KEY}"\nsecret = "{S3_SECRET}"\n')
        argument = (f"fsspec:s3://{self.bucket}/ftp?config={config}"
                    f"&endpoint_url={self.endpoint}")
        if self.users is not None:
            usersFile = os.path.join(self.local, "users.toml")
            writeText(usersFile, self.users)
            argument += f"&users={usersFile}"
        options = tap.Options()
        options.parseOptions(["--realm", argument, *self.extraArguments])
        self.server = self.startServer(
            options["realmObject"], ServerConfig(loginFailureDelay=0.01))
        self.url = "ftp://127.0.0.1:%d/" % self.server.port

    def key(self, name):
        """
        @return: the S3 path of C{name} under the served prefix.
        """
        return f"{self.bucket}/ftp/{name}"

    def ftp(self, user="alice", password="secret"):
        """
        @return: a logged-in L{ftplib.FTP} (blocking; call in a thread).
        """
        return ftplibLogin(self, self.server.port, user, password, timeout=60)

    def uploadsInProgress(self):
        """
        @return: the bucket's multipart uploads neither completed nor
            aborted (blocking).
        """
        from fsspec.asyn import sync

        listed = sync(self.fs.loop, self.fs.s3.list_multipart_uploads,
                      Bucket=self.bucket)
        return listed.get("Uploads", [])


class S3FtplibTests(S3ServerMixin, unittest.TestCase):
    """
    ftplib against the bucket: every command, and what object storage
    cannot do refused clearly.
    """

    def session(self):
        client = self.ftp()
        data = os.urandom(3 * MiB + 17)
        client.storbinary("STOR f.bin", io.BytesIO(data))
        got = io.BytesIO()
        client.retrbinary("RETR f.bin", got.write)
        facts = dict(client.mlsd(facts=["type", "size", "modify"]))
        client.voidcmd("TYPE I")
        replies = {
            "feat": client.sendcmd("FEAT"),
            "size": client.sendcmd("SIZE f.bin"),
            "mdtm": client.sendcmd("MDTM f.bin"),
            "mkd": client.sendcmd("MKD sub"),
        }
        client.storbinary("STOR sub/inner", io.BytesIO(b"inner"))
        client.voidcmd("TYPE I")
        for name, send in (
                ("rmdFull", lambda: client.sendcmd("RMD sub")),
                ("appe", lambda: client.transfercmd("APPE f.bin")),
                ("mfmt", lambda: client.sendcmd("MFMT 20200101000000 f.bin")),
                ("rnDir", lambda: client.sendcmd("RNFR sub")
                 and client.sendcmd("RNTO sub2"))):
            try:
                replies[name] = send()
            except ftplib.Error as e:
                replies[name] = str(e)
        try:
            replies["optsRest"] = client.sendcmd("OPTS REST STOR")
        except ftplib.Error as e:
            replies["optsRest"] = str(e)
        replies["helpAppe"] = client.sendcmd("HELP APPE")
        replies["rest"] = client.sendcmd("REST 5")
        try:
            client.transfercmd("STOR f.bin")
            replies["restStor"] = "opened"
        except ftplib.Error as e:
            replies["restStor"] = str(e)
        client.sendcmd("RNFR f.bin")
        replies["rename"] = client.sendcmd("RNTO sub/g.bin")
        got2 = io.BytesIO()
        client.retrbinary("RETR sub/g.bin", got2.write)
        client.delete("sub/g.bin")
        client.delete("sub/inner")
        replies["rmd"] = client.sendcmd("RMD sub")
        replies["nlst"] = client.nlst()
        client.quit()
        return data, got.getvalue(), got2.getvalue(), facts, replies

    async def test_session(self):
        data, got, renamed, facts, replies = await self.inThread(self.session)
        self.assertEqual(got, data)
        self.assertEqual(renamed, data)
        self.assertEqual(facts["f.bin"]["type"], "file")
        self.assertEqual(int(facts["f.bin"]["size"]), len(data))
        self.assertEqual(replies["size"], "213 %d" % len(data))
        self.assertNotIn(" MFMT", replies["feat"])
        self.assertIn(" REST STREAM", replies["feat"])
        self.assertTrue(replies["mdtm"].startswith("213 20"), replies["mdtm"])
        self.assertTrue(replies["mkd"].startswith("257"), replies["mkd"])
        self.assertTrue(replies["rmdFull"].startswith("550"), replies["rmdFull"])
        self.assertEqual(replies["appe"],
                         "502 Appending (APPE) is not supported by this"
                         " storage: it writes whole files; send the whole"
                         " file with STOR")
        self.assertIn("502 Resuming uploads", replies["restStor"])
        self.assertEqual(replies["optsRest"], "501 REST STOR: uploads do not"
                         " resume on this storage")
        self.assertTrue(replies["helpAppe"].startswith(
            "214 APPE is not available here"), replies["helpAppe"])
        self.assertEqual(replies["rest"], "350 Restarting at 5; send RETR")
        self.assertTrue(replies["mfmt"].startswith("502"), replies["mfmt"])
        self.assertIn("550 Renaming a directory is not supported by S3",
                      replies["rnDir"])
        self.assertTrue(replies["rename"].startswith("250"), replies["rename"])
        self.assertTrue(replies["rmd"].startswith("250"), replies["rmd"])
        self.assertEqual(replies["nlst"], [])
        self.assertEqual(self.fs.find(self.bucket), [])
        self.assertEqual(self.uploadsInProgress(), [])

    def abortedUpload(self, name, size):
        """
        Send C{size} bytes of an upload, then reset the data connection.

        @return: the final reply to the STOR.
        """
        return breakOffUpload(self.ftp(), name, b"a" * MiB, size // MiB)

    async def test_abortedUploadLeavesNothing(self):
        """
        An upload broken off after several parts went up leaves no object,
        no multipart upload, and the old object as it was.
        """
        self.fs.pipe_file(self.key("old.bin"), b"previous")
        for name in ("old.bin", "new.bin"):
            reply = await self.inThread(self.abortedUpload, name, 20 * MiB)
            self.assertTrue(reply.startswith("426"), reply)
        for _ in range(500):
            if not self.uploadsInProgress():
                break
            await task.deferLater(self.server.reactor, 0.02, lambda: None)
        self.assertEqual(self.uploadsInProgress(), [])
        self.assertEqual(self.fs.find(self.bucket), [self.key("old.bin")])
        self.assertEqual(self.fs.cat_file(self.key("old.bin")), b"previous")


class S3ListingTests(S3ServerMixin, unittest.TestCase):
    """
    A prefix of a few thousand objects, listed through the server.
    """

    def listings(self):
        """
        @return: the MLSD facts and LIST lines of C{/big} (blocking).
        """
        client = self.ftp()
        facts = dict(client.mlsd("big", facts=["type", "size"]))
        lines = []
        client.retrlines("LIST big", lines.append)
        client.quit()
        return facts, lines

    async def test_manyObjects(self):
        """
        MLSD and LIST of 3,000 objects (three pages of S3's listing) and a
        prefix give what the store lists, with the objects' sizes.
        """
        self.fs.pipe({self.key(f"big/o{number:04d}"): b"x" * (number % 7)
                      for number in range(3000)}
                     | {self.key("big/sub/inner"): b""})
        facts, lines = await self.inThread(self.listings)
        stored = {
            detail["name"].rstrip("/").rpartition("/")[2]:
                ("file", str(detail["size"])) if detail["type"] == "file"
                else ("dir", None)
            for detail in self.fs.ls(self.key("big"), detail=True)}
        self.assertEqual(len(stored), 3001)
        self.assertEqual(
            {name: (fact["type"], fact.get("size"))
             for name, fact in facts.items() if fact["type"] in ("file", "dir")},
            stored)
        self.assertEqual(sorted(line.split()[-1] for line in lines), sorted(stored))

    async def test_prefixHasNoTime(self):
        """
        A directory that is only a prefix has no time on S3: C{MLSD} gives
        it no C{modify} fact (the objects theirs), C{MDTM} is 550, and
        C{LIST} dates it at the listing. It was dated 1970.
        """
        self.fs.pipe({self.key("tree/sub/inner"): b"x"})

        def session():
            client = self.ftp()
            before = time.time()
            facts = dict(client.mlsd("tree", facts=["type", "modify"]))
            inner = dict(client.mlsd("tree/sub", facts=["type", "modify"]))
            lines = []
            client.retrlines("LIST tree", lines.append)
            try:
                client.sendcmd("MDTM tree/sub")
            except ftplib.error_perm as e:
                mdtm = str(e)
            client.quit()
            return before, time.time(), facts, inner, lines, mdtm

        before, after, facts, inner, lines, mdtm = await self.inThread(
            session)
        self.assertEqual(facts["sub"], {"type": "dir"})
        self.assertGreater(int(inner["inner"]["modify"][:4]), 2000)
        [line] = lines
        self.assertIn(line[-16:-4], {
            time.strftime("%b %e %H:%M", time.gmtime(when))
            for when in (before, after)})
        self.assertTrue(mdtm.startswith("550 "), mdtm)


class S3ClientTests(S3ServerMixin, unittest.TestCase):
    """
    curl and lftp against the bucket.
    """

    async def test_curl(self):
        """
        curl -T uploads (a multipart upload), curl downloads it back, and
        resumes a download (ranged reads).
        """
        if CURL is None:
            raise unittest.SkipTest("curl is not installed")
        source = os.path.join(self.local, "up.bin")
        with open(source, "wb") as f:
            f.write(os.urandom(17 * MiB + 3))
        out, err, code = await runProgram(
            CURL, "-sS", "--max-time", "120", "-u", "alice:secret", "-T", source,
            self.url + "up.bin")
        self.assertEqual(code, 0, err)
        self.assertEqual(hashlib.sha256(self.fs.cat_file(self.key("up.bin")))
                         .hexdigest(), sha256(source))
        back = os.path.join(self.local, "back.bin")
        out, err, code = await runProgram(
            CURL, "-sS", "--max-time", "120", "-u", "alice:secret", "-o", back,
            self.url + "up.bin")
        self.assertEqual(code, 0, err)
        self.assertEqual(sha256(back), sha256(source))
        with open(source, "rb") as f:
            part = f.read(5 * MiB + 1)
        resumed = os.path.join(self.local, "resumed.bin")
        with open(resumed, "wb") as f:
            f.write(part)
        out, err, code = await runProgram(
            CURL, "-sS", "--max-time", "120", "-u", "alice:secret", "-C", "-",
            "-o", resumed, self.url + "up.bin")
        self.assertEqual(code, 0, err)
        self.assertEqual(sha256(resumed), sha256(source))

    async def test_lftpMirror(self):
        """
        lftp mirror -R puts a tree into the bucket (directories made as
        prefixes), mirror brings it back the same.
        """
        if LFTP is None:
            raise unittest.SkipTest("lftp is not installed")
        upload = os.path.join(self.local, "up")
        makeTree(upload, files=30)
        down = os.path.join(self.local, "down")
        out, err, code = await lftpMirror(self.server.port, upload, down)
        self.assertEqual(code, 0, err)
        self.assertEqual(treeDigest(down), treeDigest(upload))
        self.assertEqual(len(treeDigest(down)), 30)


class S3HomesTests(S3ServerMixin, unittest.TestCase):
    """
    C{--home-per-user} gives each user a prefix; anonymous users see the
    whole prefix, read-only.
    """

    extraArguments = ("--home-per-user",)

    def sessions(self):
        alice = self.ftp()
        alice.storbinary("STOR a.txt", io.BytesIO(b"alice's"))
        alicePwd = alice.pwd()
        alice.quit()
        anonymous = self.ftp("anonymous", "a@b")
        listed = anonymous.nlst()
        try:
            anonymous.storbinary("STOR x", io.BytesIO(b"x"))
            refused = None
        except ftplib.error_perm as e:
            refused = str(e)
        got = io.BytesIO()
        anonymous.retrbinary("RETR alice/a.txt", got.write)
        anonymous.quit()
        return alicePwd, listed, refused, got.getvalue()

    async def test_homes(self):
        alicePwd, listed, refused, got = await self.inThread(self.sessions)
        self.assertEqual(alicePwd, "/")
        self.assertEqual(self.fs.cat_file(self.key("alice/a.txt")), b"alice's")
        self.assertEqual(listed, ["alice"])
        self.assertTrue(refused.startswith("550"), refused)
        self.assertEqual(got, b"alice's")


class S3UsersFileTests(S3ServerMixin, unittest.TestCase):
    """
    A users file gives homes under the prefix, permissions and quotas (the
    passwords are checked by the test server's own checker).
    """

    users = (
        '[users.alice]\nhome = "homes/alice"\n'
        'permissions = ["list", "read", "write", "mkdir"]\nquota = 1000\n'
    )

    def session(self):
        client = self.ftp()
        client.storbinary("STOR small", io.BytesIO(b"x" * 600))
        results = {}
        try:
            client.storbinary("STOR big", io.BytesIO(b"y" * 600))
        except ftplib.error_perm as e:
            results["quota"] = str(e)
        try:
            client.delete("small")
        except ftplib.error_perm as e:
            results["delete"] = str(e)
        client.quit()
        return results

    async def test_quotaAndPermissions(self):
        results = await self.inThread(self.session)
        self.assertTrue(results["quota"].startswith("552"), results)
        self.assertTrue(results["delete"].startswith("550"), results)
        self.assertEqual(self.fs.find(self.bucket), [
            self.key("homes/"), self.key("homes/alice/"),
            self.key("homes/alice/small")])
