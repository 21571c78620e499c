"""
Every name private to Twisted or pyOpenSSL that ftpkit relies on, in one
place, each with a fallback that keeps ftpkit working (more slowly, or
more strictly) when a new release renames it. C{tests/test_compat.py}
checks each against the installed versions and fails loudly, naming the
name, when one changed.

    - C{tcp.Connection.dataBuffer}, C{_tempDataBuffer}, C{TLS}, C{socket}
      and its C{connectionLost}, called as the reactor would: whether a
      plain TCP transport has nothing queued, so that a short reply can be
      sent, or a connection closed, at once (L{ftpkit.sockets}; and
      L{ftpkit.tls.DataTLSProtocol}, which closes a data connection the
      peer half-closed too early as the reactor would); fallback: never at
      once (Twisted's own queue).
    - C{OpenSSL.SSL._lib.SSL_session_reused} and C{Connection._ssl}:
      whether a TLS handshake resumed a session
      (C{--tls-require-session-reuse}); fallback: "not resumed" (data
      connections are refused rather than let through unchecked).
"""

from twisted.internet import main, tcp
from twisted.logger import Logger
from twisted.python.failure import Failure

try:
    from OpenSSL import SSL
except ImportError:  # pragma: no cover (pyOpenSSL is a dependency)
    SSL = None

_log = Logger()

def queueIsEmpty(transport):
    """
    @param transport: a connection's transport.
    @return: whether it is an open, plain (no TLS) Twisted TCP connection
        with nothing waiting to be sent; C{False} when this cannot be told
        (a Twisted that renamed its private attributes).
    """
    if not isinstance(transport, tcp.Connection):
        return False
    try:
        return (not transport.TLS and transport.connected
                and not transport.disconnecting and not transport.dataBuffer
                and not transport._tempDataBuffer)
    except AttributeError:
        return False


def sendNow(transport, data):
    """
    Send what the socket of a transport for which L{queueIsEmpty} is true
    takes at once, bypassing Twisted's queue.

    @param transport: the transport.
    @param data: the bytes.
    @return: how many bytes went (0 when the socket took none or is not
        reachable).
    """
    sock = getattr(transport, "socket", None)
    if sock is None:
        return 0
    try:
        return sock.send(data)
    except OSError:
        return 0


def closeAtOnce(transport):
    """
    Close a transport now, as the reactor does when it sees the connection
    end (no reactor turn, no C{epoll_ctl} round); what it still queues is
    dropped, so callers that must not lose it check L{queueIsEmpty} first.

    @param transport: the transport.
    """
    transport.stopReading()
    transport.stopWriting()
    transport.connectionLost(Failure(main.CONNECTION_DONE))


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
                   "connections are refused (see ftpkit.compat)")
        return False
    return bool(lib.SSL_session_reused(handle))
