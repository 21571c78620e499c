"""
L{ContextPool}: the OpenSSL contexts of control connections that ended,
kept for later ones.

Every control connection has a context of its own (see
L{ftpkit.control.tls}), so that its data connections can resume its TLS
session and no other; making one costs more than the rest of an FTPS login
outside the handshake (OpenSSL builds its tables, loads the certificate and
the key). A context whose session ended without lending itself to a data
connection holds nothing but that session's one cached TLS session; it is
given a new session ID context (L{ftpkit.compat.renameSessionContext}), which
OpenSSL compares before resuming any session, so the sessions it cached
before can never be resumed again, and serves the next control connection.

The new name need only differ from every name the context had: a client
cannot choose the name it is compared with, only the session it presents,
and the cache holds the context's own sessions alone. So the names are
counted (L{sessionContextNames}), one C{getrandom} call fewer for each
FTPS session than random ones, and none can be the name Twisted's
C{CertificateOptions} gave the context first (32 hexadecimal digits).
"""

import itertools
import weakref

from ftpkit import compat


def sessionContextNames():
    """
    @return: an endless iterator of session ID context names, each new
        (C{b"ftpkit-kept-0"}, C{b"ftpkit-kept-1"}...: at most 32 bytes,
        OpenSSL's bound, for any count a process reaches), none of them
        hexadecimal alone.
    """
    return (b"ftpkit-kept-%d" % n for n in itertools.count())


class ContextPool:
    """
    Contexts for control connections, made by a callable or taken back
    from sessions that ended.

    @ivar size: how many unused contexts are kept.
    @ivar reuses: how many control connections one context serves, one
        after the other, before it is dropped (with the sessions it cached,
        one per control connection).
    """

    def __init__(self, make, size=16, reuses=64):
        """
        @param make: a callable returning a new L{OpenSSL.SSL.Context}.
        @param size: see L{size}.
        @param reuses: see L{reuses}.
        """
        self._make = make
        self.size = size
        self.reuses = reuses
        self._idle = []
        self._lent = weakref.WeakKeyDictionary()
        self._names = sessionContextNames()

    def take(self):
        """
        @return: a context for a new control connection, one nobody else
            holds: a kept one, or a new one.
        """
        if self._idle:
            context, uses = self._idle.pop()
        else:
            context, uses = self._make(), 0
        self._lent[context] = uses + 1
        return context

    def give(self, context):
        """
        Take back the context of a control connection that ended, whose
        data connections never used it; it is kept, under a new session
        ID context, unless enough are kept already, it has served
        L{reuses} connections, or it cannot be renamed.

        @param context: a context from L{take} (any other is ignored, as
            is one given twice).
        """
        uses = self._lent.pop(context, None)
        if uses is None or uses >= self.reuses or len(self._idle) >= self.size:
            return
        if compat.renameSessionContext(context, next(self._names)):
            self._idle.append((context, uses))
