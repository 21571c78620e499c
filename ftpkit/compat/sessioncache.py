"""
OpenSSL's C{SSL_CTX_ctrl}, which neither pyOpenSSL nor cryptography's
binding exposes, for the one thing ftpkit asks of it: how many TLS
sessions a context's server-side cache may hold (L{limitSessionCache};
OpenSSL's C{SSL_CTX_sess_set_cache_size} is a macro over it).

It is found as C{SSL_new_session_ticket} is, in the symbol table of
cryptography's extension module (L{ftpkit.compat.sessiontickets}), and
reaches a context through pyOpenSSL's C{Context._context} handle. The
tests ask it too how full a context's cache is (L{sessionCacheUse}),
rather than read those names themselves.

It also finds C{SSL_set_num_tickets} the same way, so that a data
connection issues no TLS 1.3 session tickets (L{issueNoTickets}): each one
would be a session of its own in the cache, so that a long session's
transfers pushed the control connection's first tickets out of a bounded
cache, which clients that resume those on every data connection
(FileZilla, lftp and Python present the newest ticket the control
connection got) then could no longer resume.

And it finds C{SSL_CTX_remove_session}, so that the session of a data
connection refused by C{--tls-require-session-reuse} leaves the cache at
once (L{forgetSession}): kept there, a stranger's refused handshakes on a
client's passive port filled the bounded cache, and OpenSSL dropped the
oldest session to make room, the control connection's own, which the
client's data connections then could no longer resume.

Fallback: where either cannot be found, a context's cache keeps OpenSSL's
default bound, 20,480 sessions (some 1.2 KB each), data connections issue
tickets as OpenSSL does, and L{boundsAvailable} says so. Where
C{SSL_CTX_remove_session} cannot be, a refused session stays cached until
pushed out.
"""

from OpenSSL import SSL

from ftpkit.compat.sessiontickets import hiddenFunction

_SET_CACHE_SIZE = 42
"""OpenSSL's C{SSL_CTRL_SET_SESS_CACHE_SIZE}."""

_SESS_NUMBER = 20
"""OpenSSL's C{SSL_CTRL_SESS_NUMBER}."""

_GET_CACHE_SIZE = 43
"""OpenSSL's C{SSL_CTRL_GET_SESS_CACHE_SIZE}."""

_NULL = getattr(getattr(SSL, "_ffi", None), "NULL", None)

_functions = []


def _found():
    """
    @return: C{(SSL_CTX_ctrl, SSL_set_num_tickets)} as cffi functions
        (looked up once), or C{None} unless both were found.
    """
    if not _functions:
        control = hiddenFunction(
            "SSL_CTX_ctrl", "long (*)(SSL_CTX *, int, long, void *)")
        tickets = hiddenFunction("SSL_set_num_tickets",
                                 "int (*)(SSL *, size_t)")
        _functions.append(None if None in (control, tickets)
                          else (control, tickets))
    return _functions[0]


def boundsAvailable():
    """
    @return: whether L{limitSessionCache} and L{issueNoTickets} can act
        (looking them up, once, if not yet done, and L{forgetSession}'s
        function too: a start-up step, as it reads cryptography's module
        file).
    """
    _remover()
    return _found() is not None


def issueNoTickets(connection):
    """
    Have a server connection issue no TLS 1.3 session tickets after its
    handshake.

    @param connection: an L{OpenSSL.SSL.Connection}, before its
        handshake.
    @return: whether it was done (C{False}: no way to do it).
    """
    found = _found()
    handle = getattr(connection, "_ssl", None)
    if found is None or handle is None:
        return False
    return found[1](handle, 0) == 1


_removers = []


def _remover():
    """
    @return: C{SSL_CTX_remove_session} as a cffi function (looked up
        once), or C{None}.
    """
    if not _removers:
        _removers.append(hiddenFunction(
            "SSL_CTX_remove_session", "int (*)(SSL_CTX *, SSL_SESSION *)"))
    return _removers[0]


def forgetSession(connection):
    """
    Remove a server connection's TLS session from its context's cache
    (OpenSSL's C{SSL_CTX_remove_session}): no connection can resume it,
    and it takes no place there.

    @param connection: an L{OpenSSL.SSL.Connection}, its handshake
        complete.
    @return: whether it was done (C{False}: no way to do it).
    """
    remove = _remover()
    handle = getattr(connection, "_ssl", None)
    context = getattr(connection.get_context(), "_context", None)
    getSession = getattr(getattr(SSL, "_lib", None), "SSL_get_session",
                         None)
    if None in (remove, handle, context, getSession):
        return False
    session = getSession(handle)
    if session == _NULL:
        return False
    remove(context, session)
    return True


def limitSessionCache(context, size):
    """
    Bound the sessions a context's cache holds: past C{size}, OpenSSL
    drops the one nearest its expiry (the oldest, all having the same
    lifetime) before it caches another.

    @param context: an L{OpenSSL.SSL.Context}.
    @param size: the most sessions kept, at least 1.
    @return: whether the bound was set (C{False}: no way to set it).
    """
    found = _found()
    handle = getattr(context, "_context", None)
    if found is None or handle is None or _NULL is None:
        return False
    found[0](handle, _SET_CACHE_SIZE, size, _NULL)
    return True


def sessionCacheUse(context):
    """
    Tell how full a context's session cache is, and its bound (what
    L{limitSessionCache} set): OpenSSL's C{SSL_CTX_sess_number} and
    C{SSL_CTX_sess_get_cache_size}, macros over C{SSL_CTX_ctrl}.

    Looked up on its own, not with L{limitSessionCache}'s functions: it
    tells the bound also where those were not found.

    @param context: an L{OpenSSL.SSL.Context}.
    @return: C{(cached, bound)}, or C{None} where this cannot be told.
    """
    control = hiddenFunction("SSL_CTX_ctrl",
                             "long (*)(SSL_CTX *, int, long, void *)")
    handle = getattr(context, "_context", None)
    if control is None or handle is None or _NULL is None:
        return None
    return tuple(control(handle, code, 0, _NULL)
                 for code in (_SESS_NUMBER, _GET_CACHE_SIZE))
