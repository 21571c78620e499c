"""
The server's certificate and key, from PEM files: read and checked
(L{loadCertificateAndKey}), and held with what they were last found good
as (L{CertificateFiles}), which a C{SIGHUP} reads again and the acceptor
of C{--workers} keeps for the workers it starts
(L{ftpkit.deploy.keptfiles}): a worker started again while the files
cannot be used (a certificate being renewed, its key not written yet)
serves the pair last found good, as one process keeps it when a reload
fails. A key file every local user may read (or change) is one warning
at start and at each reload (L{CertificateFiles.warnExposed}).
"""

import datetime
import os
import warnings

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.utils import CryptographyDeprecationWarning
from twisted.internet import defer

from ftpkit.auth.exposedfiles import KEY, warnExposed
from ftpkit.auth.reloadingfile import fileSignature, inThread, readRegularFile
from ftpkit.deploy.keptfiles import checkedByAcceptor, keptContent, register
from ftpkit.deploy.startdirectory import fromStart
from ftpkit.ops.workerechoes import CERTIFICATE_NOT_RELOADED

_PUBLIC = (serialization.Encoding.DER,
           serialization.PublicFormat.SubjectPublicKeyInfo)


def realPath(path):
    """
    @param path: a certificate or key file an option names.
    @return: its real path (symbolic links resolved), a relative one taken
        from the start directory (L{fromStart}: a worker's working
        directory may be gone); C{path} as it is when that directory
        cannot be read.
    """
    try:
        return os.path.realpath(fromStart(path))
    except ValueError:
        return path


class TLSConfigurationError(ValueError):
    """
    A certificate or key cannot be used. The message is one line, naming
    the file and the problem.

    @ivar part: C{"cert"} or C{"key"}: which file is at fault.
    """

    def __init__(self, message, part="cert"):
        """
        @param message: the one line naming the file and the problem.
        @param part: see L{part}.
        """
        ValueError.__init__(self, message)
        self.part = part


def _readFile(path, part, shown=None):
    shown = path if shown is None else shown
    try:
        return readRegularFile(path)
    except FileNotFoundError:
        raise TLSConfigurationError(f"{shown}: no such file", part)
    except OSError as e:
        raise TLSConfigurationError(
            f"{shown}: cannot read it ({e.strerror or e})", part)


def _parseChain(data, path):
    # cryptography warns of what a later release of it will refuse (a
    # serial number that is not positive): Python wrote that warning to
    # standard error in its own two lines, before a usage error's one,
    # and a worker of --workers logged it at each load. The start says it
    # once instead (serialNotPositive).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        try:
            return x509.load_pem_x509_certificates(data)
        except ValueError:
            raise TLSConfigurationError(
                f"{path}: no valid PEM certificate in it", "cert")


def serialNotPositive(certificate):
    """
    @param certificate: a server's C{cryptography} certificate.
    @return: whether its serial number is not positive, which RFC 5280
        forbids: C{cryptography} loads it with a deprecation warning, and
        a later release of it will refuse it.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        return certificate.serial_number <= 0


def _parseKey(data, path):
    try:
        return serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise TLSConfigurationError(
            f"{path}: the private key is encrypted; give an unencrypted key",
            "key")
    except (ValueError, UnsupportedAlgorithm):
        raise TLSConfigurationError(
            f"{path}: no valid PEM private key in it", "key")


def certificateAndKeyFrom(certData, keyData, certPath, keyPath, now=None):
    """
    Check a certificate (with its chain) and its private key.

    @param certData: the certificate file's content, C{bytes}.
    @param keyData: the key file's content, C{bytes}.
    @param certPath: the certificate file, for messages.
    @param keyPath: the key file, for messages.
    @param now: see L{loadCertificateAndKey}; C{False} not to check the
        certificate's dates at all.
    @return: see L{loadCertificateAndKey}.
    @raise TLSConfigurationError: see L{loadCertificateAndKey}.
    """
    chain = _parseChain(certData, certPath)
    key = _parseKey(keyData, keyPath)
    certificate = chain[0]
    if (certificate.public_key().public_bytes(*_PUBLIC)
            != key.public_key().public_bytes(*_PUBLIC)):
        raise TLSConfigurationError(
            f"{keyPath}: the private key does not match the certificate "
            f"in {certPath}", "key")
    if now is not False:
        checkDates(certificate, certPath, now)
    return chain, key


def checkDates(certificate, certPath, now=None):
    """
    Check that a certificate is valid now.

    @param certificate: the server's C{cryptography} certificate.
    @param certPath: its file, for messages.
    @param now: the time to check validity at (a timezone-aware
        C{datetime}), now if C{None}.
    @raise TLSConfigurationError: for a certificate expired or not yet
        valid.
    """
    if now is None:
        now = datetime.datetime.now(datetime.timezone.utc)
    if certificate.not_valid_after_utc < now:
        raise TLSConfigurationError(
            f"{certPath}: the certificate expired on "
            f"{certificate.not_valid_after_utc:%Y-%m-%d %H:%M} UTC", "cert")
    if certificate.not_valid_before_utc > now:
        raise TLSConfigurationError(
            f"{certPath}: the certificate is not valid before "
            f"{certificate.not_valid_before_utc:%Y-%m-%d %H:%M} UTC", "cert")


def loadCertificateAndKey(certPath, keyPath=None, now=None):
    """
    Load and check a certificate (with its chain) and its private key.

    @param certPath: a PEM file: the server certificate first, then any
        intermediate certificates (and, if C{keyPath} is C{None}, the key).
    @param keyPath: a PEM file holding the private key, or C{None} to read
        it from C{certPath}.
    @param now: the time to check validity at (a timezone-aware
        C{datetime}), now if C{None}.
    @return: C{(chain, key)}: a list of C{cryptography} certificates, the
        server's first, and its C{cryptography} private key.
    @raise TLSConfigurationError: for a missing or unreadable file, a file
        without a valid PEM certificate or key, an encrypted key, a key not
        matching the certificate, or a certificate expired or not yet valid.
    """
    keyPath = keyPath or certPath
    certData = _readFile(certPath, "cert")
    keyData = certData if keyPath == certPath else _readFile(keyPath, "key")
    return certificateAndKeyFrom(certData, keyData, certPath, keyPath, now)


class CertificateFiles:
    """
    The certificate and key files of a server: the pair read from them,
    and their content as it was then, kept for the workers of
    C{--workers} (a source of L{ftpkit.deploy.keptfiles}).

    @ivar certPath: the certificate file.
    @ivar keyPath: the key file (C{certPath} when it holds the key).
    @ivar contents: C{{absolute path: content}} of the pair last found
        good.
    @ivar log: the L{twisted.logger.Logger} of L{load}, which
        L{warnExposed} warns with too.
    """

    log = None

    def __init__(self, certPath, keyPath=None):
        """
        @param certPath: see L{loadCertificateAndKey}.
        @param keyPath: see L{loadCertificateAndKey}.
        @raise TLSConfigurationError: for a relative path whose directory
            cannot be read (L{ftpkit.deploy.startdirectory.fromStart}).
        """
        self.certPath = certPath
        self.keyPath = keyPath or certPath
        self.contents = {}
        self._signature = None
        self._loaded = None
        self._reloads = defer.DeferredLock()
        # Resolved once, at the start: a relative path read again later
        # (SIGHUP, the acceptor's refresh at each ping) was resolved
        # against a current directory that may have been removed since,
        # a FileNotFoundError traceback each time.
        try:
            self._absolute = [fromStart(self.certPath),
                              fromStart(self.keyPath)]
        except ValueError as e:
            raise TLSConfigurationError(str(e), "cert") from None

    def load(self, log):
        """
        Read and check the pair; in a worker of C{--workers}, files that
        cannot be used are taken from the content its acceptor kept of
        them, when it kept both, with the error a failed reload logs
        (the certificate's dates unchecked, as one process keeps a pair
        that expired since it read it).

        @param log: the L{twisted.logger.Logger} of that error, and of
            L{warnExposed}.
        @return: see L{loadCertificateAndKey}.
        @raise TLSConfigurationError: see L{loadCertificateAndKey}.
        """
        self.log = log
        try:
            return self.reload()
        except TLSConfigurationError as e:
            kept = [keptContent(path) for path in self._paths()]
            if None in kept:
                raise
            pair = certificateAndKeyFrom(*kept, self.certPath, self.keyPath,
                                         now=False)
            self._keep(*kept, pair)
            log.error(CERTIFICATE_NOT_RELOADED, why=str(e))
            return pair
        finally:
            register(self)

    def _paths(self):
        """
        @return: the absolute paths of the certificate and key files.
        """
        return list(self._absolute)

    def _read(self):
        """
        Read both files, noting their signature (for L{refresh}).

        @return: C{(certData, keyData)}.
        @raise TLSConfigurationError: when a file cannot be read.
        """
        paths = self._paths()
        self._signature = tuple(map(fileSignature, paths))
        certData = _readFile(paths[0], "cert", self.certPath)
        keyData = (certData if self.keyPath == self.certPath
                   else _readFile(paths[1], "key", self.keyPath))
        return certData, keyData

    def _known(self, certData, keyData):
        """
        @param certData: the certificate file's content, as read now.
        @param keyData: the key file's content, as read now.
        @return: the pair last found good when it was read from these
            very bytes, its dates checked again (an unchanged certificate
            expires too); C{None} when the files changed: they must be
            parsed (a key of RSA-4096, some 0.2 s).
        @raise TLSConfigurationError: when that pair's certificate expired.
        """
        if self._loaded is None or self._loaded[:2] != (certData, keyData):
            return None
        pair = self._loaded[2]
        checkDates(pair[0][0], self.certPath)
        return pair

    def _keep(self, certData, keyData, pair):
        """
        Note a pair found good, and the content it was read from.

        @param certData: the certificate file's content.
        @param keyData: the key file's content.
        @param pair: C{(chain, key)} read from them.
        @return: C{pair}.
        """
        self._loaded = (certData, keyData, pair)
        self.contents = dict(zip(self._paths(), (certData, keyData)))
        return pair

    def reload(self):
        """
        Read and check the pair again, here and now; keep their content
        when good, and then warn when every local user may read or change
        the key (L{warnExposed}; in a worker of C{--workers}, its acceptor
        does). Files unchanged since the pair was last found good are not
        parsed again (L{_known}).

        @return: see L{loadCertificateAndKey}.
        @raise TLSConfigurationError: see L{loadCertificateAndKey}.
        """
        pair = self._reread()
        self._warnUnlessAcceptor()
        return pair

    def _reread(self):
        """
        L{reload}, without a warning.
        """
        certData, keyData = self._read()
        pair = self._known(certData, keyData)
        if pair is None:
            pair = certificateAndKeyFrom(certData, keyData, self.certPath,
                                         self.keyPath)
        return self._keep(certData, keyData, pair)

    def reloadInThread(self):
        """
        L{reload}, files that changed parsed in a thread: what C{SIGHUP}
        calls (L{ftpkit.control.tls.FTPSContextFactory.reloadInThread}).
        The parse of a key held the reactor, every session with it, at
        each C{SIGHUP}, in each worker (0.2 to 0.3 s for RSA-4096), even
        when the files had not changed: now only a change is parsed.
        The thread frees the reactor only where the parse lets go of
        Python's lock: C{cryptography}'s check of an RSA key (its primes)
        holds it, so a changed RSA key still holds the sessions that long,
        once per change. Reloads run one after the other, in the order
        asked: an older reading never replaces a newer one.

        @return: a Deferred firing with the pair (see
            L{loadCertificateAndKey}), or failing with
            L{TLSConfigurationError}.
        """
        return self._reloads.run(self._rereadInThread).addCallback(
            self._warnedAfter)

    def _rereadInThread(self):
        """
        L{reloadInThread}, without a warning.

        @return: a Deferred firing with the pair, or the pair itself when
            the files did not change.
        """
        certData, keyData = self._read()
        pair = self._known(certData, keyData)
        if pair is not None:
            return self._keep(certData, keyData, pair)
        return inThread(certificateAndKeyFrom, certData, keyData,
                        self.certPath, self.keyPath).addCallback(
            lambda parsed: self._keep(certData, keyData, parsed))

    def _warnedAfter(self, pair):
        """
        L{_warnUnlessAcceptor}, after a reload.

        @param pair: the pair reloaded.
        @return: C{pair}.
        """
        self._warnUnlessAcceptor()
        return pair

    def _warnUnlessAcceptor(self):
        """
        L{warnExposed}, unless the acceptor of C{--workers} does.
        """
        if not checkedByAcceptor():
            self.warnExposed()

    def warnExposed(self):
        """
        Log a warning when every local user may read the key file (the
        certificate file, when it holds the key), or change it
        (L{ftpkit.auth.exposedfiles}).
        """
        if self.log is not None:
            warnExposed(self.log, self._paths()[1], KEY)

    def refresh(self):
        """
        L{reload}, without a line, if a file changed since it was last
        read: what the acceptor of C{--workers} keeps for its workers. A
        pair that cannot be used changes nothing.
        """
        if tuple(map(fileSignature, self._paths())) == self._signature:
            return
        try:
            self._reread()
        except TLSConfigurationError:
            pass

    def refreshInThread(self):
        """
        L{refresh}, files that changed parsed in a thread (after the
        reloads asked before): what the acceptor of C{--workers} does at
        each round of pings (L{ftpkit.deploy.keptfiles.refreshAllInThread}),
        whose reactor hands on every connection.

        @return: a Deferred firing with C{None} once done.
        """
        if tuple(map(fileSignature, self._paths())) == self._signature:
            return defer.succeed(None)
        def unusable(reason):
            reason.trap(TLSConfigurationError)

        return self._reloads.run(self._rereadInThread).addCallbacks(
            lambda pair: None, unusable)

    def keptFiles(self):
        """
        @return: L{contents}.
        """
        return dict(self.contents)
