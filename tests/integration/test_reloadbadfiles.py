"""
C{SIGHUP} finding the files a running server reads (C{--auth file:},
C{--auth users:}, C{--tls-cert}, C{--tls-key}) replaced by ones it cannot
use, as a careless operator leaves them: a FIFO, C{/dev/zero}, a
directory, a line that is no user, a certificate that does not match the
key, has expired, is a CA bundle or DER, an encrypted key. Each is one
error line in each process that reloads (C{python -m ftpkit}, one
process and C{--workers 2}); the users and the certificate read before
stay in force, and the server keeps serving. A FIFO held the reload (the
whole server) for ever, and C{/dev/zero} read until memory ran out.
"""

import datetime
import os
import re
import shutil
import signal
import urllib.request

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID
from twisted.trial import unittest

from ftpkit.auth.passwordhash import hashPassword
from ftpkit.auth.reloadingfile import MAX_FILE_BYTES, TOO_BIG
from tests.integration.test_metrics import samples
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess
from tests.tlssupport import derOf, makeCertificate, presentedCertificate

USERS = "users file not reloaded, keeping the old users: "
"""How a users or password file that cannot be used is logged."""

CERTIFICATE = "TLS certificate not reloaded, keeping the old one: "
"""How a certificate or key that cannot be used is logged."""


def replaceWith(path, make):
    """
    Put something else where C{path} is, as a rename would.

    @param path: a file.
    @param make: called with a new path next to it, makes it (a file, a
        FIFO, a link...).
    """
    new = path + ".new"
    make(new)
    if os.path.isdir(new) and not os.path.islink(new):
        os.unlink(path)
    os.replace(new, path)


def restore(path, data):
    """
    Make C{path} a regular file holding C{data} again.
    """
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    with open(path + ".new", "wb") as f:
        f.write(data)
    os.replace(path + ".new", path)


def writer(data):
    """
    @return: a C{make} for L{replaceWith} writing C{data}.
    """
    def make(path):
        with open(path, "wb") as f:
            f.write(data)
    return make


def zero(path):
    os.symlink("/dev/zero", path)


def huge(path):
    """
    Make C{path} a sparse file one byte past the cap of a configuration
    file (L{MAX_FILE_BYTES}).
    """
    with open(path, "wb") as f:
        f.truncate(MAX_FILE_BYTES + 1)


def reloadFiles(case):
    """
    Name the files a reloading server reads, in a scratch directory: set
    C{directory}, C{root} (made), C{passwords}, C{users}, and C{cert} and
    C{key} (written) on C{case}.

    @param case: the test case.
    @return: C{(certificate, key)}: the paths of another certificate and
        its key, for a reload to find.
    """
    case.directory = scratchDirectory(case)
    case.root = os.path.join(case.directory, "root")
    os.mkdir(case.root)
    case.passwords = os.path.join(case.directory, "passwd")
    case.users = os.path.join(case.directory, "users.toml")
    case.cert, case.key, _ = makeCertificate(case.directory)
    other, otherKey, _ = makeCertificate(case.directory, "other")
    return other, otherKey


class BadReloadTests(unittest.TestCase):
    """
    A server reading a password file, a users file, a certificate and a
    key, each replaced in turn by one it cannot use, then C{SIGHUP}.
    """

    timeout = 600

    def setUp(self):
        otherCert, self.otherKey = reloadFiles(self)
        self.good = {}
        for path, data in [
                (self.passwords, b"alice:secret\n"),
                (self.users, b'[users.bob]\npassword = "%s"\n'
                 % hashPassword("pw").encode("ascii"))]:
            with open(path, "wb") as f:
                f.write(data)
        for path in (self.passwords, self.users, self.cert, self.key):
            with open(path, "rb") as f:
                self.good[path] = f.read()
        with open(otherCert, "rb") as f:
            self.otherCert = f.read()

    def cases(self):
        """
        @return: C{(path, make, line)}: the file replaced, what makes
            its replacement, and the error line it gives.
        """
        p, u, c, k = self.passwords, self.users, self.cert, self.key
        der = derOf(c)
        return [
            (p, os.mkfifo, f"{USERS}cannot read password file {p!r}: a "
             "FIFO, not a regular file"),
            (p, zero, f"{USERS}cannot read password file {p!r}: a "
             "character device, not a regular file"),
            (p, os.mkdir, f"{USERS}cannot read password file {p!r}: a "
             "directory, not a regular file"),
            (p, writer(b"alice:secret\nbob\n"), f"{USERS}{p}, line 2: no "
             "':' between user name and password"),
            (u, os.mkfifo, f"{USERS}cannot read users file {u!r}: a FIFO, "
             "not a regular file"),
            (u, writer(b"[users.bob\n"), f"{USERS}{u}: not valid TOML"),
            (u, huge, f"{USERS}cannot read users file {u!r}: {TOO_BIG}"),
            (c, writer(self.otherCert), f"{CERTIFICATE}{k}: the private key "
             f"does not match the certificate in {c}"),
            (c, writer(self.expiredCertificate()), f"{CERTIFICATE}{c}: the certificate "
             "expired on "),
            (c, writer(self.otherCert + self.good[c]), f"{CERTIFICATE}{k}: "
             f"the private key does not match the certificate in {c}"),
            (c, writer(der), f"{CERTIFICATE}{c}: no valid PEM certificate "
             "in it"),
            (c, os.mkfifo, f"{CERTIFICATE}{c}: cannot read it (a FIFO, not "
             "a regular file)"),
            (k, zero, f"{CERTIFICATE}{k}: cannot read it (a character "
             "device, not a regular file)"),
            (k, writer(self.encryptedKey()), f"{CERTIFICATE}{k}: the "
             "private key is encrypted"),
            (k, huge, f"{CERTIFICATE}{k}: cannot read it ({TOO_BIG})"),
        ]

    def expiredCertificate(self):
        """
        @return: a certificate of the key that expired yesterday, as PEM.
        """
        now = datetime.datetime.now(datetime.timezone.utc)
        key = serialization.load_pem_private_key(self.good[self.key], None)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME,
                                             "localhost")])
        return (x509.CertificateBuilder()
                .subject_name(name).issuer_name(name)
                .public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(days=10))
                .not_valid_after(now - datetime.timedelta(days=1))
                .sign(key, hashes.SHA256())
                .public_bytes(serialization.Encoding.PEM))

    def encryptedKey(self):
        """
        @return: the key, encrypted, as PEM.
        """
        key = serialization.load_pem_private_key(self.good[self.key], None)
        return key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"secret"))

    def reloads(self, extra, processes):
        """
        Start a server, then for each case: replace the file, C{SIGHUP},
        see its error line once (under C{--workers} naming both workers:
        L{ftpkit.ops.workerechoes}), the old users and certificate still
        in force, and the file put back.

        @param extra: more options.
        @param processes: how many processes reload.
        """
        server = ServerProcess(self, [
            "--root", self.root, "--auth", "file:" + self.passwords,
            "--auth", "users:" + self.users, "--tls-cert", self.cert,
            "--tls-key", self.key, *extra])
        if extra:
            server.waitForLog(" ready\n", processes)
        else:
            server.waitForGreeting()
        old = derOf(self.cert)
        for path, make, line in self.cases():
            seen = server.log().count(line)
            replaceWith(path, make)
            server.signal(signal.SIGHUP)
            server.waitForLog(line, seen + 1)
            if processes > 1:
                self.assertRegex(server.log(), r"\[workers \d+,\d+ [^]]*\] "
                                 + re.escape(line))
            for _ in range(processes + 1):
                server.login("alice", "secret").quit()
                server.login("bob", "pw").quit()
                self.assertEqual(presentedCertificate(server.port), old)
            self.assertEqual(server.log().count(line), seen + 1, line)
            restore(path, self.good[path])
        self.assertNotIn("Traceback", server.log())

    def test_oneProcess(self):
        """
        In one process.
        """
        self.reloads([], 1)

    def test_workers(self):
        """
        Under C{--workers 2}, in each worker; the acceptor, which keeps
        the files' last good content for its workers, is not held either.
        """
        self.reloads(["--workers", "2"], 2)


class ReloadMetricsTests(unittest.TestCase):
    """
    A failed reload is in C{--metrics} (C{ftpkit_reloads_total},
    C{ftpkit_last_reload_successful}), in one process and under
    C{--workers 2}: it was one error line in the log, nothing an alert
    could see.
    """

    timeout = 300

    def setUp(self):
        try:
            import prometheus_client  # noqa: F401
        except ImportError:
            raise unittest.SkipTest("needs prometheus-client")
        self.directory = scratchDirectory(self)
        self.cert, self.key, _ = makeCertificate(self.directory)
        otherCert, _, _ = makeCertificate(self.directory, "other")
        with open(self.cert, "rb") as f:
            self.good = f.read()
        with open(otherCert, "rb") as f:
            self.otherCert = f.read()

    def reloads(self, extra, processes):
        """
        Reload a certificate that does not match its key, then the good
        one again, scraping after each.

        @param extra: more options.
        @param processes: how many processes reload.
        """
        server = ServerProcess(self, [
            "--root", self.directory, "--auth", "anonymous", "--tls-cert",
            self.cert, "--tls-key", self.key, *extra], metrics=True)
        if extra:
            server.waitForLog(" ready\n", processes)
        else:
            server.waitForGreeting()
        url = f"http://127.0.0.1:{server.metricsPort}/metrics"

        def values():
            with urllib.request.urlopen(url, timeout=30) as response:
                found = samples(response.read().decode("utf-8"))
            return (found.get(("ftpkit_reloads_total",
                               (("result", "success"),))),
                    found.get(("ftpkit_reloads_total",
                               (("result", "failure"),))),
                    found.get(("ftpkit_last_reload_successful", ())))

        self.assertEqual(values(), (0, 0, 1))
        restore(self.cert, self.otherCert)
        server.signal(signal.SIGHUP)
        server.waitForLog(CERTIFICATE)
        server.waitFor(lambda: values() == (0, processes, 0),
                       "the failed reload counted")
        restore(self.cert, self.good)
        server.signal(signal.SIGHUP)
        server.waitForLog("reloaded the TLS certificate from")
        server.waitFor(lambda: values() == (processes, processes, 1),
                       "the reload counted")

    def test_oneProcess(self):
        """
        In one process.
        """
        self.reloads([], 1)

    def test_workers(self):
        """
        Under C{--workers 2}: each worker counts its own reload.
        """
        self.reloads(["--workers", "2"], 2)
