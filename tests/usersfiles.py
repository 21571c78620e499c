"""
Users files (C{--auth users:PATH}, C{--realm users:PATH}) as the tests
write and serve them: a password hash of alice's made fast to compute
(L{ALICE_HASH}), and a loopback server of a users file (L{startUsersServer}).
"""

import os

from ftpkit.auth.users import UsersDatabase, UsersRealm, hashPassword

FAST = {"n": 16, "r": 1, "p": 1}
"""Cheap scrypt parameters for tests."""

ALICE_HASH = hashPassword("secret", **FAST)
"""The hash of alice's password, C{secret}."""


def writeText(path, text):
    """
    Write C{text} to C{path}, UTF-8.

    @param path: the file.
    @param text: what it is to hold.
    """
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def startUsersServer(testCase, root, text, users):
    """
    Start a loopback server whose realm is a users file.

    @param testCase: a L{ftpkit.loopback.LoopbackServerMixin} test.
    @param root: the directory relative homes are in; the file is written
        there, as C{users.toml}.
    @param text: the file's TOML.
    @param users: the checker's user names and passwords (no anonymous
        login).
    @return: the L{ftpkit.loopback.LoopbackServer}.
    """
    path = os.path.join(root, "users.toml")
    writeText(path, text)
    return testCase.startServer(UsersRealm(UsersDatabase(path), root),
                                users=users, anonymous=False)
