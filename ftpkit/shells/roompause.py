"""
The pause of room-making on a file system after a walk that found no
partial upload to drop there (L{ftpkit.shells.diskroom.makeRoom}), so
that uploads onto a disk full of users' files do not each walk the tree:
for L{FRUITLESS_PAUSE} seconds, and only until a partial upload is kept
on that file system (L{partialKept}, called by
L{ftpkit.shells.partials.keepPartial}): before session 55 the pause hid
the partial upload of an upload cut a second after such a walk, and every
upload got C{452} for the rest of the minute.

A process serves alone (L{Pauses}, in memory), or as a worker of
C{--workers} (L{SharedPauses}: a file per file system in the directory
the workers share, so that a partial upload one worker keeps ends the
pause of every worker, and one worker's fruitless walk pauses them all).
"""

import os
import threading

FRUITLESS_PAUSE = 60.0
"""Seconds after a walk that found no partial upload to drop on a file
system during which L{ftpkit.shells.diskroom.makeRoom} does not walk
again for it, unless a partial upload is kept there meanwhile."""


class Pauses:
    """
    The pauses of one process (safe to use from the disk threads).
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._kept = {}
        self._fruitless = {}

    def walking(self, device):
        """
        A walk for room on a file system begins.

        @param device: its C{st_dev}.
        @return: what L{walked} takes once it ended.
        """
        with self._lock:
            return self._kept.get(device, 0)

    def walked(self, device, token, dropped, now):
        """
        A walk ended: one that dropped none pauses, unless a partial upload
        was kept on its file system since it began (it may not have seen
        that one).

        @param device: as for L{walking}.
        @param token: what L{walking} gave.
        @param dropped: how many it dropped.
        @param now: the time, in seconds.
        """
        with self._lock:
            if dropped or self._kept.get(device, 0) != token:
                self._fruitless.pop(device, None)
            else:
                self._fruitless[device] = (now, token)

    def paused(self, device, now):
        """
        @param device: a file system's C{st_dev}.
        @param now: the time, in seconds.
        @return: whether room-making is paused there.
        """
        with self._lock:
            found = self._fruitless.get(device)
            return (found is not None
                    and found[1] == self._kept.get(device, 0)
                    and 0 <= now - found[0] < FRUITLESS_PAUSE)

    def kept(self, device):
        """
        A partial upload holding bytes was kept on a file system: its
        pause ends.

        @param device: its C{st_dev}.
        """
        with self._lock:
            self._kept[device] = self._kept.get(device, 0) + 1


class SharedPauses:
    """
    The pauses of the workers of C{--workers}: for each file system, a
    file in their shared directory, empty while a walk runs, holding a
    byte once it found none to drop, its modification time then; keeping
    a partial upload there removes it.
    """

    def __init__(self, directory):
        """
        @param directory: the directory the workers share.
        """
        self._directory = directory

    def _path(self, device):
        """
        @return: the file of the file system C{device}.
        """
        return os.path.join(self._directory, "room-pause-%d" % device)

    def walking(self, device):
        """
        See L{Pauses.walking}: a new file of its own, in place.

        @return: the file's descriptor, or C{None} where it cannot be made.
        """
        path = self._path(device)
        ahead = "%s.%d-%d" % (path, os.getpid(), threading.get_ident())
        try:
            fd = os.open(ahead, os.O_WRONLY | os.O_CREAT | os.O_TRUNC
                         | os.O_CLOEXEC, 0o600)
        except OSError:
            return None
        try:
            os.replace(ahead, path)
        except OSError:
            os.close(fd)
            return None
        return fd

    def walked(self, device, token, dropped, now):
        """
        See L{Pauses.walked}: the file pauses if it is still the walk's
        own (no partial upload kept since removed it, no other walk
        replaced it).
        """
        if token is None:
            return
        path = self._path(device)
        try:
            mine = os.fstat(token)
            there = os.stat(path)
            if not os.path.samestat(mine, there):
                return
            if dropped:
                os.unlink(path)
            else:
                os.write(token, b"1")
                os.utime(token, (now, now))
        except OSError:
            return
        finally:
            os.close(token)

    def paused(self, device, now):
        """
        See L{Pauses.paused}.
        """
        try:
            result = os.stat(self._path(device))
        except OSError:
            return False
        return (result.st_size > 0
                and 0 <= now - result.st_mtime < FRUITLESS_PAUSE)

    def kept(self, device):
        """
        See L{Pauses.kept}.
        """
        try:
            os.unlink(self._path(device))
        except OSError:
            pass


_pauses = []


def pauses(environ=os.environ):
    """
    @param environ: the environment.
    @return: this process's L{SharedPauses} where it is a worker of
        C{--workers} (its environment names the directory the workers
        share), else its L{Pauses}; the same one at every call.
    """
    if not _pauses:
        from ftpkit.shells.sharedquota import LEDGERS_VARIABLE

        directory = environ.get(LEDGERS_VARIABLE)
        _pauses.append(Pauses() if directory is None
                       else SharedPauses(directory))
    return _pauses[0]


def partialKept(device):
    """
    A partial upload holding bytes was kept on a file system (in any
    thread): room-making's pause there ends.

    @param device: its C{st_dev}.
    """
    pauses().kept(device)
