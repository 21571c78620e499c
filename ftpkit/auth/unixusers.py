"""
The checker of C{--auth unix}: the system's users (C{pwd}, C{spwd}) and
their C{crypt} hashes, as Twisted's C{cred_unix} checks them, except that a
name the system does not know costs the same C{crypt} as a wrong password:
Twisted's ran C{crypt} only for users that exist, so the time a failed
login took told which names do.
"""

import importlib
import pwd
import secrets
import warnings

from twisted.cred.checkers import ICredentialsChecker
from twisted.cred.credentials import IUsernamePassword
from twisted.cred.error import UnauthorizedLogin
from twisted.internet import threads
from twisted.plugins.cred_unix import verifyCryptedPassword
from zope.interface import implementer


def _optional(name):
    """
    @return: the module C{name} (C{spwd}, C{crypt}: deprecated, and gone
        from newer Pythons), or C{None} where it does not exist.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return importlib.import_module(name)
    except ImportError:
        return None


def commonSetting(hashes):
    """
    The C{crypt} setting (scheme, parameters, salt) most of the system's
    hashes use, for a dummy hash that costs what theirs do.

    @param hashes: the hashes of the password databases; locked (C{!}),
        empty or placeholder (C{x}, C{*}) ones are skipped.
    @return: the setting (all of one hash before its last C{$}) of the
        first hash of the most common scheme (C{$6$}, C{$y$}...), or
        C{None} when no hash has a scheme.
    """
    byScheme = {}
    for crypted in hashes:
        if crypted.startswith("$") and crypted.count("$") >= 3:
            scheme = crypted[:crypted.index("$", 1) + 1]
            byScheme.setdefault(scheme, []).append(crypted)
    if not byScheme:
        return None
    crypted = max(byScheme.values(), key=len)[0]
    return crypted[:crypted.rindex("$")]


def _systemHashes():
    """
    @return: the hashes of C{pwd} and, where it can be read, C{spwd}.
    """
    hashes = [entry.pw_passwd for entry in pwd.getpwall()]
    spwd = _optional("spwd")
    if spwd is not None:
        try:
            hashes += [entry.sp_pwdp for entry in spwd.getspall()]
        except OSError:
            pass
    return hashes


def systemDummyHash():
    """
    @return: a hash nobody knows the password of, of the scheme and cost
        of the system's own (L{commonSetting}; the strongest scheme
        C{crypt} has when no hash can be read), or C{"*"} where there is
        no C{crypt} (where no C{unix} login can be checked at all).
    """
    crypt = _optional("crypt")
    if crypt is None:
        return "*"
    setting = commonSetting(_systemHashes()) or crypt.mksalt(crypt.methods[0])
    return crypt.crypt(secrets.token_hex(16), setting)


def storedHash(username):
    """
    @param username: a user name.
    @return: the user's C{crypt} hash (C{spwd}'s where C{pwd} has only a
        placeholder), or C{None} when the system has no such user or the
        user is C{root} (uid 0, under any name), who never logs in over
        FTP: vsftpd (C{ftpusers}) and ProFTPD (C{RootLogin off}) refuse
        it too.
    """
    try:
        entry = pwd.getpwnam(username)
    except KeyError:
        return None
    if entry.pw_uid == 0:
        return None
    crypted = entry.pw_passwd
    if crypted not in ("x", "*"):
        return crypted
    spwd = _optional("spwd")
    if spwd is None:
        return crypted
    try:
        return spwd.getspnam(username).sp_pwdp
    except KeyError:
        return None


_LOCKED = ("!", "*")
"""How the hash of an account that cannot log in with a password starts
(locked, a system account): C{crypt} refuses it at once, so it is not
checked, the dummy hash is."""


@implementer(ICredentialsChecker)
class UnixChecker:
    """
    Checks a user name and password against the system's users.

    @ivar dummyHash: the hash checked, and failed, for a name the system
        does not know.
    """

    credentialInterfaces = (IUsernamePassword,)

    def __init__(self, dummyHash, run=threads.deferToThread):
        """
        @param dummyHash: see L{dummyHash}, e.g. L{systemDummyHash}'s.
        @param run: runs a blocking callable off the reactor thread,
            returning a L{Deferred}: C{crypt} (yescrypt, SHA-512 with many
            rounds) and the name service may take long enough to stall
            every session otherwise.
        """
        self.dummyHash = dummyHash
        self._run = run

    def requestAvatarId(self, credentials):
        """
        @param credentials: an L{IUsernamePassword}.
        @return: a Deferred firing with the user name, or failing with
            L{UnauthorizedLogin}, after one C{crypt} either way, run off
            the reactor thread.
        """
        return self._run(self._check, credentials.username,
                         credentials.password)

    def _check(self, username, password):
        """
        The blocking check of L{requestAvatarId}.

        @return: the user name (C{str}).
        @raise UnauthorizedLogin: for a wrong password or unknown name.
        """
        try:
            if isinstance(username, bytes):
                username = username.decode("utf-8")
            crypted = storedHash(username)
        except UnicodeDecodeError:
            crypted = None
        if crypted is None or crypted.startswith(_LOCKED):
            verifyCryptedPassword(self.dummyHash, password)
        elif verifyCryptedPassword(crypted, password):
            return username
        raise UnauthorizedLogin()
