"""
Quotas over homes nested in one another: with C{admin}'s home the root
and C{bob}'s C{/bob}, held to a quota, what C{admin} stores, removes or
renames under C{/bob} is C{bob}'s too, and what C{bob} does is counted
by a quota C{admin} may have. A session keeps its own home's usage
(L{ftpkit.shells.quotas.QuotaUsage}) up to date; L{QuotaHomes} tells each
change the other quotas' homes it touched: a home that holds the path
changed counts the bytes and entries the change added or took away where
they are known (L{ftpkit.shells.nestedchanges}), any other is measured
again when next needed (its counts before that may be off by what the
change did).

Homes are tuples of segments on one storage (the absolute path of a
disk home, a path under an fsspec realm's root). A realm whose homes
overlap none of its quotas' homes pays one test per change
(L{QuotaHomes.nested}).

The realms of one process that serve the local disk (the default one and
each C{--vhost}'s, whose C{--vhost-root} may lie in a home of the
default's) share one L{SharedHomes}, L{DISK_HOMES}: a change made through
one realm is told to the quotas of every realm's homes that hold it,
each once, as within one realm. A reload of a realm's users (a quota
given, a home moved) reaches it before its next answer, for every
session (L{SharedHomes.join}); the homes it replaced are let go of a
slice at a time (L{KnownHomes.parts}).
"""

import weakref

from twisted.internet import task
from twisted.python import threadable

from ftpkit.auth.outofsight import SLICE, releaseOnceAlone
from ftpkit.errors import FTPError, ServiceUnavailable
from ftpkit.protocol import paths

_NONE = frozenset()


class QuotaHomes:
    """
    The homes of a realm's users, and which of them are held to a quota.

    @ivar nested: whether a quota's home overlaps (contains, lies within,
        or is) the home of another user, one without a quota where it is
        the same home: only then can a session's change touch a quota
        other than its own.
    """

    def __init__(self, usageOf, base=None):
        """
        @param usageOf: gives the L{ftpkit.shells.quotas.QuotaUsage} of a
            quota's home (the one its sessions share).
        @param base: a L{QuotaHomes} whose homes this one holds too,
            without a copy (L{KnownHomes.built}), left as it is; or
            C{None}.
        """
        self._usageOf = usageOf
        self._base = base
        self._kinds = {}
        self._below = {}
        self._limitedBelow = {}
        self.nested = False if base is None else base.nested

    def tables(self):
        """
        @return: a C{list} of this one's own tables (not its base's),
            C{dict}s.
        """
        return [self._kinds, self._below, self._limitedBelow]

    def _find(self, table, key):
        """
        @param table: the name of a table of sets (C{"_kinds"},
            C{"_below"}, C{"_limitedBelow"}).
        @param key: a tuple of segments.
        @return: the set at C{key} in that table, with the base's.
        """
        found = getattr(self, table).get(key, _NONE)
        if self._base is None:
            return found
        return found | self._base._find(table, key)

    def add(self, home, limited):
        """
        Know a user's home.

        @param home: a tuple of segments.
        @param limited: whether the user has a quota (bytes or files).
        """
        kinds = self._find("_kinds", home)
        if limited in kinds:
            return
        # Known already with the other kind: a quota and a user without.
        both = bool(kinds)
        self._kinds.setdefault(home, set()).add(limited)
        for depth in range(len(home) + 1):
            self._below.setdefault(home[:depth], set()).add(home)
            if limited:
                self._limitedBelow.setdefault(home[:depth], set()).add(home)
        others = "_below" if limited else "_limitedBelow"
        above = (self._find("_kinds", home[:depth])
                 for depth in range(len(home)))
        self.nested = self.nested or both or any(
            other != home for other in self._find(others, home)) or any(
            found and (limited or True in found) for found in above)

    def _overlapping(self, path):
        """
        @param path: a tuple of segments.
        @return: the quotas' homes that overlap C{path}.
        """
        found = set(self._find("_limitedBelow", path))
        found.update(path[:depth] for depth in range(len(path))
                     if True in self._find("_kinds", path[:depth]))
        return found

    def holdsOther(self, home, own):
        """
        @param home: a session's home, a tuple of segments.
        @param own: as for L{touched}.
        @return: whether a quota's home other than C{own} is C{home} or
            lies below it: whether the session may reach another quota
            through a symbolic link of its own.
        """
        return bool(self._find("_limitedBelow", home) - {own})

    def touched(self, path, own, change=None):
        """
        A session changed what is at C{path} (and below it): the quotas
        whose homes overlap it, but the session's own, count C{change}
        where they hold C{path}, and measure again otherwise (the path is
        their home, or above it) or when C{change} is not known.

        @param path: a tuple of segments.
        @param own: the session's home when it has a quota (whose usage
            the session keeps up to date), or C{None}.
        @param change: the L{ftpkit.fileinfo.StorageChange} at C{path},
            or C{None} when not known.
        """
        if self.nested:
            self._tell(path, own, change)

    def dropped(self, path, change):
        """
        The server dropped a file of its own accord (a partial upload, to
        make room on a full disk: L{ftpkit.shells.diskroom}), which no
        session counted: every quota whose home holds it counts
        C{change}, nested or not.

        @param path: a tuple of segments.
        @param change: the L{ftpkit.fileinfo.StorageChange} there.
        """
        self._tell(path, None, change)

    def _tell(self, path, own, change):
        """
        The loop of L{touched} and L{dropped}.
        """
        for home in self._overlapping(path):
            if home == own:
                continue
            try:
                usage = self._usageOf(home)
            except FTPError:
                # Its ledger cannot be opened (logged): its sessions
                # cannot log in either.
                continue
            within = len(path) > len(home) and paths.isWithin(path, home)
            if change is not None and within:
                usage.adjust(change.bytes, change.files)
            else:
                usage.invalidate()
            usage.reads.left(path[len(home):] if within else ())


class Neighbours:
    """
    What a session tells L{QuotaHomes} of its changes, in its own paths.
    """

    def __init__(self, homes, home, limited):
        """
        @param homes: the realm's L{QuotaHomes}.
        @param home: the session's home, a tuple of segments.
        @param limited: whether the session has a quota (and keeps its
            home's usage up to date itself).
        """
        self._homes = homes
        self._home = tuple(home)
        self._own = self._home if limited else None

    @property
    def nested(self):
        """
        Whether the realm's homes are nested (L{QuotaHomes.nested}): only
        then may the session's changes touch other quotas.
        """
        return self._homes.nested

    @property
    def holdsOthers(self):
        """
        Whether the session's home holds another quota's home
        (L{QuotaHomes.holdsOther}): only then may its symbolic links lead
        into one.
        """
        return self._homes.holdsOther(self._home, self._own)

    def touched(self, path, change=None):
        """
        The session changed what is at C{path}, one of its paths, by
        C{change} (see L{QuotaHomes.touched}).

        @param path: a tuple of segments, below the session's home.
        @param change: the L{ftpkit.fileinfo.StorageChange} at C{path}, or
            C{None} when not known.
        """
        self._homes.touched(self._home + path, self._own, change)


class KnownHomes(frozenset):
    """
    The C{(home, limited)} pairs a realm knows ahead (a users file's
    users, L{ftpkit.auth.usersviews.diskHomes}), with their
    L{QuotaHomes} built once, where they are made (off the reactor, with
    the file's parse): a L{SharedHomes} of these homes holds them without
    adding each again, which went over every user in the reactor at the
    first change after a reload (once the homes are known again).

    @ivar built: a L{QuotaHomes} of these homes, not to be changed.
    """

    def __new__(cls, homes):
        """
        @param homes: C{(home, limited)} pairs (see L{QuotaHomes.add}).
        """
        self = frozenset.__new__(cls, homes)
        self.built = QuotaHomes(None)
        # In the set's order: the answers do not depend on it, and a sort
        # of 60,000 homes was one call holding the interpreter lock, and
        # every session's reply, for its whole length (0.9 s, loaded).
        for home, limited in self:
            self.built.add(home, limited)
        return self

    def parts(self):
        """
        What holds these homes, to be let go of a slice at a time (see
        C{bench-reloadgc-55}): let go of at once, the 60,000 users' homes
        and their tables (about 240,000 objects) held the reactor for
        0.3 s at the first answer after a reload (L{SharedHomes.join}).

        @return: a C{list} of the tables of L{built} and of a C{list} of
            the pairs, last: once the tables are gone, each pair alone
            holds its home, and is freed with it.
        """
        return self.built.tables() + [list(self)]


class SharedHomes:
    """
    The homes of realms on one storage (L{DISK_HOMES}: every disk realm
    of a process; an fsspec realm has its own), as one L{QuotaHomes}
    (made again when a realm's users are read again, which it asks each
    realm before each answer, or a realm is gone): what a realm's
    sessions tell it of their changes reaches the quotas of the other
    realms' homes too, and those a reload made, also from the sessions
    opened before it. It answers as a L{QuotaHomes} does (L{nested},
    L{holdsOther}, L{touched}), for L{Neighbours}. Realms are held
    weakly.
    """

    def __init__(self, cooperate=task.cooperate):
        """
        @param cooperate: L{task.cooperate}, which lets go of the
            L{KnownHomes} a realm's reload replaced a slice at a time.
        """
        self._cooperate = cooperate
        self._members = {}
        self._union = None
        self._sources = {}
        self._baseSource = None

    def join(self, realm, usageOf, homes, rejoin=None):
        """
        Know a realm's homes, in place of those it gave before.

        @param realm: the realm (held weakly: its homes go with it).
        @param usageOf: called with the realm and a quota's home of its,
            gives that home's usage (the same one whichever realm asks);
            it must not hold the realm.
        @param homes: the C{(home, limited)} pairs known ahead (a users
            file's users), best as L{KnownHomes} (kept as they are, not
            copied, and not added one by one to what it answers from).
        @param rejoin: called with the realm before each answer, joins
            it again (calls L{join}) when its users were read again since
            (a C{SIGHUP} reload: a quota given, a home moved), or C{None};
            it must not hold the realm. The realm learned them again at
            its next login only: a session opened before it told its
            changes to the homes as they were, and the quota of a home
            the reload made one was exceeded.
        """
        ref = weakref.ref(realm, self._gone)
        _, replaced, _, _ = self._members.pop(ref, (None,) * 4)
        self._members[ref] = (
            usageOf, homes if isinstance(homes, frozenset)
            else frozenset(homes), set(), rejoin)
        self._union = None
        self._letGo(replaced)

    def _gone(self, ref):
        """
        Forget the homes of a realm that is gone, let go of a slice at a
        time (L{_letGo}) where it went in the reactor's thread (a
        collection in a parse's thread frees them there, at once): at
        once, 60,000 users' homes held the reactor as long as after a
        reload (L{join}).

        @param ref: the realm's weak reference, dead.
        """
        _, homes, _, _ = self._members.pop(ref, (None,) * 4)
        self._union = None
        if threadable.ioThread is None or threadable.isInIOThread():
            self._letGo(homes)

    def _letGo(self, homes):
        """
        Let go of homes a realm gave (L{join}'s C{homes}): more than a
        slice of L{KnownHomes} a slice at a time, once nothing else holds
        them (L{releaseOnceAlone}: the users file's values of a realm
        that is gone go after it).

        @param homes: the C{frozenset} of pairs, or C{None}; held by the
            caller's name alone, besides those values.
        """
        if isinstance(homes, KnownHomes) and len(homes) > SLICE:
            releaseOnceAlone(homes, cooperate=self._cooperate)

    def add(self, realm, home, limited):
        """
        Know the home of a user of C{realm} who logged in (see
        L{QuotaHomes.add}); the realm must have L{join}ed.

        @param realm: the realm, as given to L{join}.
        @param home: the user's home, a tuple of segments.
        @param limited: whether the user has a quota (bytes or files).
        """
        ref = weakref.ref(realm)
        usageOf, known, added, _ = self._members[ref]
        if (home, limited) not in known and (home, limited) not in added:
            added.add((home, limited))
            if self._union is not None:
                self._union.add(home, limited)
                self._sources.setdefault(home, (ref, usageOf))

    def _usageOf(self, home):
        """
        @return: the usage of a quota's home, from a realm that knows it.
        """
        ref, usageOf = self._sources.get(home, self._baseSource)
        realm = ref()
        if realm is None:
            # Gone since the union was made: its quotas with it.
            raise ServiceUnavailable()
        return usageOf(realm, home)

    def _current(self):
        """
        @return: the L{QuotaHomes} of every member's homes, each
            member's as its users are now (L{join}'s C{rejoin}).
        """
        for ref, (_, _, _, rejoin) in list(self._members.items()):
            realm = ref()
            if rejoin is not None and realm is not None:
                rejoin(realm)
        if self._union is None:
            members = list(self._members.items())
            # The most homes built ahead are taken as they are.
            base = max((known for _, (_, known, _, _) in members
                        if isinstance(known, KnownHomes)), key=len,
                       default=None)
            self._sources = {}
            self._baseSource = None
            union = QuotaHomes(self._usageOf, getattr(base, "built", None))
            for ref, (usageOf, known, added, _) in members:
                if known is base:
                    homes = added
                    self._baseSource = self._baseSource or (ref, usageOf)
                else:
                    homes = known | added
                for home, limited in sorted(homes):
                    union.add(home, limited)
                    self._sources.setdefault(home, (ref, usageOf))
            self._union = union
        return self._union

    @property
    def nested(self):
        """
        See L{QuotaHomes.nested}, over every member's homes.
        """
        return self._current().nested

    def holdsOther(self, home, own):
        """
        See L{QuotaHomes.holdsOther}.
        """
        return self._current().holdsOther(home, own)

    def touched(self, path, own, change=None):
        """
        See L{QuotaHomes.touched}: each quota's home is told once, however
        many realms know it.
        """
        self._current().touched(path, own, change)

    def dropped(self, path, change):
        """
        See L{QuotaHomes.dropped}: each quota's home is told once.
        """
        self._current().dropped(path, change)


DISK_HOMES = SharedHomes()
"""The homes of this process's realms on the local disk, under their real
paths."""
