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
    - C{OpenSSL.SSL._lib.SSL_read}, C{SSL_write}, C{BIO_read},
      C{BIO_write}, C{SSL_pending}, the connection's C{_ssl} and
      C{Connection._raise_ssl_error}: a control connection's records read
      and written with OpenSSL's own calls, past pyOpenSSL's wrappers
      (L{memoryHandles}, L{plaintextWaiting}, L{feedRecords}, L{readPlaintext},
      L{writePlaintext}, L{takeRecords}, or the calls themselves,
      L{recordCalls}): each wrapper checks its arguments, and on success
      too its context's callback helpers and C{SSL_get_error}, some ten
      Python-level calls per record; fallback: pyOpenSSL's C{bio_write},
      C{recv}, C{send} and C{bio_read}. C{SSL_do_handshake},
      C{SSL_get_error} and C{SSL_ERROR_WANT_READ}: a handshake gone on
      with without a C{WantReadError} while it waits for the peer
      (L{continueHandshake}); fallback: Twisted's C{do_handshake}. The
      same calls, and C{_ffi.from_buffer}, decrypt an upload's records
      many at a time into one buffer (L{readAvailable}); fallback:
      Twisted's layer, a record's plaintext a C{recv}.
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


_lib = getattr(SSL, "_lib", None)
_ffi = getattr(SSL, "_ffi", None)
_RAW_NAMES = ("SSL_read", "SSL_write", "SSL_pending", "BIO_read",
              "BIO_write", "BIO_get_mem_data", "SSL_do_handshake",
              "SSL_get_error", "SSL_ERROR_WANT_READ")
if (_ffi is None or not all(hasattr(_lib, name) for name in _RAW_NAMES)
        or not hasattr(getattr(SSL, "Connection", None),
                       "_raise_ssl_error")):  # pragma: no cover
    _lib = None
else:
    _SSL_read = _lib.SSL_read
    _SSL_write = _lib.SSL_write
    _SSL_pending = _lib.SSL_pending
    _BIO_read = _lib.BIO_read
    _BIO_write = _lib.BIO_write
    _allocate = _ffi.new_allocator(should_clear_after_alloc=False)
    _unpack = _ffi.unpack
    _fromBuffer = getattr(_ffi, "from_buffer", None)

_READ_SIZE = 2 ** 15
"""The most plaintext one L{readPlaintext} asks OpenSSL for, as Twisted's
layer reads."""

SCRATCH_SIZE = 2 ** 16
"""The size of L{recordCalls}' scratch buffer: a record's plaintext (16
KiB at most) read into it, or the records of a reply of up to a record's
worth (and of the replies held back with it) taken out of OpenSSL."""


def recordCalls():
    """
    OpenSSL's own calls, for a caller that reads and writes a connection's
    records itself (L{ftpkit.compat.openrecords}), each call one C call
    rather than one of this module's functions around it.

    @return: C{(SSL_read, SSL_write, SSL_pending, BIO_read, BIO_write,
        BIO_get_mem_data, NULL, unpack, allocate, scratch)}: the last a
        buffer of L{SCRATCH_SIZE} bytes, shared by every caller (what is
        read into it is to be copied out, C{unpack}, before anything else
        runs); C{None} when L{memoryHandles} gives none.
    """
    if _lib is None or _bioMemData is None:
        return None
    global _scratch
    if _scratch is None:
        _scratch = _allocate("char[]", SCRATCH_SIZE)
    return (_SSL_read, _SSL_write, _SSL_pending, _BIO_read, _BIO_write,
            _bioMemData, _NULL, _unpack, _allocate, _scratch)


_scratch = None


def continueHandshake(handles, connection):
    """
    Go on with a handshake, as C{do_handshake} does, without raising
    C{WantReadError} while OpenSSL waits for the peer's next records. A
    callback's error never comes with that wait: pyOpenSSL's callbacks
    fail the handshake, which is raised as C{do_handshake} raises it.

    @param handles: L{memoryHandles} of C{connection}.
    @param connection: the L{SSL.Connection}.
    @return: whether the handshake is done (C{False}: it waits for the
        peer).
    @raise SSL.Error: when it failed.
    """
    ssl = handles[0]
    result = _lib.SSL_do_handshake(ssl)
    if result > 0:
        return True
    if _lib.SSL_get_error(ssl, result) == _lib.SSL_ERROR_WANT_READ:
        return False
    connection._raise_ssl_error(ssl, result)
    return True  # pragma: no cover (SSL_ERROR_NONE, as do_handshake)


def memoryHandles(connection):
    """
    @param connection: an L{SSL.Connection} made with memory buffers (no
        socket).
    @return: C{(ssl, incoming, outgoing)}, its OpenSSL handle and its two
        memory buffers, for L{feedRecords}, L{readPlaintext},
        L{writePlaintext} and L{takeRecords}; C{None} when this pyOpenSSL
        no longer lets ftpkit reach them (the caller then uses
        pyOpenSSL's own calls).
    """
    if _lib is None or _bioMemData is None:
        return None
    handles = (getattr(connection, "_ssl", None),
               getattr(connection, "_into_ssl", None),
               getattr(connection, "_from_ssl", None))
    if None in handles:
        return None
    return handles


def plaintextWaiting(handles):
    """
    L{inputWaiting} from L{memoryHandles}.

    @param handles: L{memoryHandles} of the connection.
    @return: how many bytes a read could still work on.
    """
    return _bioMemData(handles[1], _NULL) + _SSL_pending(handles[0])


def feedRecords(handles, data):
    """
    Give OpenSSL TLS records received, as C{bio_write} does.

    @param handles: L{memoryHandles} of the connection.
    @param data: the bytes received.
    @return: whether they were all taken (a memory buffer takes all or,
        out of memory, nothing: the caller then calls C{bio_write}, which
        raises pyOpenSSL's error).
    """
    return _BIO_write(handles[1], data, len(data)) == len(data)


def readPlaintext(handles, connection, size):
    """
    Read the application data of the next record OpenSSL holds, as
    C{recv} does.

    @param handles: L{memoryHandles} of C{connection}.
    @param connection: the L{SSL.Connection}.
    @param size: how many bytes the caller knows to wait (L{inputWaiting}:
        the plaintext is shorter than its records); when it is unknown or
        not between 0 and 32 KiB, 32 KiB are asked for, as Twisted's layer
        does.
    @return: the bytes.
    @raise SSL.Error: as C{recv} raises it: C{WantReadError} when OpenSSL
        needs more of a record first, C{ZeroReturnError} once the peer's
        close_notify was read, and so on.
    """
    ssl = handles[0]
    if size is None or not 0 < size < _READ_SIZE:
        size = _READ_SIZE
    buffer = _allocate("char[]", size)
    result = _SSL_read(ssl, buffer, size)
    if result > 0:
        return _unpack(buffer, result)
    connection._raise_ssl_error(ssl, result)
    raise SSL.WantReadError()  # pragma: no cover (SSL_ERROR_NONE)


def bufferPointer(buffer):
    """
    @param buffer: a writable buffer (a L{bytearray}).
    @return: a pointer to its first byte, for L{readAvailable}; C{None}
        when this pyOpenSSL no longer lets ftpkit make one.
    """
    if _lib is None or _bioMemData is None or _fromBuffer is None:
        return None
    return _fromBuffer(buffer)


def readAvailable(handles, connection, into, size):
    """
    Decrypt the application data of every record received (given to
    OpenSSL, L{feedRecords}) that is whole, one C{SSL_read} after the
    other, into one buffer, until it is full: what C{recv} gives a record
    at a time. Reading stops at the first read that fails, usually for
    want of a whole record (which costs one C{WantReadError} a call, as
    Twisted's reading raises one after each read from the socket).

    @param handles: L{memoryHandles} of C{connection}.
    @param connection: the L{SSL.Connection}.
    @param into: a L{bufferPointer} to at least C{size} bytes.
    @param size: how many bytes C{into} may take.
    @return: C{(count, error)}: how many bytes were written at C{into},
        and the L{SSL.Error} that C{recv} would have raised at the read
        that failed (C{ZeroReturnError} after the peer's close_notify, an
        error for a record that does not decrypt or a fatal alert), without
        a traceback, or C{None} when reading stopped for want of records or
        room.
    """
    ssl = handles[0]
    count = 0
    while count < size:
        result = _SSL_read(ssl, into + count, size - count)
        if result <= 0:
            try:
                connection._raise_ssl_error(ssl, result)
            except SSL.WantReadError:
                break
            except SSL.Error as error:
                # Returned, not raised: without its traceback, whose
                # frames (the caller's among them, holding the error)
                # made a cycle that kept the caller's layer alive.
                return count, error.with_traceback(None)
            break  # pragma: no cover (SSL_ERROR_NONE)
        count += result
    return count, None


def writePlaintext(handles, connection, data):
    """
    Encrypt application data, as C{send} does.

    @param handles: L{memoryHandles} of C{connection}.
    @param connection: the L{SSL.Connection}.
    @param data: the bytes, at most a record's worth (16 KiB).
    @return: how many were taken.
    @raise SSL.Error: as C{send} raises it (C{WantReadError} while a
        handshake waits for the peer).
    """
    ssl = handles[0]
    result = _SSL_write(ssl, data, len(data))
    if result <= 0:
        connection._raise_ssl_error(ssl, result)
    return result


def takeRecords(handles):
    """
    Take the TLS records OpenSSL wrote, to be sent.

    @param handles: L{memoryHandles} of the connection.
    @return: the bytes; C{b""} when there are none.
    """
    outgoing = handles[2]
    size = _bioMemData(outgoing, _NULL)
    if size <= 0:
        return b""
    buffer = _allocate("char[]", size)
    return _unpack(buffer, _BIO_read(outgoing, buffer, size))
