"""
OpenSSL's C{SSL_CTX_ctrl}, which neither pyOpenSSL nor cryptography's
binding exposes, for the one thing ftpkit asks of it: how many TLS
sessions a context's server-side cache may hold (L{limitSessionCache};
OpenSSL's C{SSL_CTX_sess_set_cache_size} is a macro over it).

It is found as C{SSL_new_session_ticket} is, in the symbol table of
cryptography's extension module (L{ftpkit.compat.sessiontickets}), and
reaches a context through pyOpenSSL's C{Context._context} handle.

Fallback: where it cannot be found, a context's cache keeps OpenSSL's
default bound, 20,480 sessions (some 1.2 KB each), and
L{limitSessionCache} says so.
"""

from OpenSSL import SSL

from ftpkit.compat.sessiontickets import hiddenFunction

_SET_CACHE_SIZE = 42
"""OpenSSL's C{SSL_CTRL_SET_SESS_CACHE_SIZE}."""

_NULL = getattr(getattr(SSL, "_ffi", None), "NULL", None)

_function = []


def _control():
    """
    @return: C{SSL_CTX_ctrl} as a cffi function (looked up once), or
        C{None}.
    """
    if not _function:
        _function.append(hiddenFunction(
            "SSL_CTX_ctrl", "long (*)(SSL_CTX *, int, long, void *)"))
    return _function[0]


def limitSessionCache(context, size):
    """
    Bound the sessions a context's cache holds: past C{size}, OpenSSL
    drops the one nearest its expiry (the oldest, all having the same
    lifetime) before it caches another.

    @param context: an L{OpenSSL.SSL.Context}.
    @param size: the most sessions kept, at least 1.
    @return: whether the bound was set (C{False}: no way to set it).
    """
    function = _control()
    handle = getattr(context, "_context", None)
    if function is None or handle is None or _NULL is None:
        return False
    function(handle, _SET_CACHE_SIZE, size, _NULL)
    return True
