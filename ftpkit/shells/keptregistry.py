"""
L{KeptPartials}: the cut uploads L{ftpkit.shells.keptuploads.KeptUploadsShell}
kept in this process, oldest first, shared by the shells over one tree
(every session of a realm's), so that

  - one user holds at most L{MAX_KEPT_PER_USER} of them (keeping one more
    drops that user's oldest: L{KeptPartials.kept}), and
  - a bounded tree drops them, oldest first, before an upload, a
    C{MKD} or a rename is refused for want of room: C{--realm
    memory:SIZE}'s in the step that finds room lacking
    (L{KeptPartials.dropOldest}), an fsspec realm's quotas (C{?size=},
    a users file's), counted above the shell keeping them, by waiting for
    the store to remove one (L{KeptPartials.dropOldestWithin}); what a
    removal frees is told to those quotas (C{onRemoved}).

Without it, a cut upload of a new name took its room for its 24 hours:
on C{--realm memory:1M}, five cut uploads of 200 KB made every user's
next upload C{552}.

Each drop it decides is one log event once done, C{partial-dropped}
(L{logDropped};
the shells log so too the ones they find expired or outdated):
the server discarding a user's bytes of its own accord is something an
operator must be able to find (before session 32 it was silent).

It knows only what this process kept since it started: a tree that
outlives the process (C{fsspec:file://}) may hold older ones, which
their lifetime alone removes.
"""

from collections import OrderedDict

from twisted.internet.defer import maybeDeferred, succeed
from twisted.logger import Logger
from twisted.python import threadable

from ftpkit.protocol import paths

NOT_RECORDED = None
"""What L{KeptPartials.recorded} gives of a partial upload whose target
this process did not record (it did not keep it, or kept it without
looking at its target)."""

MAX_KEPT_PER_USER = 10
"""The most cut uploads kept for one user at a time: past it, the
oldest is dropped. A client cuts at most as many uploads at once as it
runs in parallel (lftp's C{mirror -R --parallel=N}), and resumes them
before it cuts more."""

PARTIAL_DROPPED = "partial-dropped"
"""The C{ftpkit_event} of a cut upload dropped (L{logDropped})."""

FOR_ROOM = "for room"
"""The C{reason} of a drop making room for what a quota would refuse."""

PAST_LIMIT = "past the user's limit"
"""The C{reason} of a drop past L{MAX_KEPT_PER_USER}."""

EXPIRED = "expired"
"""The C{reason} of a drop past its lifetime
(L{ftpkit.shells.uploadnames.PARTIAL_LIFETIME})."""

REPLACED = "a newer cut upload is kept"
"""The C{reason} of a drop of a cut upload a resume took and left (its
server died), once a newer cut upload of the same target is kept."""

FILE_CHANGED = "the file changed"
"""The C{reason} of a drop whose target another upload replaced or wrote
since it was kept (L{ftpkit.shells.partials.isOutdated})."""

DISK_FULL = "the disk is full"
"""The C{reason} of a cut upload's bytes not kept, on the disk realm,
because its disk is full (L{ftpkit.shells.fullkeeping})."""

REASONS = (FOR_ROOM, PAST_LIMIT, EXPIRED, FILE_CHANGED, REPLACED, DISK_FULL)
"""Every C{reason} of L{logDropped}."""

dropCounts = dict.fromkeys(REASONS, 0)
"""How many cut uploads this process dropped, by reason: counted where
each is logged (L{logDropped}), so that the metric read from it
(L{ftpkit.ops.dropmetrics}) and the log agree."""

_log = Logger(namespace="ftpkit")


def logDropped(key, resumer, size, reason, log=_log):
    """
    Log that a kept cut upload is dropped: one C{partial-dropped} event.

    @param key: its path from the tree's root, a tuple.
    @param resumer: who it was kept for, or C{None}.
    @param size: its bytes.
    @param reason: L{FOR_ROOM}, L{PAST_LIMIT}, L{EXPIRED},
        L{FILE_CHANGED}, L{REPLACED} or L{DISK_FULL}.
    @param log: the L{Logger} to log with (namespace C{ftpkit}).
    """
    dropCounts[reason] = dropCounts.get(reason, 0) + 1
    log.info("dropped the cut upload {path} of user {user!r}, "
             "{bytes} bytes: {reason}", ftpkit_event=PARTIAL_DROPPED,
             path=paths.toText(key), user=resumer, bytes=size, reason=reason)


def logDroppedFrom(reactor, key, resumer, size, reason):
    """
    L{logDropped} from any thread (a disk thread finds a partial upload
    stale: L{ftpkit.shells.partials.staleReason}): at once in the
    reactor's (or where none ran yet), else handed to it, whose log
    observers are not thread-safe.

    @param reactor: an L{twisted.internet.interfaces.IReactorFromThreads}.
    @param key: as for L{logDropped}.
    @param resumer: as for L{logDropped}.
    @param size: as for L{logDropped}.
    @param reason: as for L{logDropped}.
    """
    if threadable.ioThread is None or threadable.isInIOThread():
        logDropped(key, resumer, size, reason)
    else:
        reactor.callFromThread(logDropped, key, resumer, size, reason)


class KeptPartials:
    """
    The partial uploads kept in this process, oldest first.

    Each is known by a key (its path from the tree's root, a tuple), and
    carries who it is kept for and how to remove it.
    """

    def __init__(self, perUser=MAX_KEPT_PER_USER, onRemoved=None):
        """
        @param perUser: the most kept for one user (L{MAX_KEPT_PER_USER}).
        @param onRemoved: called with the key and the bytes of each
            partial upload dropped here once it is removed (L{removed}),
            or C{None}.
        """
        self._perUser = perUser
        self._onRemoved = onRemoved
        self._entries = OrderedDict()
        self._dropping = {}

    def __len__(self):
        """
        @return: how many are known.
        """
        return len(self._entries)

    def kept(self, key, resumer, remove, size=None, target=NOT_RECORDED):
        """
        Count a partial upload as kept now (newest), replacing what was
        known under C{key}.

        @param key: its path from the tree's root, a tuple.
        @param resumer: who it is kept for (C{str}), or C{None}.
        @param remove: a callable of no argument removing it (returning a
            Deferred or C{None}).
        @param size: its bytes, or C{None} where not told (counted as
            holding some).
        @param target: the version of its target when its upload began
            (L{ftpkit.shells.keptfiles.versionOf}, or
            L{ftpkit.shells.partials.NOTHING_THERE} where no file was
            there), or L{NOT_RECORDED}, for L{recorded}.
        @return: the C{remove} callables of the partial uploads dropped,
            oldest first, which are no longer counted (the caller removes
            them): the same user's past L{MAX_KEPT_PER_USER}, counting
            only those holding bytes. An empty one (a cut upload that
            replaced a file, kept so that its resumer's C{SIZE} answers
            0) is worth nothing to a resume, frees nothing, and before
            session 55 took the place of one of its user's that held
            bytes.
        """
        entries = self._entries
        entries.pop(key, None)
        entries[key] = (resumer, remove, size, target)
        mine = [each for each, (whose, _, held, _) in entries.items()
                if whose == resumer and held != 0]
        return [self._drop(each, PAST_LIMIT)
                for each in mine[:max(0, len(mine) - self._perUser)]]

    def _drop(self, key, reason):
        """
        Take a partial upload out of the count to drop it; the drop is
        logged once it is removed (L{removed}), not if its removal leaves
        it (L{left}: another worker of C{--workers} kept it anew
        meanwhile), which before session 32 was logged, and counted, as
        a drop.

        @param key: its path from the tree's root, a tuple.
        @param reason: for L{logDropped}.
        @return: its C{remove} callable.
        """
        resumer, remove, size, _ = self._entries.pop(key)
        self._dropping[key] = (resumer, size or 0, reason)
        return remove

    def recorded(self, key):
        """
        @param key: a partial upload's path from the tree's root, a tuple.
        @return: what was recorded of its target when it was kept
            (L{kept}'s C{target}): a version, C{NOTHING_THERE} where no
            file was there, or L{NOT_RECORDED} where it is not known
            here.
        """
        entry = self._entries.get(key)
        return NOT_RECORDED if entry is None else entry[3]

    def forget(self, key):
        """
        Count the partial upload under C{key} as gone (resumed, removed),
        if it was known.

        @param key: its path from the tree's root, a tuple.
        @return: who it was kept for, or C{None} where it was not known.
        """
        entry = self._entries.pop(key, None)
        return None if entry is None else entry[0]

    def oldest(self, within=()):
        """
        Take the oldest partial upload out of the count, to drop it for
        room.

        @param within: the path from the tree's root of the directory it
            must be in (at any depth).
        @return: its C{remove} callable, or C{None} when none is known
            there.
        """
        depth = len(within)
        for key in self._entries:
            if key[:depth] == within:
                return self._drop(key, FOR_ROOM)
        return None

    def dropOldestWithin(self, within=()):
        """
        Remove the oldest partial upload in a directory, for room (an
        fsspec realm's quota calls it, L{ftpkit.shells.quotaaccount}).

        @param within: as for L{oldest}.
        @return: a Deferred firing, once it is removed (and L{removed}
            told), with whether there was one to remove.
        """
        remove = self.oldest(tuple(within))
        if remove is None:
            return succeed(False)
        return maybeDeferred(remove).addCallback(lambda _: True)

    def removed(self, key, size):
        """
        A partial upload was removed: dropped here (L{kept},
        L{oldest}), its drop is logged (L{logDropped}); C{onRemoved} is
        told in any case (one a complete upload of its target replaced,
        L{ftpkit.shells.keptkeeping.KeepingShell.dropPartial}, too).

        @param key: its path from the tree's root, a tuple.
        @param size: its bytes.
        """
        dropping = self._dropping.pop(key, None)
        if dropping is not None:
            logDropped(key, *dropping)
        if self._onRemoved is not None:
            self._onRemoved(key, size)

    def left(self, key):
        """
        The removal of a partial upload dropped here left it (it is not
        the one dropped any more, or could not be removed): no drop.

        @param key: its path from the tree's root, a tuple.
        """
        self._dropping.pop(key, None)

    def dropOldest(self):
        """
        Remove the oldest partial upload, for room (a bounded tree's
        L{ftpkit.shells.memorytree.Budget} calls it).

        @return: whether there was one to remove.
        """
        remove = self.oldest()
        if remove is None:
            return False
        remove()
        return True
