"""
The cost of the dummy hash a users file's checker checks an unknown name
against (L{ftpkit.auth.users.UsersChecker}), so that it takes the time a
known name's check takes: the cost most of the file's hashes have
(L{commonCost}), or most of the hashes logins found in a database read at
each login (L{mostCommonCost}).
"""

from collections import Counter

from ftpkit.auth.passwordhash import (
    SCRYPT_N,
    SCRYPT_P,
    SCRYPT_R,
    isPasswordHash,
    parseHash,
)

SEEN_COSTS = 16
"""Costs of the hashes logins found that a
L{ftpkit.auth.users.UsersChecker} of a database
read at each login counts, at most (hashes of more costs than that are
not counted)."""


def mostCommonCost(costs):
    """
    @param costs: a L{Counter} of scrypt C{(n, r, p)}.
    @return: the cost counted most (the smallest of those tied), or the
        default (L{SCRYPT_N}, L{SCRYPT_R}, L{SCRYPT_P}) when none is.
    """
    if not costs:
        return (SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return min(costs, key=lambda cost: (-costs[cost], cost))


def commonCost(entries):
    """
    @param entries: L{ftpkit.auth.usersfile.UserEntry}s.
    @return: the scrypt C{(n, r, p)} most of their hashes have (the
        smallest of those tied), or the default (L{SCRYPT_N},
        L{SCRYPT_R}, L{SCRYPT_P}) when none has a hash.
    """
    costs = Counter()
    for entry in entries:
        if entry.password is not None and isPasswordHash(entry.password):
            costs[parseHash(entry.password)[:3]] += 1
    return mostCommonCost(costs)

