"""
Tests for L{ftpkit.deploy.tap}: the C{twistd ftpkit} options, their
defaults and where each value goes. Bad values, C{ssl:} listeners, the
service and C{--help} have modules of their own (C{test_tapbadvalues},
C{test_tapimplicit}, C{test_tapservice}, C{test_taphelp}), as do logins
(C{test_tapauth}).
"""

import os

from twisted.cred import checkers
from twisted.trial import unittest

from ftpkit.auth.realms import (
    FilesystemRealm,
    MemoryRealm,
)
from ftpkit.config import ServerConfig
from ftpkit.errors import PermissionDenied
from ftpkit.interfaces import IFTPShell
from tests.scratch import scratchDirectory
from tests.tapoptions import parse


class DefaultsTests(unittest.TestCase):
    """
    With no option, the documented defaults apply.
    """

    def test_config(self):
        """
        The config is L{ServerConfig}'s defaults.
        """
        self.assertEqual(parse()["config"], ServerConfig())

    def test_listen(self):
        """
        The server listens on C{tcp:2121}.
        """
        self.assertEqual(parse()["listen"], ["tcp:2121"])

    def test_root(self):
        """
        The root is the current directory, with the filesystem realm.
        """
        options = parse()
        self.assertEqual(options["root"], os.getcwd())
        self.assertIsInstance(options["realmObject"], FilesystemRealm)
        self.assertEqual(options["realmObject"].root, os.getcwd())

    def test_noCheckers(self):
        """
        Without C{--auth} there is no checker.
        """
        self.assertEqual(parse().get("credCheckers", []), [])


class OptionTests(unittest.TestCase):
    """
    Each option reaches the L{ServerConfig} or the realm.
    """

    def test_listenRepeatable(self):
        """
        C{--listen} may be given several times, in order.
        """
        options = parse(
            "--listen", "tcp:2121:interface=127.0.0.1",
            "--listen", "tcp6:2121:interface=\\:\\:1",
        )
        self.assertEqual(
            options["listen"],
            ["tcp:2121:interface=127.0.0.1", "tcp6:2121:interface=\\:\\:1"],
        )

    def test_root(self):
        """
        C{--root} is made absolute and handed to the realm.
        """
        root = scratchDirectory(self)
        options = parse("--root", root)
        self.assertEqual(options["root"], os.path.abspath(root))
        self.assertEqual(options["realmObject"].root, os.path.abspath(root))

    def test_flags(self):
        """
        C{--read-only} and C{--anonymous-write} reach the config.
        """
        self.assertTrue(parse("--read-only")["config"].readOnly)
        self.assertTrue(parse("--anonymous-write")["config"].anonymousWrite)

    def test_homePerUser(self):
        """
        C{--home-per-user} reaches the filesystem realm.
        """
        root = scratchDirectory(self)
        realm = parse("--root", root, "--home-per-user")["realmObject"]
        self.assertEqual(realm.homeFor("alice"), os.path.join(realm.root, "alice"))

    def test_homePerUserSomewhere(self):
        """
        C{--home-per-user} with C{--realm memory} (refused alone: see
        L{tests.badoptions}) is taken when a C{--vhost}'s realm has homes,
        as it is with a users file, whose entries give the homes.
        """
        root = scratchDirectory(self)
        users = os.path.join(root, "users.toml")
        with open(users, "w") as f:
            f.write('[users.anonymous]\nhome = "pub"\n')
        hosts = parse("--root", root, "--home-per-user", "--realm", "memory",
                      "--vhost", "a.example=filesystem")["config"].virtualHosts
        realm = hosts[0].realm
        self.assertEqual(realm.homeFor("alice"), os.path.join(realm.root, "alice"))
        parse("--root", root, "--home-per-user", "--realm", f"users:{users}")

    def test_numbers(self):
        """
        Numeric options are converted.
        """
        config = parse(
            "--max-connections", "10",
            "--max-connections-per-ip", "2",
            "--idle-timeout", "2.5",
            "--max-login-attempts", "5",
            "--ipv6-prefix-length", "48",
        )["config"]
        self.assertEqual(
            (config.maxConnections, config.maxConnectionsPerIP,
             config.idleTimeout, config.maxLoginAttempts,
             config.ipv6PrefixLength),
            (10, 2, 2.5, 5, 48),
        )

    def test_dataTimeout(self):
        """
        C{--data-timeout} sets the seconds a data connection may stall
        (vsftpd's C{data_connection_timeout}, ProFTPD's
        C{TimeoutStalled}); 60 by default.
        """
        self.assertEqual(parse()["config"].dataTimeout, 60)
        self.assertEqual(
            parse("--data-timeout", "7.5")["config"].dataTimeout, 7.5)

    def test_passive(self):
        """
        C{--passive-ports} becomes a pair and C{--passive-address} a
        normalised address.
        """
        config = parse(
            "--passive-ports", "60000-60010",
            "--passive-address", "203.0.113.7",
        )["config"]
        self.assertEqual(config.passivePorts, (60000, 60010))
        self.assertEqual(config.passiveAddress, "203.0.113.7")

    def test_singlePassivePort(self):
        """
        A range may hold one port.
        """
        config = parse("--passive-ports", "1024-1024")["config"]
        self.assertEqual(config.passivePorts, (1024, 1024))

    def test_banner(self):
        """
        C{--banner} sets the greeting.
        """
        self.assertEqual(parse("--banner", "hello")["config"].banner, "hello")

    def test_realm(self):
        """
        C{--realm} picks the plugin by name.
        """
        options = parse("--realm", "memory")
        self.assertEqual(options["realmPlugin"].name, "memory")
        self.assertIsInstance(options["realmObject"], MemoryRealm)

    def test_memoryRealmSize(self):
        """
        C{--realm memory} holds 256 MiB by default, C{memory:SIZE} that
        size.
        """
        realm = parse("--realm", "memory")["realmObject"]
        self.assertEqual(realm.shell.maxBytes, 256 << 20)
        realm = parse("--realm", "memory:1.5M")["realmObject"]
        self.assertEqual(realm.shell.maxBytes, 1536 << 10)

    def test_readOnlyReachesRealm(self):
        """
        C{--read-only} makes the realm's shells read-only.
        """
        realm = parse("--realm", "memory", "--read-only")["realmObject"]
        _, shell, _ = realm.requestAvatar("alice", None, IFTPShell)
        return self.assertFailure(shell.makeDirectory(("d",)), PermissionDenied)

    def test_anonymousWriteReachesRealm(self):
        """
        C{--anonymous-write} lets the realm's anonymous shells upload.
        """
        realm = parse("--realm", "memory", "--anonymous-write")["realmObject"]
        _, shell, _ = realm.requestAvatar(checkers.ANONYMOUS, None, IFTPShell)
        return shell.makeDirectory(("d",))
