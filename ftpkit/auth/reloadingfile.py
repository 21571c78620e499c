"""
Users read from a file and read again when it changes: the one place
deciding when a users file (C{--auth users:PATH}) or a password file
(C{--auth file:PATH}) is read again, and what a reload that fails or
succeeds logs.
"""

import os

_RELOADED_ONE = "reloaded {count} user from {path}"
"""The log format of a file reloaded, naming one user."""

_RELOADED = "reloaded {count} users from {path}"
"""The log format of a file reloaded, naming more than one user."""


def fileSignature(path):
    """
    @param path: a file.
    @return: what tells whether it changed (modification time, size and
        inode), or C{None} when it cannot be stat'ed.
    """
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_mtime_ns, info.st_size, info.st_ino)


class ReloadingFile:
    """
    The users of one file, read at start and again on C{SIGHUP}
    (L{reload}) or when a login finds it changed (L{reloadIfChanged}, one
    C{stat}). A file that became unusable is one error line, and the
    users read last stay in force until it is fixed.

    @ivar path: the file's absolute path.
    @ivar users: what the reader returned for it.
    """

    def __init__(self, path, read, log):
        """
        Read the file.

        @param path: the file.
        @param read: a callable taking a path and returning the users it
            names, raising C{ValueError} (naming the file and the entry at
            fault) when the file cannot be read or used.
        @param log: the L{twisted.logger.Logger} reloads are logged with
            (its namespace is the file's kind's module, as it always was).
        @raise ValueError: from C{read}.
        """
        self.path = os.path.abspath(path)
        self._read = read
        self._log = log
        self._signature = fileSignature(self.path)
        self.users = read(path)

    def reload(self):
        """
        Read the file again.

        @return: whether the users were replaced.
        """
        self._signature = fileSignature(self.path)
        try:
            users = self._read(self.path)
        except ValueError as e:
            self._log.error("users file not reloaded, keeping the old users: {why}",
                       why=str(e))
            return False
        self.users = users
        self.reloaded()
        if users:
            self._log.info(_RELOADED_ONE if len(users) == 1 else _RELOADED,
                      count=len(users), path=self.path)
        else:
            self._log.warn("reloaded {path}, which names no users: nobody can "
                      "log in with it", count=0, path=self.path)
        return True

    def reloaded(self):
        """
        Called when a reload replaced the users; does nothing here.
        """

    def reloadIfChanged(self):
        """
        L{reload} if the file's modification time, size or inode changed
        since it was last read.

        @return: whether the users were replaced.
        """
        if fileSignature(self.path) == self._signature:
            return False
        return self.reload()
