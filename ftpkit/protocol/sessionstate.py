"""
L{Session}: what a control connection's commands set, as one value.

The protocol (L{ftpkit.control.server.FTPProtocol}) owns one, as its C{session};
the handlers (L{ftpkit.control.handlers}) read and change its fields, each handler
class naming the fields it uses in its C{sessionFields}. C{REIN} replaces
it with a fresh one, so that after C{REIN} a session is as a new
connection's.

What belongs to the connection rather than to the session stays out of it
and survives C{REIN}: the client's address, the control connection's TLS
state (C{AUTH}, C{PBSZ}, C{PROT}: RFC 4217 ties them to the control
connection, not to a login; C{REIN} is refused while the control
connection is under TLS, and after C{CCC} keeps the protection level),
and the count of failed logins (so that C{REIN} cannot reset the limit on
password guesses). Pure: no Twisted.
"""

from dataclasses import dataclass, field
from typing import Callable, Optional, Tuple

from ftpkit.protocol import listingfacts
from ftpkit.protocol.access import AccessPolicy
from ftpkit.protocol.commands import DEFAULT_DEFLATE_LEVEL


@dataclass(slots=True)
class Session:
    """
    The state of one session, from C{HOST} or C{USER} to C{REIN} or the end of the
    connection.

    @ivar username: the name given to C{USER}, or C{None}.
    @ivar anonymous: whether that name means an anonymous login.
    @ivar access: the L{AccessPolicy} of that user.
    @ivar shell: the logged-in user's L{ftpkit.interfaces.IFTPShell}, or
        C{None} before login.
    @ivar realmLogout: the realm's logout callable for C{shell}, or C{None}.
    @ivar cwd: the current directory, a tuple of segments.
    @ivar renameFrom: the path given to C{RNFR}, until C{RNTO} uses it.
    @ivar binary: C{TYPE I} (C{True}) or C{TYPE A} (C{False}).
    @ivar deflate: the zlib level of C{MODE Z} transfers while C{MODE Z}
        is in force, else C{None} (C{MODE S}).
    @ivar deflateLevel: the level C{OPTS MODE Z LEVEL} chose, kept
        across C{MODE S}.
    @ivar restartOffset: the offset C{REST} set for the next transfer.
    @ivar mlstFacts: the facts C{MLST}/C{MLSD} show (C{OPTS MLST}).
    @ivar chosenHash: the C{hashlib} name chosen with C{OPTS HASH}, or
        C{None} for the server's first algorithm.
    @ivar downloadRate: the logged-in user's own download rate (bytes a
        second, L{ftpkit.interfaces.IFTPShellRates}), or C{None} for the
        server's.
    @ivar uploadRate: likewise for uploads.
    @ivar rateLimits: the session's own rate limits, by direction
        (C{True} for uploads), made at its first paced transfer each way
        and drawn on by every transfer after it
        (L{ftpkit.data.movers.pacing.pacerFor}): a limit made anew for
        each transfer started each with a full burst, so that small
        transfers one after another went unpaced. C{None} until the
        session's first transfer makes the C{dict} (L{rateLimitsOf}): a
        session that never transfers holds none.
    @ivar epsvAll: C{EPSV ALL} was given: only C{EPSV} may set up data
        connections.
    @ivar hostName: the name accepted by C{HOST} (RFC 7151), or C{None}.
    @ivar portal: the portal of the virtual host C{HOST} picked, or
        C{None} for the server's default one.
    """

    username: Optional[str] = None
    anonymous: bool = False
    access: AccessPolicy = AccessPolicy()
    shell: object = None
    realmLogout: Optional[Callable[[], object]] = None
    cwd: Tuple[str, ...] = ()
    renameFrom: Optional[Tuple[str, ...]] = None
    binary: bool = False
    deflate: Optional[int] = None
    deflateLevel: int = DEFAULT_DEFLATE_LEVEL
    restartOffset: int = 0
    mlstFacts: Tuple[str, ...] = listingfacts.DEFAULT_FACTS
    chosenHash: Optional[str] = None
    epsvAll: bool = False
    hostName: Optional[str] = None
    portal: object = None
    downloadRate: Optional[int] = None
    uploadRate: Optional[int] = None
    rateLimits: Optional[dict] = field(default=None, compare=False)


def rateLimitsOf(session):
    """
    @param session: a L{Session}.
    @return: its C{rateLimits}, made by the first call (its first
        transfer's): a session that never transfers holds no C{dict}.
    """
    limits = session.rateLimits
    if limits is None:
        limits = session.rateLimits = {}
    return limits
