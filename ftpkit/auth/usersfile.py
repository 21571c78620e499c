"""
The users file of virtual users (see C{docs/virtual-users.rst}), a TOML
file that L{readUsersFile} and L{parseUsers} check, giving a L{UserEntry}
per user::

    [users.alice]
    password = "scrypt$16384$8$1$c2FsdA==$aGFzaA=="
    home = "alice"
    permissions = ["list", "read", "write", "mkdir"]
    quota = 104857600
    quota-files = 10000
    read-only = false

    [users.alice.directories."/incoming"]
    permissions = ["list", "write"]
"""

import posixpath
import tomllib
from dataclasses import dataclass, field
from typing import Optional

from ftpkit.auth.passwordhash import isPasswordHash, parseHash
from ftpkit.auth.realms import isSafeUserName
from ftpkit.auth.reloadingfile import readUsersSource
from ftpkit.deploy.limitoptions import MOST_BYTES, parseByteCount
from ftpkit.errors import FTPError
from ftpkit.protocol import paths
from ftpkit.shells.permissiontable import PERMISSIONS, PermissionTable

DEFAULT_PERMISSIONS = ("list", "read")
"""The permissions of a user whose entry gives none."""

_USER_KEYS = {"password", "home", "permissions", "quota", "quota-files",
              "read-only", "directories", "max-download-rate",
              "max-upload-rate"}


class UsersFileError(ValueError):
    """
    A users file that cannot be read or is not valid; the message names
    the file and the entry at fault.
    """


@dataclass(frozen=True)
class UserEntry:
    """
    One user of a users file.

    @ivar name: the user name.
    @ivar password: the password hash (or the clear text found in a bad
        file, which L{UsersChecker} refuses), or C{None}.
    @ivar home: the home directory as written (relative to the realm's
        root, or absolute).
    @ivar permissions: the L{PermissionTable}.
    @ivar quota: the most bytes the user may store, or C{None}.
    @ivar readOnly: the user may change nothing.
    @ivar downloadRate: bytes a second the user's sessions download at,
        or C{None} for the server's C{--max-download-rate}.
    @ivar uploadRate: likewise for uploads.
    @ivar fileQuota: the most files and directories the user may store,
        or C{None}.
    """

    name: str
    password: Optional[str] = None
    home: str = ""
    permissions: PermissionTable = field(
        default_factory=lambda: PermissionTable(DEFAULT_PERMISSIONS))
    quota: Optional[int] = None
    readOnly: bool = False
    downloadRate: Optional[int] = None
    uploadRate: Optional[int] = None
    fileQuota: Optional[int] = None


def _permissionList(value, where):
    """
    @param value: a C{permissions} value.
    @param where: the key path, for messages.
    @return: the names, as a C{frozenset}.
    @raise UsersFileError: when it is not a list of known names.
    """
    if not isinstance(value, list) or not all(
        isinstance(name, str) for name in value
    ):
        raise UsersFileError(f"{where}: must be a list of permission names")
    unknown = sorted(set(value) - set(PERMISSIONS))
    if unknown:
        raise UsersFileError(
            f"{where}: unknown permission {unknown[0]!r} (known: "
            f"{', '.join(PERMISSIONS)})")
    return frozenset(value)


def _directories(value, where):
    """
    @param value: a C{directories} table.
    @param where: the key path, for messages.
    @return: a C{dict} of directory path (a tuple of segments) to
        permission names.
    @raise UsersFileError: when a key is not an absolute path or an entry
        is not C{{permissions = [...]}}.
    """
    if not isinstance(value, dict):
        raise UsersFileError(f"{where}: must be a table of directories")
    result = {}
    for text, entry in value.items():
        here = f'{where}."{text}"'
        if not text.startswith("/"):
            raise UsersFileError(f"{here}: must be an absolute path like /incoming")
        try:
            path = paths.resolve((), text)
        except FTPError:
            raise UsersFileError(f"{here}: not a valid path")
        if not isinstance(entry, dict) or set(entry) != {"permissions"}:
            raise UsersFileError(f"{here}: must hold exactly permissions = [...]")
        result[path] = _permissionList(entry["permissions"],
                                       f"{here}.permissions")
    return result


def parseUser(name, table, permissionTables=None):
    """
    Check and convert one C{[users.NAME]} table.

    @param name: the user name.
    @param table: the table, as C{tomllib} gives it.
    @param permissionTables: a C{dict} of the L{PermissionTable}s of the
        users parsed before, by their rules, to take the user's from
        (L{sharedTable}), or C{None} for one of the user's own.
    @return: a L{UserEntry}.
    @raise UsersFileError: saying which key is wrong and why.
    """
    where = f"users.{name}"
    if not isSafeUserName(name):
        raise UsersFileError(f"{where}: not a usable user name")
    if not isinstance(table, dict):
        raise UsersFileError(f"{where}: must be a table")
    unknown = sorted(set(table) - _USER_KEYS)
    if unknown:
        raise UsersFileError(
            f"{where}: unknown key {unknown[0]!r} (known: "
            f"{', '.join(sorted(_USER_KEYS))})")
    password = table.get("password")
    if password is not None:
        if not isinstance(password, str):
            raise UsersFileError(f"{where}.password: must be a string")
        if isPasswordHash(password):
            try:
                parseHash(password)
            except ValueError as e:
                raise UsersFileError(f"{where}.password: {e}")
    home = table.get("home", name)
    if not isinstance(home, str) or not home or "\0" in home:
        raise UsersFileError(f"{where}.home: must be a non-empty path")
    if isMachineRoot(home):
        raise UsersFileError(
            f"{where}.home: {home!r} is this machine's root directory, not "
            "the one the server serves: write '.' for --root itself, or "
            "the path of the user's own directory")
    if climbsOutOfRoot(home):
        raise UsersFileError(
            f"{where}.home: {home!r} climbs out of --root, which a relative "
            "home is under: write the absolute path of a directory outside "
            "it")
    quota = _byteCount(table.get("quota"), f"{where}.quota", least=0)
    fileQuota = table.get("quota-files")
    if fileQuota is not None and (
        isinstance(fileQuota, bool) or not isinstance(fileQuota, int)
        or not 1 <= fileQuota <= MOST_BYTES
    ):
        raise UsersFileError(f"{where}.quota-files: must be a positive integer"
                             f" (at most {MOST_BYTES})")
    readOnly = table.get("read-only", False)
    if not isinstance(readOnly, bool):
        raise UsersFileError(f"{where}.read-only: must be true or false")
    default = _permissionList(
        table.get("permissions", list(DEFAULT_PERMISSIONS)),
        f"{where}.permissions")
    overrides = _directories(table.get("directories", {}),
                             f"{where}.directories")
    rates = [_byteCount(table.get(key), f"{where}.{key}")
             for key in ("max-download-rate", "max-upload-rate")]
    return UserEntry(name, password, home,
                     sharedTable(permissionTables, default, overrides),
                     quota, readOnly, *rates, fileQuota=fileQuota)


def sharedTable(tables, default, overrides):
    """
    A L{PermissionTable}, one for every user with the same rules (most
    users of a large file have the same few): with one each, 60,001
    users held 60,001 tables, two of them different, each three objects
    more for the collector's young walk at each reload
    (L{ftpkit.auth.outofsight}) and some 400 bytes (C{bench-reload-56}).

    @param tables: a C{dict} of the tables made before, by their rules,
        which a new one is added to; or C{None}.
    @param default: the permission names outside any override, a
        C{frozenset}.
    @param overrides: a C{dict} of directory path (a tuple of segments)
        to permission names, C{frozenset}s.
    @return: the table of those rules in C{tables}, or a new one.
    """
    if tables is None:
        return PermissionTable(default, overrides)
    rules = (default, frozenset(overrides.items()))
    table = tables.get(rules)
    if table is None:
        table = tables[rules] = PermissionTable(default, overrides)
    return table


def _byteCount(value, where, least=1):
    """
    Read a size: a C{quota} (bytes), a C{max-download-rate} or
    C{max-upload-rate} (bytes a second), as the server's options read
    them (L{parseByteCount}): a number, or text such as C{"500K"}.

    @param value: the value, or C{None}.
    @param where: the key path, for messages.
    @param least: the smallest count allowed.
    @return: the count, or C{None}.
    @raise UsersFileError: when it is not one.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise UsersFileError(
            f"{where}: must be a number of bytes, or text like \"500K\"")
    try:
        return parseByteCount(value, least=least)
    except ValueError as e:
        raise UsersFileError(f"{where}: {e}")


def isMachineRoot(home):
    """
    A home of C{/} is the whole machine: every file the server's account
    may read served to the user, and the start-up walk for crashed
    uploads (L{ftpkit.shells.partialsweep}) going through every file system
    mounted, other servers' roots among them. An operator writing it
    means the served root (C{--root}), which is C{.}.

    @param home: a user's C{home}, as written.
    @return: whether it names the machine's root directory.
    """
    return posixpath.isabs(home) and not posixpath.normpath(home).strip("/")


def climbsOutOfRoot(home):
    """
    A relative home is under the served root (C{--root}, or a virtual
    host's); one whose C{..} climb above it named a directory that
    depends on how deep the root is (C{../../..} under C{/srv/ftp/x} is
    the machine's root, L{isMachineRoot}'s refusal gone round), and
    one the L{ftpkit.auth.fsspecrealm} took as under its root anyway.
    A directory outside the root is written as an absolute path.

    @param home: a user's C{home}, as written.
    @return: whether it is relative and climbs above where it starts.
    """
    if posixpath.isabs(home):
        return False
    first = posixpath.normpath(home).split("/", 1)[0]
    return first == ".."


def parseUsers(text, source="<users>"):
    """
    Parse the text of a users file.

    @param text: the TOML text.
    @param source: the file name, for messages.
    @return: a C{dict} of user name to L{UserEntry}.
    @raise UsersFileError: saying where the file is wrong (an array or
        inline table nested deeper than the parser's recursion goes too:
        its C{RecursionError} went up as no error of the file, a
        traceback at a reload and from C{python -m ftpkit.passwd}).
    """
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise UsersFileError(f"{source}: not valid TOML: {e}")
    except RecursionError:
        raise UsersFileError(f"{source}: not valid TOML: nested too deeply")
    extra = sorted(set(document) - {"users"})
    if extra:
        raise UsersFileError(
            f"{source}: unknown top-level key {extra[0]!r} (only [users.NAME] tables)")
    users = document.get("users", {})
    if not isinstance(users, dict):
        raise UsersFileError(f"{source}: users must be a table")
    tables = {}
    try:
        return {name: parseUser(name, table, tables)
                for name, table in users.items()}
    except UsersFileError as e:
        raise UsersFileError(f"{source}: {e}")


def readUsersData(path):
    """
    Read a users file's bytes, unchecked.

    @param path: its path.
    @return: its content, C{bytes}.
    @raise UsersFileError: when it cannot be read.
    """
    return readUsersSource(path, UsersFileError, "users file")


def parseUsersData(data, source="<users>"):
    """
    Parse a users file's bytes.

    @param data: the file's content, C{bytes}.
    @param source: the file name, for messages.
    @return: see L{parseUsers}.
    @raise UsersFileError: when it is not UTF-8 or not valid.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise UsersFileError(f"{source}: not UTF-8")
    return parseUsers(text, source)


def readUsersFile(path):
    """
    Read and parse a users file.

    @param path: its path.
    @return: see L{parseUsers}.
    @raise UsersFileError: when it cannot be read or is not valid.
    """
    return parseUsersData(readUsersData(path), path)
