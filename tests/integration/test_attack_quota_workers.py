"""
Attacks on the users-file byte quota of a C{--workers} server: each
worker counted a user's usage on its own, so a user whose sessions the
acceptor spread over N workers stored about N times the quota. And a
user whose home holds another's (L{NestedWorkersTests}) changed what the
other's quota counts without its count changing, in any worker.
"""

import ftplib
import glob
import io
import os

from twisted.trial import unittest

from ftpkit.auth.users import hashPassword
from ftpkit.shells.quotaledger import Ledger
from ftpkit.shells.quotas import diskFootprint
from ftpkit.shells.sharedquota import ledgerFor
from tests.ftpclient import ftplibLogin
from tests.integration.test_attack_quota import ALL, store
from tests.integration.test_attack_quotawalks import PART, cutUpload
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess, childrenOf

READY = " ready\n"
"""What the acceptor logs when a worker is ready."""


def storedBytes(directory):
    """
    @param directory: a path.
    @return: the bytes of the regular files under it.
    """
    return sum(os.path.getsize(os.path.join(where, name))
               for where, _, names in os.walk(directory) for name in names)


def writeQuotaUser(root):
    """
    Write a users file in C{root} whose alice (password C{secret}) has
    the home C{alice} and a quota of 100,000 bytes.

    @param root: the served directory.
    @return: the users file's path.
    """
    users = os.path.join(root, "users.toml")
    with open(users, "w") as f:
        f.write(f'[users.alice]\npassword = "{hashPassword("secret")}"\n'
                'home = "alice"\nquota = 100000\n'
                'permissions = ["list", "read", "write"]\n')
    return users


def startWorkers(testCase, root, users, realm, env=None):
    """
    Start a two-worker server on C{root} whose users are those of a users
    file, and wait until both workers are ready.

    @param testCase: the running test.
    @param root: the served directory.
    @param users: the users file's path (C{--auth users:}).
    @param realm: the C{--realm} value.
    @param env: extra environment variables of the server, or C{None}.
    @return: the L{ServerProcess}.
    """
    server = ServerProcess(testCase, [
        "--root", root, "--workers", "2",
        "--realm", realm, "--auth", f"users:{users}"], env=env)
    server.waitForLog(READY, 2)
    return server


class WorkersQuotaTests(unittest.TestCase):
    """
    A two-worker server whose user has a 100000-byte quota.
    """

    timeout = 120

    def storeFour(self, realm):
        """
        Four sessions of the user (spread over both workers) each store a
        byte, then each tries 90000 bytes: one fits, the others get
        C{552}, and the home holds no more than the quota.

        @param realm: the C{--realm} given the users file's path and the
            root, returning the option's value.
        """
        root = scratchDirectory(self)
        users = writeQuotaUser(root)
        server = startWorkers(self, root, users, realm(users, root))
        sessions = []
        for index in range(4):
            session = ftplibLogin(self, server.port)
            sessions.append(session)
            session.storbinary(f"STOR small{index}", io.BytesIO(b"x"))
        stored = 0
        for index, session in enumerate(sessions):
            try:
                session.storbinary(f"STOR big{index}",
                                   io.BytesIO(b"y" * 90000))
            except (ftplib.error_perm, OSError):
                continue
            stored += 1
        self.assertEqual(stored, 1)
        self.assertLessEqual(storedBytes(os.path.join(root, "alice")),
                             100000)

    def test_disk(self):
        """
        A users file's quota holds across the workers.
        """
        self.storeFour(lambda users, root: f"users:{users}")

    def test_fsspec(self):
        """
        So does a users file's quota under C{--realm fsspec:file://}.
        """
        self.storeFour(
            lambda users, root: f"fsspec:file://{root}?users={users}")


class NestedWorkersTests(unittest.TestCase):
    """
    A two-worker server where C{admin}'s home is the root and C{bob}'s,
    C{/bob}, has a 300000-byte quota; two sessions of each (spread over
    the workers).
    """

    timeout = 120

    def sessions(self, realm, held):
        """
        Start the server, C{bob}'s home holding C{sub/}, whose one entry
        is a file of 250000 bytes, and log in.

        @param realm: as for L{WorkersQuotaTests.storeFour}.
        @param held: the file's name.
        @return: C{(admin, bob, bob)}: logged-in clients.
        """
        root = scratchDirectory(self)
        os.makedirs(os.path.join(root, "bob", "sub"))
        with open(os.path.join(root, "bob", "sub", held), "wb") as f:
            f.write(b"p" * 250000)
        users = os.path.join(root, "users.toml")
        password = hashPassword("secret")
        with open(users, "w") as f:
            f.write(f'[users.admin]\npassword = "{password}"\nhome = "."\n'
                    f'permissions = {ALL}\n'
                    f'[users.bob]\npassword = "{password}"\nhome = "bob"\n'
                    f'permissions = {ALL}\nquota = 300000\n')
        server = startWorkers(self, root, users, realm(users, root))
        sessions = [ftplibLogin(self, server.port, name)
                    for name in ("admin", "bob", "admin", "bob")]
        return sessions[0], sessions[1], sessions[3]

    def changesByAdmin(self, realm, held=".ftpkit-partial.f"):
        """
        Each change C{admin} makes in C{/bob} counts for C{bob}'s quota
        in both of C{bob}'s sessions; the bytes C{bob} holds after each
        step are in the comments.

        @param realm: as for L{WorkersQuotaTests.storeFour}.
        @param held: the name of the file in C{/bob/sub}: a cut upload,
            which C{RMD} removes with its directory, or another file,
            which C{admin} removes first.
        """
        admin, bob, other = self.sessions(realm, held)

        def expect(session, command, size, code):
            reply = store(session, command, size)
            self.assertTrue(reply.startswith(code), (command, reply))

        expect(bob, "STOR s1", 1, "226")
        expect(other, "STOR s2", 1, "226")  # 250002
        if not held.startswith(".ftpkit-partial."):
            admin.delete("/bob/sub/" + held)
        admin.rmd("/bob/sub")  # 2
        expect(bob, "STOR c1", 150000, "226")
        expect(other, "STOR c2", 100000, "226")  # 250002
        admin.delete("/bob/c1")  # 100002
        expect(bob, "STOR d1", 150000, "226")  # 250002
        expect(admin, "STOR /big", 40000, "226")
        admin.rename("/big", "/bob/big")  # 290002
        expect(other, "STOR e2", 20000, "552")
        expect(bob, "STOR e1", 5000, "226")  # 295002
        expect(admin, "STOR /bob/e1", 1000, "226")  # 291002
        expect(other, "STOR g2", 8000, "226")  # 299002
        expect(admin, "APPE /bob/g2", 2000, "226")  # 301002
        expect(bob, "STOR h1", 1, "552")

    def test_disk(self):
        """
        On the disk, every worker counts C{admin}'s changes in C{/bob}.
        """
        self.changesByAdmin(lambda users, root: f"users:{users}")

    def test_fsspec(self):
        """
        So does every worker under C{--realm fsspec:file://} (whose
        C{RMD} removes no cut upload: the file is removed first).
        """
        self.changesByAdmin(
            lambda users, root: f"fsspec:file://{root}?users={users}",
            "f")


class WorkersCutUploadTests(unittest.TestCase):
    """
    A two-worker server whose user C{bob} has a 1 GB quota: cut uploads
    and an C{RMD} of cut uploads leave the home's ledger as measured once
    (every worker walked the home again after each), and what it counts
    is what a walk finds.
    """

    timeout = 120

    def test_cutUploads(self):
        """
        Two sessions of C{bob} (one a worker) each cut uploads, then
        check the quota; one removes a directory of cut uploads.
        """
        root = scratchDirectory(self)
        temporary = os.path.join(root, "tmp")
        home = os.path.join(root, "bob")
        os.makedirs(temporary)
        os.makedirs(os.path.join(home, "sub"))
        users = os.path.join(root, "users.toml")
        with open(users, "w") as f:
            f.write(f'[users.bob]\npassword = "{hashPassword("secret")}"\n'
                    f'home = "bob"\nquota = "1G"\npermissions = {ALL}\n')
        server = startWorkers(self, root, users, f"users:{users}",
                              env={"TMPDIR": temporary})
        pids = childrenOf(server.process.pid)
        sessions = []
        for _ in range(4):
            session = ftplibLogin(self, server.port, "bob", binary=True)
            sessions.append(session)
            store(session, f"STOR first{len(sessions)}", 10)
        codes = []
        for index, session in enumerate(sessions):
            codes.append(cutUpload(session, f"STOR f{index}", home,
                                   pids=pids))
            codes.append(cutUpload(session, f"STOR sub/g{index}", home,
                                   pids=pids))
            store(session, "STOR check", 10)
        sessions[0].rmd("sub")
        for session in sessions:
            store(session, "STOR check", 10)
        self.assertEqual(codes, ["426"] * 8)
        ledger = Ledger(ledgerFor(*glob.glob(
            os.path.join(temporary, "ftpkit-quota-*")), home).path)
        self.addCleanup(ledger.close)
        state = ledger.state()
        self.assertEqual((state.generation, state.fresh), (0, True))
        walked = diskFootprint(home)
        self.assertEqual((state.used, state.files),
                         (walked.bytes, walked.files))
        self.assertEqual(walked.bytes, 4 * (10 + PART) + 10)
