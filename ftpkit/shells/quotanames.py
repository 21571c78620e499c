"""
The names of a quota's home that uploads and deletions are counting
from now (L{NameChanges}): each found what was at its name when it
began, and counts from that once done, unless another session changed
the name meanwhile (then the home is measured again). Before session 51,
sessions storing and deleting one name at once counted a new file once
each, and freed the size their opener saw, not that of what they
replaced or removed: on C{fsspec:memory://?size=} the count drifted,
either way, for good.
"""

import threading


class NameWatch:
    """
    What is at one name, found by an upload or a deletion, watched until
    it is counted (L{NameChanges.watch}).

    @ivar path: the name, as the quota's home names it (a tuple of
        segments).
    @ivar changed: whether another change of the name, or of a directory
        above it, was told since (L{NameChanges.changed}).
    """

    def __init__(self, path):
        """
        @param path: see L{path}.
        """
        self.path = path
        self.changed = False


class NameChanges:
    """
    The L{NameWatch}es of a home's names.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._watches = set()

    def watch(self, path):
        """
        Watch C{path} before what is at it is found.

        @param path: a tuple of segments.
        @return: a L{NameWatch}; L{unwatch} must follow.
        """
        watch = NameWatch(path)
        with self._lock:
            self._watches.add(watch)
        return watch

    def unwatch(self, watch):
        """
        Stop watching (further calls do nothing).

        @param watch: a L{NameWatch} from L{watch}.
        """
        with self._lock:
            self._watches.discard(watch)

    def changed(self, path, by=None):
        """
        Tell that what is at C{path}, or below it, changed.

        @param path: a tuple of segments.
        @param by: the L{NameWatch} of the change's own upload or
            deletion, left unmarked, or C{None}.
        """
        size = len(path)
        with self._lock:
            for watch in self._watches:
                if watch is not by and watch.path[:size] == path:
                    watch.changed = True
