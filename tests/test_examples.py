"""
Tests for the example realm plugin in C{examples/} (the one the
"writing a realm plugin" tutorial shows).
"""

import ftplib
import io
import os
import shutil
import sys

from twisted.internet import defer
from twisted.trial import unittest

import twisted.plugins
from ftpkit import tap
from ftpkit.loopback import LoopbackServerMixin
from tests.test_plugin import _SOURCE

EXAMPLES = os.path.join(_SOURCE, "examples")


class TenantRealmTests(LoopbackServerMixin, unittest.TestCase):
    """
    The C{tenants} realm, installed the way users install a plugin: its
    directory put on C{sys.path}.
    """

    def setUp(self):
        # A copy, so that Twisted's plugin cache is not written into the
        # source tree.
        copy = os.path.abspath(self.mktemp())
        shutil.copytree(EXAMPLES, copy,
                        ignore=shutil.ignore_patterns("__pycache__", "*.cache"))
        sys.path.insert(0, copy)
        pluginPath = list(twisted.plugins.__path__)
        twisted.plugins.__path__.append(os.path.join(copy, "twisted", "plugins"))

        def restore():
            sys.path.remove(copy)
            twisted.plugins.__path__[:] = pluginPath
            for name in ["ftpkit_tenants", "twisted.plugins.ftpkit_example_realm"]:
                sys.modules.pop(name, None)

        self.addCleanup(restore)
        self.root = os.path.abspath(self.mktemp())
        os.mkdir(self.root)

    def makeRealm(self, spec):
        """
        @return: the realm C{--realm SPEC} builds.
        """
        options = tap.Options()
        options.parseOptions(["--realm", spec, "--root", self.root])
        return options["realmObject"]

    def test_found(self):
        """
        The plugin is found and listed by C{--help-realms}.
        """
        self.assertIn("tenants", tap.realmPlugins())
        options = tap.Options()
        options.realmOutput = io.StringIO()
        self.assertRaises(SystemExit, options.parseOptions, ["--help-realms"])
        self.assertIn("TENANT.USER sees ROOT/TENANT",
                      options.realmOutput.getvalue())

    def test_badArgument(self):
        """
        A directory that does not exist is a usage error.
        """
        from twisted.python import usage

        e = self.assertRaises(usage.UsageError, self.makeRealm,
                              "tenants:" + self.mktemp())
        self.assertIn("is not a directory", str(e))

    @defer.inlineCallbacks
    def test_login(self):
        """
        C{acme.alice} uploads into C{ROOT/acme}; C{acme.ro-bob} sees the
        file and may not upload; a name without a tenant cannot log in.
        """
        realm = self.makeRealm("tenants")
        server = self.startServer(realm, anonymous=False, users={
            "acme.alice": "pw", "acme.ro-bob": "pw", "nodot": "pw"})

        def client():
            outcome = {}
            ftp = ftplib.FTP()
            ftp.connect("127.0.0.1", server.port, timeout=30)
            ftp.login("acme.alice", "pw")
            ftp.storbinary("STOR report.txt", io.BytesIO(b"numbers"))
            ftp.quit()
            ftp = ftplib.FTP()
            ftp.connect("127.0.0.1", server.port, timeout=30)
            ftp.login("acme.ro-bob", "pw")
            outcome["bobSees"] = ftp.nlst()
            try:
                ftp.storbinary("STOR x.txt", io.BytesIO(b"x"))
            except ftplib.error_perm as e:
                outcome["bobStores"] = str(e)
            ftp.quit()
            ftp = ftplib.FTP()
            ftp.connect("127.0.0.1", server.port, timeout=30)
            try:
                ftp.login("nodot", "pw")
            except ftplib.error_perm as e:
                outcome["nodot"] = str(e)
            ftp.close()
            return outcome

        outcome = yield self.inThread(client)
        with open(os.path.join(self.root, "acme", "report.txt"), "rb") as f:
            self.assertEqual(f.read(), b"numbers")
        self.assertEqual(outcome["bobSees"], ["report.txt"])
        self.assertTrue(outcome["bobStores"].startswith("550"), outcome)
        self.assertTrue(outcome["nodot"].startswith("530"), outcome)
