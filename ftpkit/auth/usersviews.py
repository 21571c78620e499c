"""
Values worked out from every user of a users file, kept with the users
they were worked out from: the dummy hash's cost (L{fileCost}), the
permissions C{FEAT} offers (L{grantedTo}), the homes the quotas of one
realm know ahead, and which of them hold others (L{diskHomes},
L{storeHomes}). A L{ftpkit.auth.reloadingfile.ReloadingFile}
works each out again in the thread that parses the file again
(L{ftpkit.auth.reloadingfile.ReloadingFile.derived}): worked out at the
first login, C{FEAT} or change after a reload, in the reactor, they held
every session for as long as they went over every user (see
C{docs/benchmark-investigations.rst}, C{bench-reloadcost-54}).
L{UsersView} asks a database for one, or works it out for a database
that cannot keep it.
"""

import os

from ftpkit.auth.dummycosts import commonCost
from ftpkit.deploy.startvalues import atStart
from ftpkit.errors import FTPError
from ftpkit.protocol import paths
from ftpkit.protocol.access import OFFERED_PERMISSIONS
from ftpkit.shells.nestedquotas import KnownHomes


class UsersView:
    """
    One value worked out from a database's users: asked of the database
    when it keeps such values with its users (its C{derived}, a
    L{ftpkit.auth.reloadingfile.ReloadingFile}'s), otherwise worked out
    here, again whenever the database's C{users} is another object.
    """

    _users = _value = None

    def __init__(self, function, *args):
        """
        @param function: gives the value of a C{dict} of users and
            C{args}; pure, and safe to call in another thread.
        @param args: hashable arguments: the same function and arguments
            are one value, however many views ask for it.
        """
        self._function = function
        self._args = args

    def start(self, database):
        """
        Ask for the value now, where C{database} holds its users: at
        start, so that each reload works it out in its thread from then
        on (see L{of}).

        @param database: a users database.
        """
        if getattr(database, "users", None) is not None:
            atStart(self.of, database)

    def of(self, database):
        """
        @param database: a database holding its users (a C{users} dict).
        @return: the value for the users in force.
        """
        derived = getattr(database, "derived", None)
        if derived is not None:
            return derived(self._function, *self._args)
        users = database.users
        if users is not self._users:
            self._value = self._function(users, *self._args)
            self._users = users
        return self._value


def fileCost(users):
    """
    @param users: a C{dict} of user name to
        L{ftpkit.auth.usersfile.UserEntry}.
    @return: L{commonCost} of their hashes.
    """
    return commonCost(users.values())


def grantedTo(users):
    """
    @param users: a C{dict} of user name to
        L{ftpkit.auth.usersfile.UserEntry}.
    @return: which of L{ftpkit.protocol.access.OFFERED_PERMISSIONS} some
        named user (not C{anonymous}, whom the server's anonymous rules
        hold) that is not read-only is granted in some directory.
    """
    granted = frozenset()
    for name, entry in users.items():
        if name != "anonymous" and not entry.readOnly:
            granted |= entry.permissions.grantedAnywhere()
    return OFFERED_PERMISSIONS & granted


def diskHomes(users, root):
    """
    The homes of a disk realm's users, known ahead to its quotas
    (L{ftpkit.auth.users.UsersRealm.quotaHomes}), under the real path of
    the realm's root: one read of the links of each home would slow a
    reload of many users.

    @param users: a C{dict} of user name to
        L{ftpkit.auth.usersfile.UserEntry}.
    @param root: the realm's root, an absolute path.
    @return: the L{KnownHomes} of C{(home, limited)} pairs: the home a
        tuple of segments (L{segments}), C{limited} whether the user has a
        quota (L{limited}).
    """
    real = os.path.realpath(root)
    return KnownHomes(
        (segments(os.path.normpath(os.path.join(real, entry.home))),
         limited(entry))
        for entry in users.values())


def storeHomes(users):
    """
    The homes of an fsspec realm's users, known ahead to its quotas
    (L{ftpkit.auth.fsspecrealm.FsspecRealm.quotaHomes}); a home that is
    no usable path is left out (its user cannot log in).

    @param users: a C{dict} of user name to
        L{ftpkit.auth.usersfile.UserEntry}.
    @return: the L{KnownHomes} of C{(home, limited)} pairs: the home a
        tuple of segments under the realm's root, C{limited} as in
        L{diskHomes}.
    """
    homes = set()
    for entry in users.values():
        try:
            home = paths.resolve((), "/" + entry.home)
        except FTPError:
            continue
        homes.add((home, limited(entry)))
    return KnownHomes(homes)


def limited(entry):
    """
    @param entry: a L{ftpkit.auth.usersfile.UserEntry}.
    @return: whether it has a quota (bytes or files).
    """
    return entry.quota is not None or entry.fileQuota is not None


def segments(home):
    """
    @param home: an absolute, normalized path.
    @return: its segments, a tuple (C{()} for C{/}).
    """
    return tuple(part for part in home.split("/") if part)
