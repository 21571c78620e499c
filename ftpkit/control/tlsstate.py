"""
The TLS state of one control connection, as one value: whether the
control connection is under TLS, whether data connections are protected
(C{PBSZ}, C{PROT}), the TLS context to give back, and what C{CCC} left
for the data connections. A session holds it in one attribute (its
class's default, L{CLEAR}, until TLS starts). When TLS starts (C{AUTH},
an implicit listener) the session gets a value of its own, which C{PBSZ},
C{PROT}, C{CCC} and the handshake change: so an FTPS session stores one
name for all of it, and its other names keep the class's shared keys
(C{tests.integration.test_sessionnames}).
"""

from dataclasses import dataclass, fields
from typing import Any, Optional


@dataclass(slots=True)
class ControlTLS:
    """
    One control connection's TLS state. Changed in place, and only once
    TLS started and the session holds one of its own (every change
    follows TLS), never L{CLEAR}: not frozen, as a new value at each
    change (C{dataclasses.replace}) cost an FTPS login 2.5% more
    instructions (C{docs/benchmark-investigations.rst},
    C{bench-login-53c}).

    @ivar controlSecure: the control connection is under TLS.
    @ivar protectData: PROT P is in force.
    @ivar bufferSizeSet: PBSZ was given since TLS started (RFC 2228
        section 3 and RFC 4217 section 8: PROT must follow it).
    @ivar handshakeDone: the control connection's TLS handshake completed.
    @ivar context: the OpenSSL context TLS on the control connection
        started with, to give back when it ends, or C{None}.
    @ivar contextLent: a data connection used that context (so it is not
        given back).
    @ivar clearedContext: after C{CCC}, the TLS context the control
        connection had, which data connections keep using (so that they
        can still resume its session).
    @ivar clearedSecret: after C{CCC}, what tells that session
        (L{ftpkit.data.tls.sessionSecret}).
    @ivar resumedTickets: the L{ftpkit.data.tls.ResumedTickets} of the
        control connection's TLS session, or C{None} before a data
        connection needs it.
    """

    controlSecure: bool = False
    protectData: bool = False
    bufferSizeSet: bool = False
    handshakeDone: bool = False
    context: Optional[Any] = None
    contextLent: bool = False
    clearedContext: Optional[Any] = None
    clearedSecret: Optional[bytes] = None
    resumedTickets: Optional[Any] = None


class _Shared(ControlTLS):
    """
    L{CLEAR}: a L{ControlTLS} that refuses every change, being every
    session's until TLS starts (a change there would be every session's).
    """

    __slots__ = ()

    def __setattr__(self, name, value):
        raise AttributeError(f"CLEAR is every session's TLS state before "
                             f"TLS starts: {name} cannot change in it")


CLEAR = _Shared.__new__(_Shared)
"""A control connection TLS never touched: in clear, data clear (the
class default every session shares: never changed)."""
for _field in fields(ControlTLS):
    object.__setattr__(CLEAR, _field.name, _field.default)
del _field
