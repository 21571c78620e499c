"""
Tests for L{ftpkit.deploy.realmplugins.buildRealm}: what a realm
plugin's C{makeRealm} gives or raises.
"""

from twisted.python import usage
from twisted.trial import unittest

from ftpkit.deploy.realmplugins import buildRealm
from ftpkit.realms import MemoryRealm


class GivingPlugin:
    """
    A realm plugin whose C{makeRealm} gives C{realm}, or raises it if it
    is an exception.
    """

    name = "giving"

    def __init__(self, realm):
        """
        @param realm: what C{makeRealm} gives or raises.
        """
        self.realm = realm

    def makeRealm(self, argument, options):
        """
        @return: C{realm}.
        """
        if isinstance(self.realm, Exception):
            raise self.realm
        return self.realm


class BuildRealmTests(unittest.TestCase):
    """
    L{buildRealm} hands on a realm and turns a plugin's refusal, or what
    is no realm, into a usage error.
    """

    def test_realm(self):
        """
        A realm is handed on as it is.
        """
        realm = MemoryRealm()
        self.assertIs(buildRealm(GivingPlugin(realm), "", {}, "--realm"),
                      realm)

    def test_refused(self):
        """
        A C{ValueError} is a usage error naming the option.
        """
        error = self.assertRaises(
            usage.UsageError, buildRealm,
            GivingPlugin(ValueError("giving: bad")), "x", {}, "--realm")
        self.assertEqual(str(error), "--realm: giving: bad")

    def test_notRealm(self):
        """
        C{None}, or anything without C{requestAvatar}, is a usage error
        naming the plugin (the server started with it, and answered each
        login 451 with a traceback).
        """
        for given in (None, object()):
            error = self.assertRaises(
                usage.UsageError, buildRealm, GivingPlugin(given), "", {},
                "--realm")
            self.assertIn("--realm: the realm plugin 'giving' gave",
                          str(error))
            self.assertIn("not a realm (no requestAvatar)", str(error))

    def test_realmClass(self):
        """
        A realm's class rather than a realm (C{return MemoryRealm}) is a
        usage error saying to call it (the server started, and every
        login got 451: C{requestAvatar} was called on the class).
        """
        error = self.assertRaises(
            usage.UsageError, buildRealm, GivingPlugin(MemoryRealm), "", {},
            "--realm")
        self.assertEqual(str(error), "--realm: the realm plugin 'giving' gave"
                         " the class MemoryRealm, not a realm: call it, "
                         "MemoryRealm(...)")

    def test_importError(self):
        """
        An C{ImportError} (the module of the realm, imported in
        C{makeRealm} as the tutorial does, is missing) is a usage error
        naming the plugin and the error, where it was a traceback.
        """
        error = self.assertRaises(
            usage.UsageError, buildRealm,
            GivingPlugin(ModuleNotFoundError("No module named 'tenants'")),
            "", {}, "--realm")
        self.assertEqual(str(error), "--realm: the realm plugin 'giving' "
                         "failed to import its realm: ModuleNotFoundError: "
                         "No module named 'tenants'")
