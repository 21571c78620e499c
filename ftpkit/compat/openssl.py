"""
The private names of pyOpenSSL (its C{_lib} binding of OpenSSL's
functions, its C{_ffi}, and the handles and memory buffers its objects
keep) that ftpkit reads where pyOpenSSL has no public call for what it
needs.

    - C{OpenSSL.SSL._lib.SSL_session_reused} and C{Connection._ssl}:
      whether a TLS handshake resumed a session (L{sessionReused};
      C{--tls-require-session-reuse}); fallback: "not resumed" (data
      connections are refused rather than let through unchecked).
    - C{OpenSSL.SSL._lib.SSL_CTX_set_session_id_context} and
      C{Context._context}: giving the context of a control connection that
      ended a new session ID context (L{renameSessionContext}; pyOpenSSL
      refuses to change a context once used), so that a later control
      connection can use it and no session cached before can be resumed
      (L{ftpkit.control.tlspool}); fallback: a new context for every
      control connection.
    - C{OpenSSL.SSL._lib.BIO_get_mem_data}, C{_ffi.NULL} and a
      connection's memory buffers C{_from_ssl} and C{_into_ssl}: how many
      bytes of TLS records wait to be sent or read (L{recordsWaiting},
      L{inputWaiting}), so that the control connection's TLS layer
      (L{ftpkit.control.tlslayer}) need not raise C{WantReadError} to learn
      there are none; fallback: Twisted's layer as it is.
"""

from twisted.logger import Logger

try:
    from OpenSSL import SSL
except ImportError:  # pragma: no cover (pyOpenSSL is a dependency)
    SSL = None

_log = Logger()


def sessionReusedAvailable():
    """
    @return: whether L{sessionReused} can tell (pyOpenSSL still exposes
        C{SSL_session_reused} through its binding).
    """
    lib = getattr(SSL, "_lib", None)
    return hasattr(lib, "SSL_session_reused")


def sessionReused(connection):
    """
    @param connection: an L{OpenSSL.SSL.Connection} whose handshake has
        completed.
    @return: whether the handshake resumed an earlier session; C{False}
        (logged) when this pyOpenSSL no longer lets ftpkit tell.
    """
    # pyOpenSSL has no public wrapper for SSL_session_reused; its binding
    # library exposes the OpenSSL function itself.
    lib = getattr(SSL, "_lib", None)
    handle = getattr(connection, "_ssl", None)
    if handle is None or not hasattr(lib, "SSL_session_reused"):
        _log.error("this pyOpenSSL does not expose SSL_session_reused: "
                   "TLS session reuse cannot be checked, so data "
                   "connections are refused (see ftpkit.compat.openssl)")
        return False
    return bool(lib.SSL_session_reused(handle))


def renameSessionContext(context, name):
    """
    Set the session ID context of an OpenSSL context already used: the
    connections it makes from now on resume only sessions cached under
    that name (OpenSSL checks it before resuming any session).

    @param context: an L{OpenSSL.SSL.Context}.
    @param name: the new name, bytes (at most 32).
    @return: whether it was set; C{False} when this pyOpenSSL no longer
        lets ftpkit reach it.
    """
    lib = getattr(SSL, "_lib", None)
    handle = getattr(context, "_context", None)
    if handle is None or not hasattr(lib, "SSL_CTX_set_session_id_context"):
        return False
    return lib.SSL_CTX_set_session_id_context(handle, name, len(name)) == 1


_bioMemData = getattr(getattr(SSL, "_lib", None), "BIO_get_mem_data", None)
_NULL = getattr(getattr(SSL, "_ffi", None), "NULL", None)
if _NULL is None:  # pragma: no cover (a pyOpenSSL without its ffi)
    _bioMemData = None


def recordsWaiting(connection):
    """
    @param connection: an L{SSL.Connection} made with memory buffers (no
        socket), or C{None}.
    @return: how many bytes of TLS records OpenSSL wrote that wait to be
        read from it (C{bio_read}) and sent; C{None} when this cannot be
        told (no such connection, a pyOpenSSL that renamed its private
        names).
    """
    bio = getattr(connection, "_from_ssl", None)
    if bio is None or _bioMemData is None:
        return None
    return _bioMemData(bio, _NULL)


def inputWaiting(connection):
    """
    @param connection: an L{SSL.Connection} made with memory buffers (no
        socket), or C{None}.
    @return: how many bytes a C{recv} could still work on: received TLS
        records not yet read from the incoming buffer, and application
        data OpenSSL decrypted and holds; C{None} when this cannot be told.
    """
    bio = getattr(connection, "_into_ssl", None)
    if bio is None or _bioMemData is None:
        return None
    return _bioMemData(bio, _NULL) + connection.pending()
