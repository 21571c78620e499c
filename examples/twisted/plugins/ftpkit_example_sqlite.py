"""
The C{sqlite} realm plugin: C{--realm sqlite:FILE} serves the file tree
kept in the SQLite database C{FILE} (made when missing), the same for
every user.

Like every plugin module, it stays small and imports the storage only
when it is used.
"""

import os

from twisted.plugin import IPlugin
from zope.interface import implementer

from ftpkit.interfaces import IRealmPlugin


@implementer(IPlugin, IRealmPlugin)
class SQLiteRealmPlugin:
    """
    Every user sees the file tree of one SQLite database.
    """

    name = "sqlite"
    description = "Files kept in an SQLite database (the storage tutorial)."
    argumentHelp = "FILE, the database (made when missing)"

    def makeRealm(self, argument, options):
        """
        Build the realm. This runs while the options are parsed: as root,
        before C{twistd} forks and switches user, so it only checks the
        argument; the database is opened at the first login's first call.

        @param argument: the database file.
        @param options: the parsed server options (unused).
        @return: a L{ftpkit.realms.SharedShellRealm} over a
            L{ftpkit_sqlite.SQLiteShell}.
        @raise ValueError: when no file is given or its directory is
            missing.
        """
        if not argument:
            raise ValueError("sqlite: give the database: --realm sqlite:FILE")
        filename = os.path.abspath(argument)
        if not os.path.isdir(os.path.dirname(filename)):
            raise ValueError(f"sqlite: no directory for {filename!r}")
        from ftpkit_sqlite import SQLiteShell

        from ftpkit.realms import SharedShellRealm

        return SharedShellRealm(SQLiteShell(filename))


sqliteRealm = SQLiteRealmPlugin()
