"""
L{DirectoryWatcher}: a generation per watched directory, bumped by every
inotify event on it, so that something read from a directory can be
known unchanged (its generation is the one noted before reading it).

A directory is watched through the descriptor it was opened with
(C{/proc/self/fd/N}), so the watch is on the directory actually read, not
on whatever its path names by then. Generations come from one counter:
a directory forgotten and watched again never gets a generation it had.

What the events on a directory do not tell, and the watcher makes up
for: a hard link made to one of its files from another directory (its
link count, and what is written through the other name). Linux tells
that only to watches on the file; so a new entry of a watched directory
that is a file with other names (C{IN_CREATE} of a link, or of a name
gone again before it could be looked at) changes every generation. A
link made from a directory nobody watches is not seen: the listings'
cache (L{ftpkit.shells.listingcache}) describes a file of more than one
name again each time, but not one that had a single name when listed.
"""

import os
import stat as statModule
from collections import OrderedDict
from itertools import count

from ftpkit.compat.inotify import (
    IN_ATTRIB,
    IN_CLOSE_WRITE,
    IN_CREATE,
    IN_DELETE,
    IN_DELETE_SELF,
    IN_IGNORED,
    IN_ISDIR,
    IN_MODIFY,
    IN_MOVE_SELF,
    IN_MOVED_FROM,
    IN_MOVED_TO,
    IN_ONLYDIR,
    IN_Q_OVERFLOW,
    IN_UNMOUNT,
)

WATCHED = (IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_CREATE | IN_DELETE
           | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF
           | IN_ONLYDIR)
"""The events a directory is watched for."""

_GONE = IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT
"""Events after which a watch is forgotten: the directory went away (or,
moved, no longer has the path it was watched with)."""

MAX_WATCHES = 1024
"""The most directories watched at once by default."""


def newLink(mask, name):
    """
    @param mask: an event's mask.
    @param name: its name.
    @return: whether the event may be a hard link made to a file that
        has another name (C{IN_CREATE} of an entry that is not a
        directory), which is to be looked at.
    """
    return bool(mask & IN_CREATE) and not mask & IN_ISDIR and bool(name)


class DirectoryWatcher:
    """
    Generations of directories, kept by inotify watches; not thread-safe
    (its user holds a lock).

    @ivar failure: the L{OSError} of the last watch that could not be
        added (no more watches: C{ENOSPC}), or C{None}.
    """

    def __init__(self, inotify, maxWatches=MAX_WATCHES, lstat=os.lstat):
        """
        @param inotify: an L{ftpkit.compat.inotify.Inotify}.
        @param maxWatches: the most directories watched; the one used
            least recently is let go to watch another.
        @param lstat: C{os.lstat}, where a new entry is looked up.
        """
        self._inotify = inotify
        self._maxWatches = maxWatches
        self._lstat = lstat
        self._watches = OrderedDict()
        self._keys = {}
        self._generations = {}
        self._counter = count(1)
        self.failure = None

    def __len__(self):
        return len(self._watches)

    def generation(self, key):
        """
        @param key: a directory's C{(st_dev, st_ino)}.
        @return: its generation, or C{None} when it is not watched.
        """
        return self._generations.get(key)

    def watch(self, fd, key, path):
        """
        Watch a directory (again: the same watch, made the most recently
        used), through its descriptor; called after L{drain}, so that a
        directory known by its key is the one watched.

        @param fd: a descriptor of the directory.
        @param key: its C{(st_dev, st_ino)}.
        @param path: its path, C{str}, under which its new entries are
            looked up (L{newLink}).
        @return: its generation, or C{None} when it cannot be watched.
        """
        known = self._watches.get(key)
        if known is not None:
            # Drained before: were it another directory of the same
            # number, the first one's removal (IN_DELETE_SELF, or
            # IN_UNMOUNT) would have made it forgotten.
            self._watches[key] = (known[0], path)
            self._watches.move_to_end(key)
            return self._generations[key]
        try:
            wd = self._inotify.addWatch(b"/proc/self/fd/%d" % (fd,), WATCHED)
        except OSError as e:
            self.failure = e
            return None
        other = self._keys.get(wd)
        if other is not None:
            self._forget(other)
        self._watches[key] = (wd, path)
        self._keys[wd] = key
        self._generations[key] = next(self._counter)
        while len(self._watches) > self._maxWatches:
            oldest = next(iter(self._watches))
            self._inotify.removeWatch(self._watches[oldest][0])
            self._forget(oldest)
        return self._generations[key]

    def _forget(self, key):
        """
        Forget a directory's watch and generation.
        """
        wd, _ = self._watches.pop(key)
        del self._generations[key]
        if self._keys.get(wd) == key:
            del self._keys[wd]

    def _bumpAll(self):
        """
        Give every directory a new generation.
        """
        for key in self._generations:
            self._generations[key] = next(self._counter)

    def drain(self):
        """
        Read the events queued and bump the generations of the directories
        they are about: whatever changed before this call changes them.
        """
        for wd, mask, _, name in self._inotify.read():
            if mask & IN_Q_OVERFLOW:
                # Events were lost, a directory's removal maybe among
                # them: every watch is let go.
                for known in list(self._watches):
                    self._inotify.removeWatch(self._watches[known][0])
                    self._forget(known)
                continue
            key = self._keys.get(wd)
            if key is None:
                continue
            if mask & _GONE:
                if not mask & IN_IGNORED:
                    self._inotify.removeWatch(wd)
                self._forget(key)
                continue
            self._generations[key] = next(self._counter)
            if newLink(mask, name) and self._linkedElsewhere(
                    self._watches[key][1], name):
                self._bumpAll()

    def _linkedElsewhere(self, path, name):
        """
        @param path: a watched directory's path.
        @param name: the C{bytes} name of an entry made in it.
        @return: whether that entry may be a file with another name: it
            has more than one link, or cannot be looked at.
        """
        try:
            result = self._lstat(os.path.join(os.fsencode(path), name))
        except OSError:
            return True
        return (not statModule.S_ISDIR(result.st_mode)
                and result.st_nlink > 1)

    def close(self):
        """
        Stop watching (the inotify descriptor is closed).
        """
        self._watches.clear()
        self._keys.clear()
        self._generations.clear()
        self._inotify.close()
