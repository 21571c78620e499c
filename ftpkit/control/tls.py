"""
TLS for FTPS (RFC 4217): server contexts from PEM files, implicit-TLS
listeners, and the command-line options that turn it on (the data
connections' TLS is in L{ftpkit.data.tls}, their TLS layer in
L{ftpkit.data.tlslayer}; the C{ssl:} C{--listen}
descriptions are read in L{ftpkit.control.implicitendpoints}).

Every control connection gets its own OpenSSL context (L{FTPSContextFactory}
gives each one its own), holding a session cache that only that client's
sessions enter. Its data connections use the same context, so a client can
resume the control connection's session on them, and a session resumed
there can only be one of this client's: what
C{tlsRequireSessionReuse} (vsftpd's C{require_ssl_reuse}) relies on to
keep a stranger from taking over a data connection. A context no data
connection used is, once its control connection ended, renamed so that
nothing cached in it can be resumed, and serves a later control connection
(L{ftpkit.control.tlspool}).
"""

from OpenSSL import SSL
from twisted.internet import defer
from twisted.internet.interfaces import (
    IOpenSSLServerConnectionCreator,
)
from twisted.internet.ssl import AcceptableCiphers, CertificateOptions, TLSVersion
from twisted.logger import Logger
from twisted.python import usage
from zope.interface import implementer

from ftpkit import compat
from ftpkit.control.implicitendpoints import (
    endpointFiles,
    implicitAsTCP,
    isImplicitTLS,
    unreadCertificate,
)
from ftpkit.control.tlsfiles import (  # noqa: F401 (importable from here, as before)
    CertificateFiles,
    TLSConfigurationError,
    loadCertificateAndKey,
    realPath,
)
from ftpkit.control.tlslayer import layerFactory
from ftpkit.control.tlspool import ContextPool
from ftpkit.ops.workerechoes import CERTIFICATE_NOT_RELOADED, CERTIFICATE_RELOADED

MODERN_CIPHERS = "ECDHE+AESGCM:ECDHE+CHACHA20"
"""TLS 1.2 cipher suites allowed: forward secret and AEAD only (TLS 1.3
suites are all of that kind and stay OpenSSL's default)."""

NO_RENEGOTIATION = getattr(SSL, "OP_NO_RENEGOTIATION", 0x40000000)
"""OpenSSL's C{SSL_OP_NO_RENEGOTIATION} (its value since OpenSSL 1.1.0h,
for a pyOpenSSL that does not name it)."""


def refusingRenegotiation(options):
    """
    The context of L{CertificateOptions} for a connection of ftpkit's,
    which refuses TLS 1.2 renegotiation whichever side asks for it. One
    renegotiation costs the side that answers it about what a whole
    handshake costs, in the reactor's one thread, and nothing an FTP
    session does needs one. OpenSSL 3 refuses a client's by default on the
    server side, an older OpenSSL does not; and in the TLS client role
    (secure FXP, L{ftpkit.data.tlsclient}) every OpenSSL answers the
    server's request: the peer there is whatever the session's client
    names, which could ask for renegotiation after renegotiation on one
    data connection, as fast as this server made them, for as long as it
    kept its upload open.

    @param options: the L{CertificateOptions}.
    @return: its L{SSL.Context}, with L{NO_RENEGOTIATION} set.
    """
    context = options.getContext()
    context.set_options(NO_RENEGOTIATION)
    return context


SESSION_CACHE_SIZE = 64
"""The most TLS sessions the cache of one control connection's context
holds (OpenSSL's default is 20,480, some 1.2 KB each), once data
connections issue no tickets (L{ftpkit.compat.issueNoTickets}). The
context serves that control connection and its data connections alone,
and clients resume the control connection's sessions: its own under TLS
1.2 (data connections that resume it cache nothing), and under TLS 1.3
the newest ticket it sent (its first ones, unless
C{tlsRequireSessionReuse} has it send one per transfer), which the bound
keeps as long as newer sessions are fewer than it: a data connection of a
client that does not resume caches one (TLS 1.2). Without a bound, a
long session cached one or two sessions per transfer for two hours (their
lifetime), up to some 23 MB per control connection; bounded while data
connections still issued tickets, the control connection's first ones
left the cache after some 60 transfers, and every later data connection
of FileZilla, lftp or Python's ssl failed to resume."""

@implementer(IOpenSSLServerConnectionCreator)
class FTPSContextFactory:
    """
    Makes the TLS server side of control connections, each with a context
    of its own (TLS 1.2 at least, L{MODERN_CIPHERS}, a server-side session
    cache, no renegotiation: L{refusingRenegotiation}), which the
    connection's data connections then share.

    Give it to C{ITLSTransport.startTLS} (C{AUTH TLS}) or to
    C{reactor.listenSSL} (implicit FTPS).

    @ivar chain: the certificates, the server's first.
    @ivar key: the private key.
    @ivar paths: C{(certPath, keyPath)} they were read from, for
        L{reload}, or C{None}.
    @ivar files: the L{CertificateFiles} they were read from, or C{None}.
    """

    log = Logger()
    paths = None
    files = None

    def __init__(self, chain, key, maximumVersion=TLSVersion.TLSv1_2):
        """
        @param chain: C{cryptography} certificates, the server's first.
        @param key: the matching C{cryptography} private key.
        @param maximumVersion: the highest TLS version offered, a
            L{TLSVersion} constant, or C{None} for the highest OpenSSL
            knows. TLS 1.2 by default (docs/tls.rst says why): under TLS
            1.3 uploads by clients that never read their data connection
            (curl) depend on the session tickets being held back
            (L{ftpkit.data.tlslayer.DataTLSProtocol.holdTickets}), and with
            session reuse required, those that resume each ticket once
            (curl again) on new tickets from the control connection
            (L{ftpkit.compat.newSessionTicket}): both rely on names private
            to Twisted or cryptography.
        """
        self.chain = chain
        self.key = key
        self.maximumVersion = maximumVersion
        self._ciphers = AcceptableCiphers.fromOpenSSLCipherString(
            MODERN_CIPHERS)
        self._contexts = ContextPool(self.makeContext)
        # Looked up now, at start-up, not by the first AUTH TLS.
        self._boundCache = compat.boundsAvailable()

    def makeContext(self):
        """
        @return: a new L{SSL.Context} for one control connection and its
            data connections, its session cache bounded
            (L{SESSION_CACHE_SIZE}).
        """
        options = CertificateOptions(
            privateKey=self.key,
            certificate=self.chain[0],
            extraCertChain=self.chain[1:],
            raiseMinimumTo=TLSVersion.TLSv1_2,
            lowerMaximumSecurityTo=self.maximumVersion,
            acceptableCiphers=self._ciphers,
            enableSessions=True,
        )
        context = refusingRenegotiation(options)
        context.set_alpn_select_callback(declineProtocols)
        if self._boundCache:
            compat.limitSessionCache(context, SESSION_CACHE_SIZE)
        return context

    def serverConnectionForTLS(self, tlsProtocol):
        """
        @see: L{IOpenSSLServerConnectionCreator.serverConnectionForTLS}
        """
        return SSL.Connection(self._contexts.take(), None)

    def release(self, context):
        """
        A control connection ended, and none of its data connections used
        its context: a later control connection may (see
        L{ftpkit.control.tlspool}).

        @param context: the context of its L{SSL.Connection}; one this
            factory did not make for a control connection is ignored.
        """
        self._contexts.give(context)

    def reload(self):
        """
        Read the certificate and key again from L{paths}, here and now:
        new connections present the new ones, sessions in progress keep
        theirs (each has its own context). Files that became unusable are
        logged and ignored: the last good pair stays in force. Files
        unchanged since they were last found good are not parsed again,
        and the contexts made from them serve on.

        @return: whether the certificate and key were replaced; C{None}
            without files to read (nothing failed).
        """
        if self.paths is None:
            return None
        try:
            pair = self.files.reload()
        except TLSConfigurationError as e:
            return self._notReloaded(e)
        return self._reloaded(pair)

    def reloadInThread(self):
        """
        L{reload} for C{SIGHUP} (L{ftpkit.deploy.hangup.reloadTargets}):
        files that changed are parsed in a thread
        (L{CertificateFiles.reloadInThread}, which says what that frees),
        and the new pair is put in force once done, in the reactor; the
        old one serves meanwhile.

        @return: a Deferred firing with what L{reload} returns.
        """
        if self.paths is None:
            return defer.succeed(None)
        return self.files.reloadInThread().addCallbacks(
            self._reloaded, self._failedInThread)

    def _failedInThread(self, reason):
        """
        L{_notReloaded}, for a reload in a thread.

        @param reason: a L{Failure} of L{TLSConfigurationError}; any other
            goes on.
        @return: C{False}.
        """
        reason.trap(TLSConfigurationError)
        return self._notReloaded(reason.value)

    def _notReloaded(self, error):
        """
        Log files that cannot be used (the last good pair stays).

        @param error: the L{TLSConfigurationError}.
        @return: C{False}.
        """
        self.log.error(CERTIFICATE_NOT_RELOADED, why=str(error))
        return False

    def _reloaded(self, pair):
        """
        Put a pair reloaded in force (new contexts, unless it is the pair
        in force, the files unchanged), and log it.

        @param pair: C{(chain, key)}.
        @return: C{True}.
        """
        if pair[0] is not self.chain or pair[1] is not self.key:
            self.chain, self.key = pair
            self._contexts = ContextPool(self.makeContext)
        # The expiry as text: a datetime is no JSON (--log-format json).
        self.log.info(CERTIFICATE_RELOADED, path=self.paths[0],
                      until=self.chain[0].not_valid_after_utc.strftime(
                          "%Y-%m-%d %H:%M"))
        return True


def declineProtocols(connection, offered):
    """
    Answer a client's ALPN offer with no protocol, as a server without
    ALPN does, and go on with the handshake.

    Twisted's own callback answers an empty name when nothing was
    configured, which OpenSSL 3 refuses with an C{internal_error} alert:
    every client offering ALPN failed its handshake (FileZilla 3 offers
    C{ftp} and C{x-filezilla-ftp} on the control connection). Choosing
    C{x-filezilla-ftp} would tell FileZilla that C{PBSZ}, C{PROT} and
    C{SYST} are not needed (and have it offer C{ftp-data} on data
    connections), so no protocol is chosen.

    @param connection: the L{SSL.Connection} in its handshake.
    @param offered: the protocol names the client offered.
    @return: L{SSL.NO_OVERLAPPING_PROTOCOLS}.
    """
    return SSL.NO_OVERLAPPING_PROTOCOLS


def makeContextFactory(certPath, keyPath=None,
                       maximumVersion=TLSVersion.TLSv1_2):
    """
    Build the server's TLS context factory from PEM files.

    @param certPath: the certificate PEM file (chain allowed; it may also
        hold the key).
    @param keyPath: the private key PEM file, or C{None} to read the key
        from C{certPath}.
    @param maximumVersion: see L{FTPSContextFactory.__init__}.
    @return: an L{FTPSContextFactory} that can L{reload
        <FTPSContextFactory.reload>} those files (in a worker of
        C{--workers}, maybe from what its acceptor kept of them:
        L{CertificateFiles.load}).
    @raise TLSConfigurationError: see L{loadCertificateAndKey}.
    """
    files = CertificateFiles(certPath, keyPath)
    chain, key = files.load(FTPSContextFactory.log)
    factory = FTPSContextFactory(chain, key, maximumVersion)
    factory.paths = (certPath, keyPath)
    factory.files = files
    return factory


def sessionReused(connection):
    """
    @param connection: an L{SSL.Connection} whose handshake has completed.
    @return: whether the handshake resumed an earlier session (see
        L{ftpkit.compat.sessionReused}).
    """
    return compat.sessionReused(connection)


def freshTicketsMissing(contextFactory, requireSessionReuse):
    """
    @param contextFactory: the server's context factory, or C{None}.
    @param requireSessionReuse: C{--tls-require-session-reuse}.
    @return: whether data connections must resume a TLS 1.3 session while
        ftpkit cannot send new tickets on the control connection
        (L{ftpkit.compat.newSessionTicket}): clients that resume each
        ticket once (curl) then have their data connections refused after
        an upload.
    """
    maximum = getattr(contextFactory, "maximumVersion", TLSVersion.TLSv1_2)
    return (requireSessionReuse and contextFactory is not None
            and maximum in (None, TLSVersion.TLSv1_3)
            and not compat.newSessionTicketAvailable())


def describeTLSError(error):
    """
    @param error: an L{SSL.Error}.
    @return: a short text for the log: OpenSSL's reasons (C{unsupported
        protocol}, C{no shared cipher}); the error's own text when it
        holds no such list.
    """
    entries = error.args[0] if error.args else []
    if not isinstance(entries, list):
        return str(error)
    texts = [entry[-1] for entry in entries
             if isinstance(entry, tuple) and entry and entry[-1]]
    return "; ".join(texts) or "no reason given"


def implicitListener(description, factory, contextFactory):
    """
    Listen for implicit FTPS with ftpkit's own TLS: an C{ssl:} endpoint
    becomes a C{tcp:} one on the same port (and C{interface}, C{backlog}),
    its connections wrapped in TLS from C{contextFactory}, so that it
    follows the same policy as C{AUTH TLS} (version ceiling, ciphers, a
    session cache per connection, certificates reloaded on C{SIGHUP}),
    where Twisted's C{ssl:} endpoint would build a context of its own.

    @param description: a C{--listen} value; anything but an C{ssl:}
        endpoint (behind C{haproxy:} or not) is returned as it is.
    @param factory: the control-connection factory.
    @param contextFactory: the server's L{FTPSContextFactory}.
    @return: C{(description, factory)} to listen with.
    """
    if not isImplicitTLS(description) or contextFactory is None:
        return description, factory
    return implicitAsTCP(description), implicitFactory(factory,
                                                       contextFactory)


def implicitFactory(factory, contextFactory):
    """
    Wrap a control-connection factory in ftpkit's TLS, for implicit FTPS.

    @param factory: the control-connection factory.
    @param contextFactory: the server's L{FTPSContextFactory}.
    @return: a L{TLSMemoryBIOFactory} (server side) around C{factory},
        making L{ftpkit.control.tlslayer.ControlTLSProtocol} layers.
    """
    return layerFactory(contextFactory, factory)


def contextFromEndpointStrings(listens, maximumVersion=TLSVersion.TLSv1_2):
    """
    Derive the server's context factory from the first C{ssl:} endpoint
    (its C{privateKey} and C{certKey} arguments; C{privateKey} is
    C{server.pem} where it names none, as in Twisted's C{ssl:} endpoint),
    for servers that listen with implicit TLS but were given no
    C{--tls-cert}.

    @param listens: C{--listen} endpoint descriptions.
    @param maximumVersion: see L{FTPSContextFactory.__init__}.
    @return: an L{FTPSContextFactory}, or C{None} if no endpoint is an
        C{ssl:} one.
    @raise TLSConfigurationError: when its certificate or key is unusable.
    """
    for description in listens:
        if isImplicitTLS(description):
            certPath, keyPath = endpointFiles(description)
            return makeContextFactory(certPath, keyPath, maximumVersion)
    return None


class TLSOptionsMixin:
    """
    The TLS options of C{twistd ftpkit}, for a L{usage.Options} subclass;
    L{tlsConfigFields} turns them into L{ftpkit.config.ServerConfig}
    arguments.
    """

    optFlags = [
        ["tls-required", None,
         ("USER/PASS before AUTH TLS get 530 and data transfers need "
          "PROT P (521 otherwise).")],
        ["tls-anonymous-exempt", None,
         "With --tls-required, anonymous users may still work without TLS."],
        ["tls-require-session-reuse", None,
         ("Data connections under PROT P must resume the control "
          "connection's TLS session (curl, lftp and FileZilla do; Python's "
          "ftplib does not).")],
        ["tls-allow-ccc", None,
         ("Accept CCC (RFC 4217): a logged-in client may end TLS on the "
          "control connection (for NAT devices that read it); its later "
          "commands, though not its data, are then in clear and open to "
          "tampering.")],
        ["tls-allow-upload-eof", None,
         ("Take an upload whose data connection the client ends with a "
          "TCP FIN but no TLS close_notify (wput, netkit ftp-ssl) as "
          "complete, as vsftpd and ProFTPD do, and log it (off: 426, "
          "kept as a partial upload; see docs/tls.rst, truncation).")],
        ["tls-allow-1.3", None,
         ("Offer TLS 1.3 too (off: TLS 1.2 only; see docs/tls.rst for "
          "clients and --tls-require-session-reuse under 1.3).")],
    ]

    def opt_tls_cert(self, path):
        """
        PEM file with the server certificate (then any intermediates, and
        the key if --tls-key is not given); enables AUTH TLS.
        """
        self["tls-cert"] = _pemPath("--tls-cert", path)

    def opt_tls_key(self, path):
        """
        PEM file with the private key [default: the --tls-cert file].
        """
        self["tls-key"] = _pemPath("--tls-key", path)


def _pemPath(option, path):
    """
    @param option: C{--tls-cert} or C{--tls-key}.
    @param path: its value.
    @return: C{path}.
    @raise usage.UsageError: when it is empty (a variable left unset):
        an empty C{--tls-cert} was taken as none, and the server started
        without TLS.
    """
    if not path:
        raise usage.UsageError(f"{option}: needs a PEM file, not ''")
    return path


def tlsConfigFields(options):
    """
    Check the TLS options and make the L{ftpkit.config.ServerConfig}
    arguments they describe.

    Without C{--tls-cert}, the context comes from the first C{ssl:}
    C{--listen} endpoint's C{privateKey}/C{certKey}, if any.

    @param options: parsed options of a class mixing in L{TLSOptionsMixin}
        (a mapping; C{"listen"} holds the endpoint descriptions).
    @return: a C{dict} with C{tlsContextFactory}, C{tlsRequired},
        C{tlsRequiredForAnonymous}, C{tlsRequireSessionReuse},
        C{tlsAllowCCC} and C{tlsAllowUploadEOF}.
    @raise usage.UsageError: with one line naming the option at fault.
    """
    certPath = options.get("tls-cert")
    keyPath = options.get("tls-key")
    listens = options.get("listen") or []
    implicit = any(isImplicitTLS(description) for description in listens)
    required = bool(options.get("tls-required"))
    reuse = bool(options.get("tls-require-session-reuse"))
    allowCCC = bool(options.get("tls-allow-ccc"))
    allowUploadEOF = bool(options.get("tls-allow-upload-eof"))
    if keyPath and not certPath:
        raise usage.UsageError("--tls-key: needs --tls-cert as well")
    unread = unreadCertificate(listens, certPath, keyPath)
    if unread is not None:
        raise usage.UsageError(f"--listen: {unread}")
    maximumVersion = (None if options.get("tls-allow-1.3")
                      else TLSVersion.TLSv1_2)
    try:
        if certPath:
            factory = makeContextFactory(certPath, keyPath, maximumVersion)
        else:
            factory = contextFromEndpointStrings(listens, maximumVersion)
    except TLSConfigurationError as e:
        if not certPath:
            raise usage.UsageError(f"--listen: {e}")
        raise usage.UsageError(
            "--tls-%s: %s" % ("key" if e.part == "key" and keyPath
                              else "cert", e))
    if required and factory is None and not implicit:
        raise usage.UsageError(
            "--tls-required: needs --tls-cert (or an ssl: --listen endpoint)")
    if allowCCC and factory is None:
        raise usage.UsageError("--tls-allow-ccc: needs --tls-cert")
    if allowUploadEOF and factory is None and not implicit:
        raise usage.UsageError(
            "--tls-allow-upload-eof: needs --tls-cert (or an ssl: --listen "
            "endpoint)")
    if options.get("tls-allow-1.3") and factory is None:
        raise usage.UsageError("--tls-allow-1.3: needs --tls-cert")
    if reuse and factory is None:
        raise usage.UsageError("--tls-require-session-reuse: needs --tls-cert")
    if options.get("tls-anonymous-exempt") and not required:
        raise usage.UsageError("--tls-anonymous-exempt: needs --tls-required")
    return {
        "tlsContextFactory": factory,
        "tlsRequired": required,
        "tlsRequiredForAnonymous": not options.get("tls-anonymous-exempt"),
        "tlsRequireSessionReuse": reuse,
        "tlsAllowCCC": allowCCC,
        "tlsAllowUploadEOF": allowUploadEOF,
    }
