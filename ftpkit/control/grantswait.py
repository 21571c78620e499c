"""
C{FEAT} before login waits, a moment, for the realm to know what it
grants (L{ftpkit.protocol.access.grantedBy}): a C{--realm pg:DSN}
server's realm asks its database at the first C{FEAT} of each process
and offered everything until the answer came, and lftp, which asks
C{FEAT} before C{USER} and keeps the answer, then set times its users
may not. So do C{HELP} (C{HELP SITE}) and C{OPTS REST STOR}, which offer
the same (L{ftpkit.control.handlers.offers.SessionOffers.offering}):
they answered at once, with everything, while C{FEAT} waited. A realm
says so through an optional C{grantsKnown()}
(L{ftpkit.auth.users.UsersRealm.grantsKnown}); one without it is not
waited for.

The query is not started when the reactor starts instead: under
C{--workers} the acceptor builds the realm too, and would open a
database connection it never uses, and a client connecting at once
would still find no answer.
"""

import functools

from twisted.internet import defer

GRANTS_WAIT = 5
"""The longest C{FEAT} before login waits for its realm to know what it
grants (C{--realm pg:DSN}: the database's first answer, one query,
once per process), before it answers with what is known (everything;
a PostgreSQL realm then stops waiting for that answer,
L{ftpkit.auth.pgusers.PostgresUsers.grantedKnown})."""


def grantsPending(realm):
    """
    @param realm: the realm a login would go to now, or C{None}.
    @return: a Deferred firing once it knows what it grants, where it
        does not yet; C{None} otherwise.
    """
    known = getattr(realm, "grantsKnown", None)
    return known() if callable(known) else None


def whenKnown(realm, clock, reply, *args):
    """
    A reply that offers what a realm grants, made once it knows.

    @param realm: the realm a login would go to now, or C{None}.
    @param clock: the L{twisted.internet.interfaces.IReactorTime} timing
        a wait (L{onceKnown}).
    @param reply: makes the reply from what is known then.
    @param args: its arguments.
    @return: the reply, at once where the realm knows (L{grantsPending});
        else a coroutine giving it (L{onceKnown}).
    """
    pending = grantsPending(realm)
    if pending is None:
        return reply(*args)
    return onceKnown(pending, clock, functools.partial(reply, *args))


async def onceKnown(pending, clock, reply):
    """
    Wait for C{pending}, at most L{GRANTS_WAIT} seconds.

    @param pending: what L{grantsPending} gave.
    @param clock: the L{twisted.internet.interfaces.IReactorTime} timing
        the wait.
    @param reply: makes the reply, without arguments.
    @return: what C{reply} gives once C{pending} fired or the time passed
        (then from what is known).
    """
    pending.addTimeout(GRANTS_WAIT, clock)
    try:
        await pending
    except defer.TimeoutError:
        pass
    return reply()
