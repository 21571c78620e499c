"""
The C{perm} fact of C{MLSD} through a real server and C{ftplib}, on the
realms whose users a users file restricts: it told every user C{adfrw}
and C{cdeflmp}, whatever the user's permissions, per directory or
read-only.
"""

import os

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.auth.fsspecrealm import makeFsspecRealm
from ftpkit.auth.users import UsersDatabase, UsersRealm
from ftpkit.loopback import LoopbackServerMixin
from tests.ftpclient import ftplibLogin
from tests.usersfiles import writeText

USERS = '''
[users.alice]
home = "alice"
permissions = ["list", "read"]
[users.alice.directories."/up"]
permissions = ["list", "write"]

[users.ro]
home = "alice"
read-only = true
permissions = ["list", "read", "write", "append", "delete", "rename",
               "mkdir"]
'''


class PermFactTests(LoopbackServerMixin, unittest.TestCase):
    """
    C{alice} only looks but in C{/up}, where she only uploads; C{ro}, in
    the same home, may do anything but is read-only.
    """

    def serve(self, makeRealm):
        """
        Start a server whose users are in L{USERS}.

        @param makeRealm: called with the root and the users file's path,
            returns the realm.
        """
        root = os.path.abspath(self.mktemp())
        os.makedirs(os.path.join(root, "alice", "up"))
        writeText(os.path.join(root, "alice", "f.txt"), "x")
        path = os.path.join(root, "users.toml")
        writeText(path, USERS)
        self.server = self.startServer(makeRealm(root, path),
                                       users={"alice": "pw", "ro": "pw"},
                                       anonymous=False)

    def perms(self, user):
        """
        @return: the C{perm} fact of each name C{MLSD /} gives C{user},
            by name (blocking).
        """
        ftp = ftplibLogin(self, self.server.port, user, "pw")
        facts = {name: facts["perm"] for name, facts in ftp.mlsd("/")}
        ftp.quit()
        return facts

    @defer.inlineCallbacks
    def check(self):
        """
        Each user is told what the server lets them do.
        """
        alice = yield self.inThread(self.perms, "alice")
        self.assertEqual(alice, {".": "el", "f.txt": "r", "up": "cel"})
        readOnly = yield self.inThread(self.perms, "ro")
        self.assertEqual(readOnly, {".": "el", "f.txt": "r", "up": "el"})

    def test_disk(self):
        """
        On the disk (C{--realm users:PATH}).
        """
        self.serve(lambda root, path: UsersRealm(UsersDatabase(path), root))
        return self.check()

    def test_fsspec(self):
        """
        On C{--realm fsspec:file://ROOT?users=PATH}.
        """
        self.serve(lambda root, path: makeFsspecRealm(
            f"file://{root}?users={path}", {}))
        return self.check()
