"""
Tests for C{--vhost} and C{--vhost-fallback} (L{ftpkit.deploy.vhostoptions}),
and for the filesystem realm's optional directory.
"""

import io
import os

from twisted.python import usage
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm, MemoryRealm
from ftpkit.deploy.tap import Options
from tests.scratch import scratchDirectory
from tests.signalstate import keepSignalState
from tests.tapoptions import parse


class VhostOptionTests(unittest.TestCase):
    """
    Each C{--vhost NAMES=REALM[:ARGS]} becomes a
    L{ftpkit.control.vhosts.VirtualHost} whose realm the realm plugins built.
    """

    def test_none(self):
        """
        By default there is no virtual host and no fallback.
        """
        config = parse()["config"]
        self.assertEqual(config.virtualHosts, ())
        self.assertFalse(config.vhostFallback)

    def test_hosts(self):
        """
        Names are normalized; each realm is built by its plugin, the
        filesystem one on its own directory.
        """
        root = scratchDirectory(self)
        config = parse("--vhost", "A.example,www.a.example=filesystem:" + root,
                        "--vhost", "b.example=memory",
                        "--vhost-fallback")["config"]
        a, b = config.virtualHosts
        self.assertEqual(a.names, ("a.example", "www.a.example"))
        self.assertIsInstance(a.realm, FilesystemRealm)
        self.assertEqual(a.realm.root, os.path.abspath(root))
        self.assertEqual((b.names, b.realmSpec), (("b.example",), "memory"))
        self.assertIsInstance(b.realm, MemoryRealm)
        self.assertTrue(config.vhostFallback)

    def test_filesystemRealmDirectory(self):
        """
        C{--realm filesystem} serves C{--root}; C{filesystem:DIR} serves
        C{DIR}, also with a C{--root} given beside it (which gets a
        warning at start: L{test_tapservice}), and a C{--vhost}'s realm
        serves that root.
        """
        root = scratchDirectory(self)
        self.assertEqual(parse("--root", root)["realmObject"].root,
                         os.path.abspath(root))
        other = scratchDirectory(self)
        self.assertEqual(
            parse("--realm", "filesystem:" + other)["realmObject"].root,
            os.path.abspath(other))
        self.assertEqual(
            parse("--root", root, "--realm", "filesystem:" + other)[
                "realmObject"].root,
            os.path.abspath(other))
        options = parse("--root", root, "--realm", "filesystem:" + other,
                        "--vhost", "a.example=filesystem")
        self.assertEqual(options["config"].virtualHosts[0].realm.root,
                         os.path.abspath(root))

    def test_banner(self):
        """
        C{--vhost-banner NAME=TEXT} gives the host with that name its
        banner; other hosts have none.
        """
        config = parse("--vhost", "a.example,www.a.example=memory",
                       "--vhost", "b.example=memory",
                       "--vhost-banner", "WWW.a.example=Welcome to A")["config"]
        self.assertEqual([host.banner for host in config.virtualHosts],
                         ["Welcome to A", None])

    def test_badBanner(self):
        """
        A banner without C{=}, with a line break, for a name no C{--vhost}
        has, or a second one for the same host.
        """
        for args, fragment in [
                (["--vhost-banner", "a.example"], "NAME=TEXT"),
                (["--vhost-banner", "a.example=x\r\n230 y"], "control"),
                (["--vhost", "a.example=memory", "--vhost-banner",
                  "b.example=B"], "'b.example'"),
                (["--vhost", "a.example,b.example=memory", "--vhost-banner",
                  "a.example=A", "--vhost-banner", "b.example=B"],
                 "two banners"),
                (["--vhost", "a.example=memory", "--vhost-banner",
                  "a.example=A", "--vhost-banner", "A.example=B"],
                 "two banners for 'a.example'")]:
            e = self.assertRaises(usage.UsageError, parse, *args)
            self.assertTrue(str(e).startswith("--vhost-banner:"), str(e))
            self.assertIn(fragment, str(e))

    def test_rootTwice(self):
        """
        Two C{--vhost-root} for one name: the second replaced the first
        without a word.
        """
        root = self.mktemp()
        os.makedirs(root)
        e = self.assertRaises(
            usage.UsageError, parse, "--vhost", "a.example=memory",
            "--vhost-root", "a.example=" + root,
            "--vhost-root", "a.example=" + root)
        self.assertEqual(str(e), "--vhost-root: two roots for 'a.example'")

    def test_help(self):
        """
        C{--help} shows both options.
        """
        from ftpkit.deploy.tap import Options

        text = str(Options())
        self.assertIn("--vhost=", text)
        self.assertIn("--vhost-fallback", text)
        self.assertIn("--vhost-banner=", text)

    def assertRejected(self, *args):
        """
        Parsing fails with one line naming C{--vhost}.

        @return: the message.
        """
        e = self.assertRaises(usage.UsageError, parse, *args)
        message = str(e)
        self.assertTrue(message.startswith("--vhost:"), message)
        self.assertNotIn("\n", message)
        return message

    def test_bad(self):
        """
        A value without C{=}, a bad name, an unknown realm, a realm that
        refuses its argument, or a name given twice (to two C{--vhost},
        or within one).
        """
        self.assertRejected("--vhost", "a.example")
        self.assertIn("'a..b'", self.assertRejected("--vhost", "a..b=memory"))
        self.assertIn("unknown realm",
                      self.assertRejected("--vhost", "a.example=nosuch"))
        self.assertIn("not an existing directory", self.assertRejected(
            "--vhost", "a.example=filesystem:/no/such/dir"))
        refused = self.assertRejected("--vhost", "a.example=memory:x")
        # One prefix: the memory plugin named its argument as well.
        self.assertTrue(refused.startswith(
            "--vhost: memory:x: must be a number of bytes"), refused)
        self.assertIn("two virtual hosts", self.assertRejected(
            "--vhost", "a.example=memory", "--vhost", "A.example.=memory"))
        self.assertEqual(
            "--vhost: 'a' is given twice",
            self.assertRejected("--vhost", "a,a=memory"))

    def test_fallbackWithoutHosts(self):
        """
        C{--vhost-fallback} without a C{--vhost} is a usage error, as a
        C{--vhost-root} or C{--vhost-banner} naming no host is: it did
        nothing (every name already gets the default realm), silently.
        """
        e = self.assertRaises(usage.UsageError, parse, "--vhost-fallback")
        self.assertEqual(
            str(e), "--vhost-fallback: needs a --vhost (without one every "
            "HOST name gets the default realm already)")

    def test_twistdUsageError(self):
        """
        Under C{twistd}, a bad value is one line on standard error.
        """
        from ftpkit.deploy.tap import Options

        # Parsed as twistd's, the options hold the start's signals: not
        # for the tests after.
        keepSignalState(self)
        options = Options()
        options.parent = object()
        options.errorOutput = io.StringIO()
        self.assertRaises(SystemExit, options.parseOptions,
                          ["--vhost", "a.example=nosuch"])
        self.assertEqual(options.errorOutput.getvalue().count("\n"), 1)
        self.assertIn("--vhost:", options.errorOutput.getvalue())


class HelpTextTests(unittest.SynchronousTestCase):
    """
    C{--help} shows the virtual host options' text without the gaps of
    their docstrings' indentation.
    """

    def test_noGaps(self):
        """
        The help of C{--vhost}, C{--vhost-banner} and C{--vhost-root} has
        no run of spaces (L{ftpkit.deploy.tap.Options} joins each option's
        help onto one line).
        """
        docs = Options().docs
        for name in ("vhost", "vhost-banner", "vhost-root"):
            self.assertNotIn("  ", docs[name], name)
