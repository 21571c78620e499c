"""
Virtual users from a TOML file: their password hashes, home directories,
permissions and quotas.

The file (see C{docs/virtual-users.rst})::

    [users.alice]
    password = "scrypt$16384$8$1$c2FsdA==$aGFzaA=="
    home = "alice"
    permissions = ["list", "read", "write", "mkdir"]
    quota = 104857600
    quota-files = 10000
    read-only = false

    [users.alice.directories."/incoming"]
    permissions = ["list", "write"]

L{UsersDatabase} reads it (again when its modification time changes, or
on C{SIGHUP} through L{ftpkit.auth.realms.ReloadOnHangup}); L{UsersChecker} is
the C{twisted.cred} checker of C{--auth users:PATH} and L{UsersRealm} the
realm of C{--realm users:PATH}. Passwords are scrypt hashes made by
L{hashPassword} (C{python -m ftpkit.passwd} writes them).
"""

import base64
import binascii
import hashlib
import hmac
import os
import secrets
import tomllib
from dataclasses import dataclass, field
from typing import Optional

from twisted.cred import checkers, credentials, error
from twisted.cred.portal import IRealm
from twisted.internet import defer, threads
from twisted.logger import Logger
from zope.interface import alsoProvides, implementer

from ftpkit.auth.realms import (
    checkAvatarInterfaces,
    isAnonymous,
    isSafeUserName,
    noLogout,
    wrapForUser,
)
from ftpkit.deploy.limitoptions import parseByteCount
from ftpkit.errors import FTPError
from ftpkit.interfaces import IFTPShell, IFTPShellRates
from ftpkit.protocol import paths
from ftpkit.shells.filesystem import FilesystemShell
from ftpkit.shells.permissions import (
    PERMISSIONS,
    PermissionShell,
    PermissionTable,
    QuotaUsage,
)
from ftpkit.shells.quotas import diskFootprint

_log = Logger()

SCRYPT_N = 2**14
"""The default scrypt CPU/memory cost (a power of two)."""

SCRYPT_R = 8
"""The default scrypt block size."""

SCRYPT_P = 1
"""The default scrypt parallelism."""

DEFAULT_PERMISSIONS = ("list", "read")
"""The permissions of a user whose entry gives none."""

_SCHEME = "scrypt"
_SALT_BYTES = 16
_HASH_BYTES = 32
_MAX_N = 2**20
_MAX_R = 32
_MAX_P = 16
_USER_KEYS = {"password", "home", "permissions", "quota", "quota-files",
              "read-only", "directories", "max-download-rate",
              "max-upload-rate"}


class UsersFileError(ValueError):
    """
    A users file that cannot be read or is not valid; the message names
    the file and the entry at fault.
    """


def hashPassword(password, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P):
    """
    Hash a password with scrypt and a random salt.

    @param password: the password, C{str}.
    @param n: the CPU/memory cost, a power of two.
    @param r: the block size.
    @param p: the parallelism.
    @return: C{"scrypt$N$r$p$SALT$HASH"}, salt and hash in base64.
    """
    salt = secrets.token_bytes(_SALT_BYTES)
    digest = _scrypt(password.encode("utf-8"), salt, n, r, p)
    return "$".join([
        _SCHEME, str(n), str(r), str(p),
        base64.b64encode(salt).decode("ascii"),
        base64.b64encode(digest).decode("ascii"),
    ])


def _scrypt(secret, salt, n, r, p, length=_HASH_BYTES):
    """
    @return: the scrypt hash of C{secret}, with room in memory for C{n}
        and C{r}.
    """
    return hashlib.scrypt(
        secret, salt=salt, n=n, r=r, p=p, dklen=length,
        maxmem=128 * r * (n + p + 2) + 1024 * 1024,
    )


def parseHash(stored):
    """
    Split a hash made by L{hashPassword}.

    @param stored: C{"scrypt$N$r$p$SALT$HASH"}.
    @return: C{(n, r, p, salt, digest)}.
    @raise ValueError: when C{stored} is not such a hash, or its
        parameters are out of bounds.
    """
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != _SCHEME:
        raise ValueError("not a scrypt$N$r$p$SALT$HASH password hash")
    try:
        n, r, p = (int(part) for part in parts[1:4])
        salt = base64.b64decode(parts[4], validate=True)
        digest = base64.b64decode(parts[5], validate=True)
    except (ValueError, binascii.Error):
        raise ValueError("malformed scrypt password hash")
    if n < 2 or n > _MAX_N or n & (n - 1):
        raise ValueError(f"scrypt N must be a power of two up to {_MAX_N}")
    if not (1 <= r <= _MAX_R and 1 <= p <= _MAX_P):
        raise ValueError(
            f"scrypt needs 1 <= r <= {_MAX_R} and 1 <= p <= {_MAX_P}")
    if not salt or len(digest) < 16:
        raise ValueError("scrypt salt or hash too short")
    return n, r, p, salt, digest


def isPasswordHash(stored):
    """
    @param stored: a C{password} value from a users file.
    @return: whether it looks like a hash (C{"scrypt$..."}) rather than
        clear text.
    """
    return stored.startswith(_SCHEME + "$")


def verifyPassword(password, stored):
    """
    Check a password against a hash, in constant time for a given hash
    (blocking and slow on purpose: run it in a thread).

    @param password: the password given, C{bytes} or C{str}.
    @param stored: a hash from L{hashPassword}.
    @return: whether they match.
    @raise ValueError: when C{stored} is not a valid hash.
    """
    if isinstance(password, str):
        password = password.encode("utf-8")
    n, r, p, salt, digest = parseHash(stored)
    return hmac.compare_digest(_scrypt(password, salt, n, r, p, len(digest)),
                               digest)


_dummyHashes = {}


def _dummyHash(n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P):
    """
    @return: a hash nobody knows the password of, made once per cost,
        to spend on unknown users the time a real check takes.
    """
    key = (n, r, p)
    if key not in _dummyHashes:
        _dummyHashes[key] = hashPassword(secrets.token_hex(16), n, r, p)
    return _dummyHashes[key]


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


def parseUser(name, table):
    """
    Check and convert one C{[users.NAME]} table.

    @param name: the user name.
    @param table: the table, as C{tomllib} gives it.
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
    quota = table.get("quota")
    if quota is not None and (
        isinstance(quota, bool) or not isinstance(quota, int) or quota < 0
    ):
        raise UsersFileError(f"{where}.quota: must be a number of bytes >= 0")
    fileQuota = table.get("quota-files")
    if fileQuota is not None and (
        isinstance(fileQuota, bool) or not isinstance(fileQuota, int)
        or fileQuota < 1
    ):
        raise UsersFileError(f"{where}.quota-files: must be a positive integer")
    readOnly = table.get("read-only", False)
    if not isinstance(readOnly, bool):
        raise UsersFileError(f"{where}.read-only: must be true or false")
    default = _permissionList(
        table.get("permissions", list(DEFAULT_PERMISSIONS)),
        f"{where}.permissions")
    overrides = _directories(table.get("directories", {}),
                             f"{where}.directories")
    rates = [_rate(table.get(key), f"{where}.{key}")
             for key in ("max-download-rate", "max-upload-rate")]
    return UserEntry(name, password, home, PermissionTable(default, overrides),
                     quota, readOnly, *rates, fileQuota=fileQuota)


def _rate(value, where):
    """
    @param value: a C{max-download-rate} or C{max-upload-rate} value: a
        number of bytes a second, or text such as C{"500K"}; or C{None}.
    @param where: the key path, for messages.
    @return: bytes a second, or C{None}.
    @raise UsersFileError: when it is not a rate.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise UsersFileError(f"{where}: must be bytes a second, like 500K")
    try:
        return parseByteCount(value)
    except ValueError as e:
        raise UsersFileError(f"{where}: {e}")


def parseUsers(text, source="<users>"):
    """
    Parse the text of a users file.

    @param text: the TOML text.
    @param source: the file name, for messages.
    @return: a C{dict} of user name to L{UserEntry}.
    @raise UsersFileError: saying where the file is wrong.
    """
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise UsersFileError(f"{source}: not valid TOML: {e}")
    extra = sorted(set(document) - {"users"})
    if extra:
        raise UsersFileError(
            f"{source}: unknown top-level key {extra[0]!r} (only [users.NAME] tables)")
    users = document.get("users", {})
    if not isinstance(users, dict):
        raise UsersFileError(f"{source}: users must be a table")
    try:
        return {name: parseUser(name, table) for name, table in users.items()}
    except UsersFileError as e:
        raise UsersFileError(f"{source}: {e}")


def readUsersFile(path):
    """
    Read and parse a users file.

    @param path: its path.
    @return: see L{parseUsers}.
    @raise UsersFileError: when it cannot be read or is not valid.
    """
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise UsersFileError(f"cannot read users file {path!r}: {e.strerror}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise UsersFileError(f"{path}: not UTF-8")
    return parseUsers(text, path)


def _signature(path):
    """
    @return: what tells whether a file changed: its modification time,
        size and inode, or C{None} when it cannot be stat'ed.
    """
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_mtime_ns, info.st_size, info.st_ino)


class UsersDatabase:
    """
    The users of one file, read again when it changes.

    A file that became invalid is logged and ignored: the users read last
    stay in force until it is fixed.

    @ivar path: the file's absolute path.
    @ivar users: a C{dict} of user name to L{UserEntry}.
    @ivar generation: bumped at each successful (re)load.
    @ivar shared: C{False}: this server alone changes the homes, so quota
        usage is measured once and then kept up to date.
    """

    shared = False

    def __init__(self, path):
        """
        Read the file.

        @param path: the users file.
        @raise UsersFileError: when it cannot be read or is not valid.
        """
        self.path = os.path.abspath(path)
        self._signature = _signature(self.path)
        self.users = readUsersFile(self.path)
        self.generation = 0

    def reload(self):
        """
        Read the file again (on C{SIGHUP}, say).

        @return: whether the users were replaced.
        """
        self._signature = _signature(self.path)
        try:
            users = readUsersFile(self.path)
        except UsersFileError as e:
            _log.error("users file not reloaded, keeping the old users: {why}",
                       why=str(e))
            return False
        self.users = users
        self.generation += 1
        _log.info("reloaded {count} users from {path}", count=len(users),
                  path=self.path)
        return True

    def reloadIfChanged(self):
        """
        Read the file again if its modification time, size or inode
        changed since last read (one C{stat}).

        @return: whether the users were replaced.
        """
        if _signature(self.path) == self._signature:
            return False
        return self.reload()

    def get(self, name):
        """
        @param name: a user name.
        @return: the L{UserEntry}, or C{None} for an unknown user (after
            a L{reloadIfChanged}).
        """
        self.reloadIfChanged()
        return self.users.get(name)


@implementer(checkers.ICredentialsChecker)
class UsersChecker:
    """
    The C{--auth users:PATH} checker: user names and passwords checked
    against the hashes of a L{UsersDatabase}.

    The scrypt check runs in a thread. An unknown user, a user without a
    password and a clear-text entry (refused, with an error logged) all
    cost a check against a dummy hash, so that they take the time a
    wrong password takes.

    @ivar database: the L{UsersDatabase}.
    @ivar reload: the database's C{reload}, called on C{SIGHUP}.
    """

    credentialInterfaces = (credentials.IUsernamePassword,)

    def __init__(self, database, run=threads.deferToThread):
        """
        @param database: a L{UsersDatabase}, or anything with its C{get},
            C{reload} and C{path} whose C{get} may return a Deferred
            (L{ftpkit.auth.pgusers.PostgresUsers}).
        @param run: runs a blocking callable off the reactor thread,
            returning a L{Deferred}.
        """
        self.database = database
        self.reload = database.reload
        self._run = run

    def _storedHash(self, entry, name):
        """
        @param entry: the user's L{UserEntry}, or C{None}.
        @param name: the user name, C{str}.
        @return: C{(hash, real)}: the hash to check against (C{None} for
            the dummy one) and whether it is the user's own.
        """
        if entry is None or entry.password is None:
            return None, False
        if not isPasswordHash(entry.password):
            _log.error(
                "users file {path}: user {user} has a clear-text password;"
                " refused (set a hash with python -m ftpkit.passwd)",
                path=self.database.path, user=name)
            return None, False
        return entry.password, True

    def requestAvatarId(self, creds):
        """
        Check a user name and password.

        @param creds: L{credentials.IUsernamePassword} (C{bytes} or C{str}).
        @return: a Deferred firing with the user name (C{str}); fails with
            L{error.UnauthorizedLogin}, or with what the database's C{get}
            failed with.
        """
        try:
            name = _text(creds.username)
            password = _text(creds.password)
        except UnicodeDecodeError:
            return _refused()
        entry = self.database.get(name)
        if isinstance(entry, defer.Deferred):
            return entry.addCallback(self._check, name, password)
        return self._check(entry, name, password)

    def _check(self, entry, name, password):
        """
        @param entry: the user's L{UserEntry}, or C{None}.
        @param name: the user name.
        @param password: the password given.
        @return: a Deferred firing with C{name} when the password matches.
        """
        stored, real = self._storedHash(entry, name)
        checking = self._run(_verifyOrDummy, password, stored)

        def checked(match):
            if match and real:
                return name
            raise error.UnauthorizedLogin("wrong user name or password")

        return checking.addCallback(checked)


def _verifyOrDummy(password, stored):
    """
    L{verifyPassword}, against a dummy hash when C{stored} is C{None}
    (blocking: the dummy is made here the first time, off the reactor).
    """
    return verifyPassword(password, _dummyHash() if stored is None else stored)


def _refused():
    """
    @return: a failed Deferred with L{error.UnauthorizedLogin}.
    """
    return defer.fail(error.UnauthorizedLogin("credentials are not UTF-8"))


def _text(value):
    """
    @param value: C{str} or UTF-8 C{bytes}.
    @return: C{value} as C{str}.
    @raise UnicodeDecodeError: for bytes that are not UTF-8.
    """
    return value.decode("utf-8") if isinstance(value, bytes) else value


@implementer(IRealm)
class UsersRealm:
    """
    The C{--realm users:PATH} realm: each user of a L{UsersDatabase} sees
    their home on disk, with their permissions, quota and read-only flag.

    Anonymous users (C{--auth anonymous}) get the entry named
    C{anonymous}, when there is one; otherwise they are refused. A user
    keeps the rules in force when they logged in until they log in again.

    @ivar database: the L{UsersDatabase}.
    @ivar root: where relative homes are, an absolute path.
    @ivar reload: the database's C{reload}, called on C{SIGHUP}.
    """

    def __init__(self, database, root, readOnly=False, anonymousWrite=False,
                 reactor=None):
        """
        @param database: a L{UsersDatabase}, or anything with its C{get},
            C{reload}, C{path}, C{generation} and C{shared} whose C{get}
            may return a Deferred (L{ftpkit.auth.pgusers.PostgresUsers}).
        @param root: the directory relative homes are in.
        @param readOnly: nobody may change anything (C{--read-only}).
        @param anonymousWrite: the C{anonymous} entry may upload new
            files (C{--anonymous-write}); it is read-only otherwise.
        @param reactor: handed to each
            L{ftpkit.shells.filesystem.FilesystemShell}.
        """
        self.database = database
        self.reload = database.reload
        self.root = os.path.abspath(root)
        self._readOnly = readOnly
        self._anonymousWrite = anonymousWrite
        self._reactor = reactor
        self._usages = {}
        self._generation = database.generation

    def homeOf(self, entry):
        """
        Find, and create if needed, a user's home directory.

        @param entry: a L{UserEntry}.
        @return: its absolute path.
        @raise error.UnauthorizedLogin: when it cannot be made.
        """
        home = os.path.normpath(os.path.join(self.root, entry.home))
        try:
            os.makedirs(home, exist_ok=True)
        except OSError as e:
            _log.error("cannot create home {home} of {user}: {why}",
                       home=home, user=entry.name, why=e.strerror)
            raise error.UnauthorizedLogin("home directory unavailable")
        return home

    def usageOf(self, home):
        """
        @param home: an absolute home directory.
        @return: the L{QuotaUsage} every session of that home shares;
            after a reload of the database each is measured again.
        """
        if self._generation != self.database.generation:
            self._generation = self.database.generation
            for usage in self._usages.values():
                usage.invalidate()
        if home not in self._usages:
            self._usages[home] = QuotaUsage(lambda: diskFootprint(home))
        return self._usages[home]

    def requestAvatar(self, avatarId, mind, *interfaces):
        """
        Build the shell of a user who logged in.

        @param avatarId: a user name or C{checkers.ANONYMOUS}.
        @param mind: unused.
        @param interfaces: must include L{IFTPShell}.
        @return: C{(IFTPShell, shell, logout)}.
        @raise UnsupportedAvatarInterface: when L{IFTPShell} is not asked
            for.
        @raise error.UnauthorizedLogin: for a user not in the file.
        """
        checkAvatarInterfaces(interfaces)
        anonymous = isAnonymous(avatarId)
        name = "anonymous" if anonymous else _text(avatarId)
        entry = self.database.get(name)
        if isinstance(entry, defer.Deferred):
            return entry.addCallback(self._avatarFor, name, anonymous)
        return self._avatarFor(entry, name, anonymous)

    def _avatarFor(self, entry, name, anonymous):
        """
        @param entry: the user's L{UserEntry}, or C{None}.
        @param name: the user name.
        @param anonymous: whether it is the anonymous login.
        @return: C{(IFTPShell, shell, logout)}.
        @raise error.UnauthorizedLogin: when C{entry} is C{None}.
        """
        if entry is None:
            raise error.UnauthorizedLogin(
                f"no user {name!r} in {self.database.path}")
        home = self.homeOf(entry)
        usage = None
        if entry.quota is not None or entry.fileQuota is not None:
            usage = self.usageOf(home)
            if self.database.shared:
                usage.invalidate()
        shell = PermissionShell(
            FilesystemShell(home, reactor=self._reactor),
            entry.permissions, entry.quota, usage, entry.fileQuota)
        shell = wrapForUser(shell, anonymous, self._readOnly or entry.readOnly,
                            self._anonymousWrite)
        if entry.downloadRate is not None or entry.uploadRate is not None:
            alsoProvides(shell, IFTPShellRates)
            shell.downloadRate = entry.downloadRate
            shell.uploadRate = entry.uploadRate
        return IFTPShell, shell, noLogout
