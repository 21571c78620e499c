"""
Tests for C{--vhost-root NAME=DIR}: a virtual host whose realm serves
C{--root} (C{filesystem} without a directory, C{users:PATH}, C{pg:DSN})
serves its own directory instead.
"""

import os

from twisted.python import usage
from twisted.trial import unittest

from ftpkit.auth.users import UsersRealm
from tests.tapoptions import parse


class VhostRootTests(unittest.TestCase):
    """
    Each C{--vhost-root} gives the realm of the C{--vhost} with that name
    its root; the default realm and the other hosts keep C{--root}.
    """

    def setUp(self):
        self.root, self.a, self.b = (os.path.abspath(self.mktemp())
                                     for _ in range(3))
        for directory in (self.root, self.a, self.b):
            os.makedirs(directory)
        self.users = os.path.join(self.root, "users.toml")
        with open(self.users, "w") as f:
            f.write("")

    def test_usersRealm(self):
        """
        Two hosts on one users file, each under its own root.
        """
        options = parse("--root", self.root, "--realm", "users:" + self.users,
                        "--vhost", "a.example,www.a.example=users:"
                        + self.users,
                        "--vhost", "b.example=users:" + self.users,
                        "--vhost", "c.example=users:" + self.users,
                        "--vhost-root", "WWW.a.example=" + self.a,
                        "--vhost-root", "b.example.=" + self.b)
        a, b, c = options["config"].virtualHosts
        for host in (a, b, c):
            self.assertIsInstance(host.realm, UsersRealm)
        self.assertEqual([a.realm.root, b.realm.root, c.realm.root],
                         [self.a, self.b, self.root])
        self.assertEqual(options["realmObject"].root, self.root)
        self.assertEqual(options["root"], self.root)

    def test_filesystemRealm(self):
        """
        C{filesystem} without a directory serves the host's root.
        """
        options = parse("--root", self.root, "--vhost", "a.example=filesystem",
                        "--vhost-root", "a.example=" + self.a)
        self.assertEqual(options["config"].virtualHosts[0].realm.root, self.a)

    def assertRejected(self, *args):
        """
        @return: the usage error's message.
        """
        with self.assertRaises(usage.UsageError) as raised:
            parse("--root", self.root, *args)
        message = str(raised.exception)
        self.assertNotIn("\n", message)
        return message

    def test_bad(self):
        """
        No C{=}, a directory that does not exist, a name no C{--vhost}
        has, or two roots for one host: one-line usage errors.
        """
        self.assertIn("--vhost-root: must be NAME=DIR", self.assertRejected(
            "--vhost-root", "a.example"))
        self.assertIn("not an existing directory", self.assertRejected(
            "--vhost", "a.example=filesystem",
            "--vhost-root", "a.example=/no/such/dir"))
        self.assertIn("no --vhost has the name 'b.example'",
                      self.assertRejected(
                          "--vhost", "a.example=filesystem",
                          "--vhost-root", "b.example=" + self.a))
        self.assertIn("two roots", self.assertRejected(
            "--vhost", "a.example,www.a.example=filesystem",
            "--vhost-root", "a.example=" + self.a,
            "--vhost-root", "www.a.example=" + self.b))
