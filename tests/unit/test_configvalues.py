"""
Tests for L{ftpkit.configvalues}: a L{ServerConfig} refuses the values
its command-line options refuse, for the same reason.
"""

from twisted.python import usage
from twisted.trial import unittest

from ftpkit.config import ServerConfig
from ftpkit.configvalues import RULES
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
