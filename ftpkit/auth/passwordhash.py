"""
Password hashes of virtual users: scrypt with a random salt, stored as
C{"scrypt$N$r$p$SALT$HASH"} (L{hashPassword}), checked in constant time
(L{verifyPassword}; blocking and slow on purpose: run it in a thread).
"""

import base64
import binascii
import hashlib
import hmac
import secrets

from ftpkit.protocol.numbertext import wholeNumber

SCRYPT_N = 2**14
"""The default scrypt CPU/memory cost (a power of two)."""

SCRYPT_R = 8
"""The default scrypt block size."""

SCRYPT_P = 1
"""The default scrypt parallelism."""

_SCHEME = "scrypt"
_SALT_BYTES = 16
_HASH_BYTES = 32
_MAX_N = 2**20
_MAX_R = 32
_MAX_P = 16


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
        n, r, p = (wholeNumber(part) for part in parts[1:4])
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


def dummyHash(n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P):
    """
    @param n: the scrypt cost C{N} (L{SCRYPT_N} by default).
    @param r: its block size C{r}.
    @param p: its parallelism C{p}.
    @return: a hash nobody knows the password of, made once per cost,
        to spend on unknown users the time a real check takes.
    """
    key = (n, r, p)
    if key not in _dummyHashes:
        _dummyHashes[key] = hashPassword(secrets.token_hex(16), n, r, p)
    return _dummyHashes[key]
