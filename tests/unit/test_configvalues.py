"""
Tests for L{ftpkit.configvalues}: a L{ServerConfig} refuses the values
its command-line options refuse, for the same reason.
"""

from ipaddress import ip_network

from twisted.python import usage
from twisted.trial import unittest

from ftpkit.config import ServerConfig
from ftpkit.configvalues import (
    RULES,
    listenDescriptions,
    mappedLeftOut,
    operatorNetwork,
)
from ftpkit.control.proxied import inNetworks
from ftpkit.control.sessionlimits import AddressRules
from ftpkit.control.vhosts import VirtualHost
from tests.tapoptions import parse

BAD = {
    "banner": "ready\r\n230 forged",
    "umask": 0o777,
    "passivePorts": (60100, 60000),
    "maxConnections": 0,
    "maxConnectionsPerIP": -1,
    "ipv6PrefixLength": 0,
    "maxPassivePerIP": 0,
    "workers": 0,
    "idleTimeout": 0,
    "loginTimeout": float("inf"),
    "dataTimeout": -1.0,
    "maxLoginAttempts": 0,
    "logFormat": "xml",
    "maxSessionsPerUser": 0,
    "shutdownGrace": -1,
    "maxDownloadRate": 0,
    "maxUploadRate": 0.5,
    "maxTotalRate": -5,
    "maxUploadSize": 0,
    "allowFrom": "10.0.0.0/8",
    "denyFrom": ("10.0.0.0/33",),
    "trustedProxies": ("127.0.0.1", "balancer"),
    "onUpload": "/usr/bin/logger uploaded",
    "hashAlgorithms": ("SHA-256", "BLAKE"),
    "virtualHosts": ("ftp.example.com",),
}
"""A value each checked field refuses."""

SAME_REASON = [
    ("--umask", "777", "umask", 0o777),
    ("--umask", "100", "umask", 0o100),
    ("--max-connections", "0", "maxConnections", 0),
    ("--passive-ports", "2000-1500", "passivePorts", (2000, 1500)),
    ("--ipv6-prefix-length", "129", "ipv6PrefixLength", 129),
    ("--log-format", "xml", "logFormat", "xml"),
    ("--shutdown-grace", "-1", "shutdownGrace", -1),
    ("--max-upload-size", "0", "maxUploadSize", 0),
]
"""C{(option, text, field, value)}: the option's text and the field's
value that break the same rule."""


class ServerConfigValuesTests(unittest.TestCase):
    """
    L{ServerConfig} checks its values.
    """

    def test_umask(self):
        """
        A mask taking an owner bit is a L{ValueError} naming C{umask} and
        saying why, as C{--umask} is a usage error: it was taken, and a
        server (not root) could not read back or enter what users stored.
        Masks of group and other bits are taken.
        """
        for mask in (0o777, 0o400, 0o200, 0o100, 0o1000, -1):
            e = self.assertRaises(ValueError, ServerConfig, umask=mask)
            self.assertTrue(str(e).startswith("ServerConfig umask: must "),
                            str(e))
        e = self.assertRaises(ValueError, ServerConfig, umask=0o777)
        self.assertEqual(
            str(e), "ServerConfig umask: must leave the owner's bits (at "
            "most 077), not 777: the server could not read back, replace "
            "or enter what it stores")
        for mask in (None, 0, 0o022, 0o027, 0o077):
            self.assertEqual(ServerConfig(umask=mask).umask, mask)

    def test_everyRule(self):
        """
        Each field the command line checks refuses a value its option
        refuses, naming the field.
        """
        self.assertEqual(set(BAD), set(RULES))
        for name, value in BAD.items():
            e = self.assertRaises(ValueError, ServerConfig, **{name: value})
            self.assertTrue(str(e).startswith(f"ServerConfig {name}: "),
                            str(e))

    def test_defaultsAndNone(self):
        """
        The defaults pass, and C{None} where a field takes it (no limit).
        """
        ServerConfig()
        ServerConfig(**{name: None for name, (_, optional) in RULES.items()
                        if optional})

    def test_noIdleTimeout(self):
        """
        C{idleTimeout=None}, no idle limit (C{TimeoutMixin}'s C{None}),
        which embedding code could give before the config checked its
        values, is still taken.
        """
        self.assertIsNone(ServerConfig(idleTimeout=None).idleTimeout)

    def test_sameReason(self):
        """
        The option's usage error and the field's error give the same
        reason: one rule checks both.
        """
        for option, text, name, value in SAME_REASON:
            error = self.assertRaises(usage.UsageError, parse, option, text)
            byOption = str(error).removeprefix(option + ": ")
            byField = str(self.assertRaises(
                ValueError, ServerConfig, **{name: value})).removeprefix(
                    f"ServerConfig {name}: ")
            # The option names the text typed, the field the value.
            self.assertEqual(byOption.split(", not ")[0],
                             byField.split(", not ")[0], option)


class ContainerFieldsTests(unittest.TestCase):
    """
    The fields that hold several values refuse one string, and take the
    natural forms that are not ambiguous.
    """

    def test_oneStringRefused(self):
        """
        One string where a tuple is expected is a L{ValueError} naming the
        field and showing the tuple to write: it was taken, and its
        characters used as the values (C{onUpload} ran C{['/', 'u', 's',
        ...]}, C{allowFrom} failed in L{FTPFactory} on the network C{1}).
        """
        for name, text, written in [
                ("onUpload", "/usr/bin/logger uploaded",
                 '("/usr/bin/logger", "uploaded")'),
                ("allowFrom", "10.0.0.0/8", '("10.0.0.0/8",)'),
                ("denyFrom", "10.0.0.0/8", '("10.0.0.0/8",)'),
                ("trustedProxies", "127.0.0.1", '("127.0.0.1",)'),
                ("hashAlgorithms", "SHA-256", '("SHA-256",)'),
                ("virtualHosts", "ftp.example.com",
                 '(VirtualHost(("ftp.example.com",), '
                 '"filesystem:/srv/example", realm),)')]:
            e = str(self.assertRaises(ValueError, ServerConfig,
                                      **{name: text}))
            self.assertTrue(e.startswith(
                f"ServerConfig {name}: must be a tuple of "), e)
            self.assertIn(f"not the string {text!r}: write {written}", e)

    def test_otherContainersRefused(self):
        """
        Bytes are refused as one string is, with the tuple to write; a
        container that is no C{tuple} or C{list} (a C{set}: no order, a
        C{dict}) is a L{ValueError} naming the field.
        """
        for name, value, said in [
                ("allowFrom", b"10.0.0.0/8",
                 "not the string b'10.0.0.0/8': write"),
                ("onUpload", b"/bin/true", "not the string b'/bin/true'"),
                ("denyFrom", {"10.0.0.0/8"}, "not {'10.0.0.0/8'}"),
                ("trustedProxies", {"127.0.0.1": 1},
                 "not {'127.0.0.1': 1}")]:
            e = str(self.assertRaises(ValueError, ServerConfig,
                                      **{name: value}))
            self.assertTrue(e.startswith(
                f"ServerConfig {name}: must be a tuple of "), e)
            self.assertIn(said, e)

    def test_hashNames(self):
        """
        C{hashAlgorithms} holds the names C{HASH} knows in upper case, as
        C{OPTS HASH} compares them (C{"sha-256"} was offered in C{FEAT}
        and refused by C{OPTS HASH SHA-256}); none, or a name C{HASH}
        does not know, is a L{ValueError} naming the field (C{FEAT} got
        C{501 Unknown algorithm}; C{()}: C{OPTS HASH} a C{451}); so is a
        name given twice, in any case (C{FEAT} listed it twice).
        """
        self.assertEqual(
            ServerConfig(hashAlgorithms=["sha-256", " md5"]).hashAlgorithms,
            ("SHA-256", "MD5"))
        self.assertEqual(ServerConfig().hashAlgorithms,
                         ("SHA-256", "SHA-512", "SHA-1", "MD5"))
        for bad, said in [((), "needs an algorithm"), (("BLAKE2",), "BLAKE2"),
                          ((256,), "256"), ((b"MD5",), "b'MD5'"),
                          (("SHA-256", "md5", " sha-256"),
                           "names SHA-256 twice (' sha-256')")]:
            e = str(self.assertRaises(ValueError, ServerConfig,
                                      hashAlgorithms=bad))
            self.assertTrue(e.startswith("ServerConfig hashAlgorithms: "), e)
            self.assertIn(said, e)

    def test_virtualHostItems(self):
        """
        C{virtualHosts} takes L{VirtualHost}s (a list, held as a tuple);
        an item that is none, or one whose names are one string, is a
        L{ValueError} naming the field: C{HOST} read one string's
        characters as one-letter names.
        """
        host = VirtualHost(("a.example",), "memory", object())
        self.assertEqual(ServerConfig(virtualHosts=[host]).virtualHosts,
                         (host,))
        for bad, said in [
                (("a.example",), "not one holding 'a.example'"),
                ((VirtualHost("a.example", "memory", object()),),
                 "a VirtualHost's names must be a tuple of host names, "
                 "not the string 'a.example'")]:
            e = str(self.assertRaises(ValueError, ServerConfig,
                                      virtualHosts=bad))
            self.assertTrue(e.startswith("ServerConfig virtualHosts: "), e)
            self.assertIn(said, e)

    def test_notNetworksRefused(self):
        """
        An item that is no network text (or L{ipaddress} value) is a
        L{ValueError} naming the field: an C{int} was taken as an address
        (C{5}, C{0.0.0.5/32}), as were 4 or 16 bytes.
        """
        for name in ("allowFrom", "denyFrom", "trustedProxies"):
            for item in (5, b"\x7f\x00\x00\x01", None):
                e = str(self.assertRaises(ValueError, ServerConfig,
                                          **{name: (item,)}))
                self.assertTrue(e.startswith(f"ServerConfig {name}: "), e)
                self.assertIn(repr(item), e)
        self.assertEqual(
            ServerConfig(trustedProxies=(ip_network("10.0.0.0/8"),))
            .trustedProxies, (ip_network("10.0.0.0/8"),))

    def test_listenDescriptions(self):
        """
        L{listenDescriptions}: one description alone is one; none, bytes
        or another type is a L{ValueError} saying what a description is.
        """
        self.assertEqual(listenDescriptions("tcp:0"), ("tcp:0",))
        self.assertEqual(listenDescriptions(["tcp:0", "tcp6:0"]),
                         ("tcp:0", "tcp6:0"))
        for bad, said in [(b"tcp:0", "b'tcp:0'"), ([], "nothing"),
                          ([b"tcp:0"], "b'tcp:0'"), (2121, "2121")]:
            e = str(self.assertRaises(ValueError, listenDescriptions, bad))
            self.assertTrue(e.startswith("listen: "), e)
            self.assertIn(said, e)

    def test_trustedProxyTexts(self):
        """
        C{trustedProxies} given as texts, as C{--trusted-proxy} and
        C{allowFrom} take them, holds them as networks, which C{haproxy:}
        listeners match peers against: the texts were kept, and every
        connection to such a listener raised C{TypeError}.
        """
        config = ServerConfig(trustedProxies=("127.0.0.1", "10.0.0.0/8"))
        self.assertEqual(config.trustedProxies,
                         (ip_network("127.0.0.1/32"),
                          ip_network("10.0.0.0/8")))
        self.assertTrue(inNetworks("10.1.2.3", config.trustedProxies))
        self.assertFalse(inNetworks("192.0.2.1", config.trustedProxies))
        self.assertEqual(ServerConfig().trustedProxies,
                         ServerConfig.trustedProxies)

    def test_addressRulesNormal(self):
        """
        C{allowFrom} and C{denyFrom} hold their networks in normal form,
        as C{--allow-from} does, which the factory's rules read: a host
        address with a prefix (C{10.0.0.1/8}) made C{FTPFactory} raise.
        """
        config = ServerConfig(allowFrom=("10.0.0.1/8", " ::1 "),
                              denyFrom=["10.9.0.0/16"])
        self.assertEqual(config.allowFrom, ("10.0.0.0/8", "::1/128"))
        self.assertEqual(config.denyFrom, ("10.9.0.0/16",))
        rules = AddressRules(config.allowFrom, config.denyFrom)
        self.assertTrue(rules.allows("10.1.0.1"))
        self.assertFalse(rules.allows("10.9.0.1"))

    def test_lists(self):
        """
        A C{list} is held as a C{tuple}, so that the config stays a value
        (hashable) and the command's arguments cannot change under it.
        """
        config = ServerConfig(onUpload=["/bin/true", "x"],
                              passivePorts=[2000, 3000])
        self.assertEqual(config.onUpload, ("/bin/true", "x"))
        self.assertEqual(config.passivePorts, (2000, 3000))
        hash(config)

    def test_badArguments(self):
        """
        An empty argument list, or one holding what is no argument, is
        refused.
        """
        for value, why in [((), "needs a command, not ()"),
                           (("/bin/true", 1),
                            "must be a tuple of str, not one holding 1")]:
            e = self.assertRaises(ValueError, ServerConfig, onUpload=value)
            self.assertEqual(str(e), f"ServerConfig onUpload: {why}")

class OperatorNetworkTests(unittest.TestCase):
    """
    L{operatorNetwork}: a network written in the IPv4-mapped form is the
    IPv4 network it stands for, which is how its clients are matched.
    """

    def test_mapped(self):
        self.assertEqual(operatorNetwork("::ffff:127.0.0.4/128"),
                         ip_network("127.0.0.4/32"))
        self.assertEqual(operatorNetwork("::ffff:127.0.0.4"),
                         ip_network("127.0.0.4/32"))
        self.assertEqual(operatorNetwork("::ffff:10.1.2.3/104"),
                         ip_network("10.0.0.0/8"))
        self.assertEqual(operatorNetwork("::ffff:0:0/96"),
                         ip_network("0.0.0.0/0"))

    def test_others(self):
        """
        IPv4 networks, other IPv6 ones (a wider one holding the mapped
        block too) and NAT64's are kept as written.
        """
        for text in ("10.0.0.0/8", "::/0", "::fffe:0:0/95", "::1",
                     "64:ff9b::/96", "2001:db8::/32"):
            self.assertEqual(operatorNetwork(text),
                             ip_network(text))
        self.assertEqual(operatorNetwork(" 10.1.2.3/8 "),
                         ip_network("10.0.0.0/8"))

    def test_bad(self):
        for text in ("10.0.0.0/33", "example.com", "::ffff:1.2.3.4/129"):
            self.assertRaises(ValueError, operatorNetwork, text)

    def test_mappedLeftOut(self):
        """
        L{mappedLeftOut} tells the IPv6 networks that hold the whole
        IPv4-mapped block but match no IPv4 client; not the mapped
        networks (read as IPv4), nor others.
        """
        for text in ("::/0", "::/64", "::ffff:0:0/95"):
            self.assertTrue(mappedLeftOut(operatorNetwork(text)), text)
        for text in ("::ffff:0:0/96", "::ffff:10.0.0.0/104", "0.0.0.0/0",
                     "::1", "2001:db8::/32", "::fffe:0:0/96"):
            self.assertFalse(mappedLeftOut(operatorNetwork(text)), text)
