"""
Tests for L{ftpkit.shells.nestedquotas} and L{ftpkit.shells.uploadends}.
"""

from twisted.internet import defer
from twisted.trial import unittest
from zope.interface import directlyProvides

from ftpkit.errors import ServiceUnavailable
from ftpkit.fileinfo import StorageChange
from ftpkit.interfaces import IPartialWriteFile
from ftpkit.shells.nestedquotas import Neighbours, QuotaHomes, SharedHomes
from ftpkit.shells.quotas import QuotaUsage
from ftpkit.shells.uploadends import ThenFinished

NESTED_CASES = [
    ([((), False), (("bob",), True)], True),
    ([(("bob",), True), ((), False)], True),
    ([((), True), (("bob",), False)], True),
    ([((), True), (("bob",), True)], True),
    ([(("bob",), True), (("bob",), False)], True),
    ([(("bob",), True), (("bob",), True)], False),
    ([(("bob",), True), (("bobby",), True), (("al",), False)], False),
    ([((), False), (("bob",), False)], False),
]
"""C{(homes, nested)}: C{(home, limited)} pairs added in that order, and
whether they are nested (L{QuotaHomes.nested})."""


class _Homes:
    """
    A L{QuotaHomes} whose usages are made on demand and kept, by home.
    """

    def __init__(self, *homes):
        """
        @param homes: C{(home, limited)} pairs to add.
        """
        self.usages = {}
        self.homes = QuotaHomes(self.usageOf)
        for home, limited in homes:
            self.homes.add(home, limited)

    def usageOf(self, home):
        """
        @return: the usage of C{home}, made measured on first use.
        """
        if home not in self.usages:
            usage = self.usages[home] = QuotaUsage(lambda: 0)
            usage.stale = False
        return self.usages[home]

    def stale(self):
        """
        @return: the homes whose usage was invalidated.
        """
        return {home for home, usage in self.usages.items() if usage.stale}


class QuotaHomesTests(unittest.TestCase):
    """
    L{QuotaHomes}.
    """

    def test_nested(self):
        """
        Homes are nested when a quota's home contains, lies within, or is
        the home of a user without a quota; not when none overlaps, nor
        when no quota is among them.
        """
        for homes, nested in NESTED_CASES:
            self.assertEqual(_Homes(*homes).homes.nested, nested, homes)

    def test_touchedBy(self):
        """
        A known change at a path within a quota's home is counted there,
        not measured again; a quota whose home is the path, or lies below
        it, is measured again, and so is every one when the change is not
        known.
        """
        homes = _Homes(((), False), (("bob",), True), (("bob", "x"), True))
        for usage in map(homes.usageOf, [("bob",), ("bob", "x")]):
            usage.used, usage.files = 100, 10
        homes.homes.touched(("bob", "f"), None, StorageChange(-30, -1))
        self.assertEqual(homes.stale(), set())
        bob = homes.usages[("bob",)]
        self.assertEqual((bob.used, bob.files), (70, 9))
        homes.homes.touched(("bob", "x"), None, StorageChange(0, 1))
        self.assertEqual(homes.stale(), {("bob", "x")})
        self.assertEqual((bob.used, bob.files), (70, 10))
        homes.homes.touched(("bob", "g"), None)
        self.assertEqual(homes.stale(), {("bob",), ("bob", "x")})

    def test_touched(self):
        """
        A change invalidates every quota whose home contains the path,
        or lies below it, but the changing session's own.
        """
        homes = _Homes(((), True), (("bob",), True), (("bob", "x"), True),
                       (("carol",), True))
        homes.homes.touched(("bob", "f"), ())
        self.assertEqual(homes.stale(), {("bob",)})
        homes = _Homes(((), True), (("bob",), True), (("bob", "x"), True),
                       (("carol",), True))
        homes.homes.touched(("bob",), None)
        self.assertEqual(homes.stale(), {(), ("bob",), ("bob", "x")})

    def test_touchedNotNested(self):
        """
        Where no homes are nested, a change asks for no usage.
        """
        homes = _Homes((("bob",), True), (("carol",), False))
        homes.homes.touched(("bob", "f"), None)
        self.assertEqual(homes.usages, {})

    def test_droppedNotNested(self):
        """
        A file the server dropped of its own accord (a partial upload,
        for room on a full disk) is counted by the quota whose home held
        it, nested or not: no session told it.
        """
        homes = _Homes((("bob",), True), (("carol",), False))
        bob = homes.usageOf(("bob",))
        bob.used, bob.files = 100, 10
        homes.homes.dropped(("bob", "d", ".ftpkit-partial.f"),
                            StorageChange(-30, -1))
        self.assertEqual((bob.used, bob.files, homes.stale()), (70, 9, set()))
        shared = SharedHomes()
        shared.join(homes, lambda realm, home: homes.usageOf(home),
                    [(("bob",), True)])
        shared.dropped(("bob", "g"), StorageChange(-20, -1))
        self.assertEqual((bob.used, bob.files), (50, 8))

    def test_readsLeft(self):
        """
        A file another user removes while a download of the quota's user
        reads it is held by that download (L{OpenReads.left}), in the
        quota's own paths.
        """
        homes = _Homes(((), False), (("bob",), True))
        usage = homes.usageOf(("bob",))
        usage.reads.opened(("f",), 10)
        homes.homes.touched(("bob", "f"), None)
        self.assertEqual(usage.reads.held, 10)

    def test_unavailable(self):
        """
        A quota whose usage cannot be had (its ledger cannot be opened)
        is passed over.
        """
        def usageOf(home):
            raise ServiceUnavailable("no ledger")

        homes = QuotaHomes(usageOf)
        homes.add((), False)
        homes.add(("bob",), True)
        homes.touched(("bob", "f"), None)


class _Upload:
    """
    An upload recording what was called.
    """

    def __init__(self):
        self.calls = []

    def close(self):
        self.calls.append("close")
        return defer.succeed(None)

    def abort(self):
        self.calls.append("abort")
        return defer.succeed(None)

    def discard(self):
        self.calls.append("discard")
        return defer.succeed(None)


class ThenFinishedTests(unittest.TestCase):
    """
    L{ThenFinished}.
    """

    def test_ends(self):
        """
        Committing, aborting or discarding the upload calls C{finished}
        once it is done (with whether it was committed), not before; the
        upload's interfaces are kept.
        """
        for end, committed in (("close", True), ("abort", False),
                               ("discard", False)):
            upload = _Upload()
            directlyProvides(upload, IPartialWriteFile)
            ends = []
            watched = ThenFinished(upload, ends.append)
            self.assertTrue(IPartialWriteFile.providedBy(watched))
            self.assertEqual(ends, [])
            self.successResultOf(getattr(watched, end)())
            self.assertEqual((upload.calls, ends), ([end], [committed]))


class NeighboursTests(unittest.TestCase):
    """
    L{Neighbours}.
    """

    def test_touchedInOwnPaths(self):
        """
        L{Neighbours.touched} takes the session's paths, below its home.
        """
        homes = _Homes((("srv",), False), (("srv", "bob"), True))
        neighbours = Neighbours(homes.homes, ("srv",), False)
        self.assertTrue(neighbours.nested)
        neighbours.touched(("bob", "f"))
        self.assertEqual(homes.stale(), {("srv", "bob")})

    def test_holdsOthers(self):
        """
        L{Neighbours.holdsOthers} tells whether another quota's home is
        the session's or lies below it.
        """
        homes = _Homes(((), False), (("bob",), True), (("bob", "x"), False),
                       (("al",), True))
        self.assertTrue(Neighbours(homes.homes, (), False).holdsOthers)
        self.assertFalse(Neighbours(homes.homes, ("bob",), True).holdsOthers)
        self.assertTrue(Neighbours(homes.homes, ("bob",), False).holdsOthers)
        self.assertFalse(
            Neighbours(homes.homes, ("bob", "x"), False).holdsOthers)

    def test_ownQuota(self):
        """
        A session with a quota leaves its own home's usage alone (it
        keeps it up to date itself).
        """
        homes = _Homes(((), True), (("bob",), True))
        Neighbours(homes.homes, ("bob",), True).touched(("f",))
        self.assertEqual(homes.stale(), {()})


class _Realm:
    """
    A realm of L{SharedHomes}: only its identity matters.
    """


class SharedHomesMixin:
    """
    A L{SharedHomes} in C{self.shared}, whose realms' usages are those of
    one L{_Homes} (L{usageOf}).
    """

    def setUp(self):
        self.usages = _Homes()
        self.shared = SharedHomes()

    def usageOf(self, realm, home):
        """
        @return: the usage of C{home}, the same whichever realm asks.
        """
        self.assertIsInstance(realm, _Realm)
        return self.usages.usageOf(home)


class SharedHomesTests(SharedHomesMixin, unittest.TestCase):
    """
    L{SharedHomes}: the homes of several realms of a process as one.
    """

    def test_acrossRealms(self):
        """
        A change one realm's session makes is told to the quota of a home
        only another realm knows, holding it.
        """
        default, virtual = _Realm(), _Realm()
        self.shared.join(default, self.usageOf,
                         [(("srv", "bob"), True)])
        self.shared.join(virtual, self.usageOf, [])
        self.shared.add(virtual, ("srv", "bob", "www", "carol"), False)
        self.assertTrue(self.shared.nested)
        bob = self.usages.usageOf(("srv", "bob"))
        bob.used, bob.files = 100, 1
        Neighbours(self.shared, ("srv", "bob", "www", "carol"),
                   False).touched(("f",), StorageChange(50, 1))
        self.assertEqual((bob.used, bob.files), (150, 2))

    def test_toldOnce(self):
        """
        A home two realms know is told of a change once.
        """
        realms = [_Realm(), _Realm()]
        for realm in realms:
            self.shared.join(realm, self.usageOf,
                             [((), False), (("bob",), True)])
        bob = self.usages.usageOf(("bob",))
        bob.used, bob.files = 100, 1
        self.shared.touched(("bob", "f"), None, StorageChange(7, 1))
        self.assertEqual((bob.used, bob.files), (107, 2))

    def test_joinReplaces(self):
        """
        A realm joining again (its users read again) gives its homes in
        place of those it gave before; homes added at login stay known
        until then, and a realm gone takes its homes with it.
        """
        realm = _Realm()
        self.shared.join(realm, self.usageOf,
                         [((), False), (("bob",), True)])
        self.assertTrue(self.shared.nested)
        self.shared.join(realm, self.usageOf, [((), False)])
        self.assertFalse(self.shared.nested)
        self.shared.add(realm, ("al",), True)
        self.assertTrue(self.shared.holdsOther((), None))
        del realm
        self.assertFalse(self.shared.holdsOther((), None))

    def test_rejoinBeforeAnswering(self):
        """
        A realm whose users were read again (a C{SIGHUP} reload giving bob
        a quota) gives its homes again before the next answer, through the
        C{rejoin} it joined with: a session opened before the reload (a
        L{Neighbours} of the same homes) tells bob's quota of its change
        in his home at once. It was told only once a login to that realm
        had joined it again, and the quota was exceeded meanwhile.
        """
        realm = _Realm()
        realm.quota = False
        rejoined = []

        def rejoin(realm):
            rejoined.append(realm)
            if realm.quota != realm.joined:
                realm.joined = realm.quota
                self.shared.join(realm, self.usageOf,
                                 [((), False), (("bob",), realm.quota)],
                                 rejoin)

        realm.joined = None
        rejoin(realm)
        admin = Neighbours(self.shared, (), False)
        self.assertFalse(admin.nested)
        realm.quota = True
        bob = self.usages.usageOf(("bob",))
        bob.used, bob.files = 100, 1
        self.assertTrue(admin.nested)
        admin.touched(("bob", "f"), StorageChange(50, 1))
        self.assertEqual((bob.used, bob.files), (150, 2))
        self.assertIs(rejoined[-1], realm)
