"""
Values a process works out at start for its sessions (what a users
file's checker and realms work out over every user: the dummy hash's
cost, the permissions C{FEAT} offers, the homes the quotas know,
L{ftpkit.auth.usersviews}), held while the server's options are parsed
(L{heldWhileParsed}) and worked out once they are, only by a process
that serves sessions: the acceptor of C{--workers} serves none, and
worked them out, 1.1 s at 60,000 users, before it knew it was the
acceptor (its options parsed), only to let go of them
(L{ftpkit.deploy.keptfiles.keepOnly}).

Outside of a parse (a realm built by a program of its own, a test) each
is worked out at once, as it always was.
"""

from contextlib import contextmanager

_held = []
"""The works held by each parse under way, innermost last, as
C{(work, args)} pairs: empty when none is."""


def atStart(work, *args):
    """
    Work a start value out: now, or once the server's options are parsed
    when they are being parsed (L{heldWhileParsed}), if the process
    serves sessions.

    @param work: a callable, taking C{args}.
    @param args: its arguments.
    """
    if _held:
        _held[-1].append((work, args))
    else:
        work(*args)


@contextmanager
def heldWhileParsed():
    """
    Hold the works L{atStart} is given while the block parses the
    server's options; once it is done, run them if the block set the
    C{serves} of what it is given (a C{dict}) true, and let go of them
    otherwise (the acceptor of C{--workers}, an option refused).

    @return: a context manager giving a C{dict} whose C{"serves"} the
        block sets.
    """
    works = []
    decided = {"serves": False}
    _held.append(works)
    try:
        yield decided
    finally:
        _held.pop()
    if decided["serves"]:
        for work, args in works:
            work(*args)
