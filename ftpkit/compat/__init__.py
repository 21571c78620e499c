"""
Every name private to Twisted, pyOpenSSL or fsspec that ftpkit relies on,
in one package, each with a fallback that keeps ftpkit working (more slowly, or
more strictly) when a new release renames it.
C{tests/integration/test_compat.py} (and C{test_compat_tls.py},
C{test_compat_fsspec.py}) checks
each against the installed versions and fails loudly, naming the name,
when one changed.

One module a job, each listing the private names it reads and why:

    - L{ftpkit.compat.tcp}: Twisted's TCP transport (its send queue, its
      socket): a short reply sent, or a connection closed, at once.
    - L{ftpkit.compat.starttls}: what Twisted's C{startTLS} does, followed
      to put ftpkit's own TLS layer under a control connection
      (C{AUTH TLS}) and to take it away again (C{CCC}).
    - L{ftpkit.compat.tlswrites}: Twisted's TLS layer and the transport
      under it: replies and closing records sent in the turn that made
      them.
    - L{ftpkit.compat.openssl}: pyOpenSSL's binding of OpenSSL
      (C{SSL._lib}): session reuse, session ID contexts, the bytes
      waiting in a connection's memory buffers, a control
      connection's records read and written with OpenSSL's own calls,
      and an upload's decrypted many at a time.
    - L{ftpkit.compat.eventloop}: the reactor's next-turn queue and
      C{epoll} object, and Python's bare C{accept}.
    - L{ftpkit.compat.acceptqueue}: a TCP port's accepts a turn
      (C{numberAccepts}) set from its listen queue, as Linux's
      C{TCP_INFO} reports it.
    - L{ftpkit.compat.endpoints}: the port a parsed server endpoint
      (through a wrapper such as C{haproxy:}) would listen on.
    - L{ftpkit.compat.startup}: Twisted's option parser (its table of
      handlers, so that an option keeping one value refuses a second)
      and server service (a listener that cannot listen raises).
    - L{ftpkit.compat.dispatch}: the C{epoll} reactor's poll and the
      thread's log context stack: each ready descriptor handled without
      a log context made for it unless something logs.
    - L{ftpkit.compat.reactortimeout}: the reactor's timed calls
      (C{_newTimedCalls}, C{_pendingTimedCalls}): how long each poll may
      wait, worked out without C{min} and C{max}.
    - L{ftpkit.compat.controltls}: L{ControlTLSProtocol}, Twisted's TLS
      layer for control connections followed from the inside, with less
      work per record; L{ftpkit.compat.openrecords}: its records and
      replies once it is open, each in one call of Python.

    - L{ftpkit.compat.tlshooks}: L{TLSLayerHooks}, Twisted's TLS layer with
      the private steps L{ftpkit.data.tlslayer}'s layer changes (sending the
      records, the end of the TLS connection) turned into public methods,
      and the records of each read decrypted together, their plaintext
      delivered at once.
    - L{ftpkit.compat.tlsbulk}: Twisted's TLS layer, pyOpenSSL's binding
      and the TCP transport under them: a download's large writes
      encrypted a few records at a time into one reused buffer and sent
      at once.
    - L{ftpkit.compat.sessiontickets}: OpenSSL's C{SSL_new_session_ticket},
      found in the symbol table of cryptography's extension module, which
      exports it to nobody: a TLS 1.3 client given a new ticket on the
      control connection.
    - L{ftpkit.compat.sessioncache}: OpenSSL's C{SSL_CTX_ctrl},
      C{SSL_set_num_tickets} and C{SSL_CTX_remove_session}, found the same
      way: a context's session cache bounded, data connections issuing no
      tickets into it, and a refused data connection's session dropped
      from it.
    - L{ftpkit.compat.malloctrim}: glibc's C{malloc_trim}: the memory a
      burst of sessions freed handed back to the system.
    - L{ftpkit.compat.inotify} and L{ftpkit.compat.mounts}: Linux's
      inotify and C{fstatfs} through C{ctypes}, for the listing cache.
    - L{ftpkit.compat.processgroups}: Twisted's process transport,
      started in a session of its own: an C{--on-upload} command
      signalled with every process it started.
    - L{ftpkit.compat.fsspecnames}: fsspec's filesystems (and s3fs's):
      the path a filesystem uses for a URL, the options a URL carries, an
      S3 listing a page at a time, an SFTP connection opened again.
    - L{ftpkit.compat.pluginimports}: what Twisted's plugin loader logs
      through: a plugin module that fails to import said in one line by
      ftpkit, not in a traceback at every lookup.
    - L{ftpkit.compat.logpublisher}: a log publisher's observers: ftpkit's
      event lines written straight to the text log when it is the only
      one.
    - L{ftpkit.compat.logfiles}: Twisted's log file's open file: C{twistd
      --logfile}'s file written appending, and opened again at its path
      once something moved it away.

Nothing outside this package reads or overrides a private name of Twisted,
pyOpenSSL or fsspec (C{tests/unit/test_privatenames.py} checks).

Every function of these modules that ftpkit uses elsewhere is importable
from C{ftpkit.compat} itself, as it was when this was one module.
"""

from ftpkit.compat.controltls import ControlTLSProtocol
from ftpkit.compat.endpoints import endpointPort
from ftpkit.compat.eventloop import (
    TunedConnection,
    acceptBare,
    acceptBareOn,
    afterThisTurn,
    readyDescriptor,
)
from ftpkit.compat.fsspecnames import (
    keyPages,
    reconnect,
    stripProtocol,
    urlOptions,
)
from ftpkit.compat.logpublisher import soleObserver
from ftpkit.compat.openssl import (
    feedRecords,
    inputWaiting,
    memoryHandles,
    plaintextWaiting,
    readPlaintext,
    recordsWaiting,
    renameSessionContext,
    sessionReused,
    sessionReusedAvailable,
    takeRecords,
    writePlaintext,
)
from ftpkit.compat.processgroups import (
    SessionProcess,
    sessionsAvailable,
    spawnInSession,
)
from ftpkit.compat.sessioncache import (
    boundsAvailable,
    forgetSession,
    issueNoTickets,
    limitSessionCache,
)
from ftpkit.compat.sessiontickets import (
    newSessionTicket,
    newSessionTicketAvailable,
)
from ftpkit.compat.starttls import (
    dropTLSLayer,
    flushTLSWrites,
    startTLSWith,
    tlsLayer,
    writePlain,
)
from ftpkit.compat.startup import optionHandlers, raiseListenFailures
from ftpkit.compat.tcp import (
    closeAtOnce,
    heldUnsent,
    queuedBytes,
    queueIsEmpty,
    sendAtOnce,
    sendNow,
    transportEnded,
    writeSideClosed,
)
from ftpkit.compat.tlsbulk import writeInBulk
from ftpkit.compat.tlshooks import TLSLayerHooks
from ftpkit.compat.tlswrites import (
    closeTLSAtOnce,
    handshakePending,
    sendQueued,
    sendRecordsAtOnce,
    underTLS,
    writeThroughTLS,
)

__all__ = [
    "ControlTLSProtocol",
    "SessionProcess",
    "TLSLayerHooks",
    "TunedConnection",
    "acceptBare",
    "acceptBareOn",
    "afterThisTurn",
    "boundsAvailable",
    "closeAtOnce",
    "closeTLSAtOnce",
    "handshakePending",
    "dropTLSLayer",
    "endpointPort",
    "feedRecords",
    "flushTLSWrites",
    "forgetSession",
    "inputWaiting",
    "heldUnsent",
    "issueNoTickets",
    "keyPages",
    "limitSessionCache",
    "memoryHandles",
    "newSessionTicket",
    "newSessionTicketAvailable",
    "optionHandlers",
    "plaintextWaiting",
    "queueIsEmpty",
    "queuedBytes",
    "raiseListenFailures",
    "readPlaintext",
    "readyDescriptor",
    "reconnect",
    "recordsWaiting",
    "renameSessionContext",
    "sendAtOnce",
    "sendNow",
    "sendQueued",
    "sendRecordsAtOnce",
    "sessionReused",
    "sessionReusedAvailable",
    "sessionsAvailable",
    "soleObserver",
    "spawnInSession",
    "startTLSWith",
    "stripProtocol",
    "takeRecords",
    "tlsLayer",
    "transportEnded",
    "underTLS",
    "urlOptions",
    "writePlain",
    "writeSideClosed",
    "writePlaintext",
    "writeInBulk",
    "writeThroughTLS",
]
