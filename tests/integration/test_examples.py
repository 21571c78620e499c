"""
Tests for the example realm plugin in C{examples/} (the one the
"writing a realm plugin" tutorial shows).
"""

import ast
import ftplib
import importlib.util
import io
import os
import shutil
import sys

from twisted.internet import defer
from twisted.internet.threads import deferToThread
from twisted.trial import unittest

import twisted.plugins
from ftpkit.deploy import realmplugins, tap
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.shells.keptuploads import KeptUploadsShell
from ftpkit.testing import IFTPShellConformanceMixin
from tests.ftpclient import ftplibLogin
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess
from tests.tlssupport import ImplicitFTPTLS, clientContext, makeCertificate
from tests.twistdrun import SOURCE

EXAMPLES = os.path.join(SOURCE, "examples")


class ExamplesOnPathMixin:
    """
    Put a copy of C{examples/} on C{sys.path}, the way users install a
    plugin, for the length of a test.
    """

    def setUp(self):
        # A copy, so that Twisted's plugin cache is not written into the
        # source tree.
        copy = os.path.abspath(self.mktemp())
        shutil.copytree(EXAMPLES, copy,
                        ignore=shutil.ignore_patterns("__pycache__", "*.cache"))
        sys.path.insert(0, copy)
        self.examples = copy
        pluginPath = list(twisted.plugins.__path__)
        twisted.plugins.__path__.append(os.path.join(copy, "twisted", "plugins"))

        def restore():
            sys.path.remove(copy)
            twisted.plugins.__path__[:] = pluginPath
            for name in ["ftpkit_tenants", "twisted.plugins.ftpkit_example_realm",
                         "ftpkit_sqlite", "twisted.plugins.ftpkit_example_sqlite",
                         "ftpkit_envpasswords",
                         "twisted.plugins.ftpkit_example_checker"]:
                sys.modules.pop(name, None)

        self.addCleanup(restore)
        self.root = scratchDirectory(self)

    def makeRealm(self, spec):
        """
        @return: the realm C{--realm SPEC} builds.
        """
        options = tap.Options()
        options.parseOptions(["--realm", spec, "--root", self.root])
        return options["realmObject"]


class TenantRealmTests(ExamplesOnPathMixin, LoopbackServerMixin,
                       unittest.TestCase):
    """
    The C{tenants} realm of C{examples/}.
    """

    def test_found(self):
        """
        The plugin is found and listed by C{--help-realms}.
        """
        self.assertIn("tenants", realmplugins.realmPlugins())
        options = tap.Options()
        options.realmOutput = io.StringIO()
        self.assertRaises(SystemExit, options.parseOptions, ["--help-realms"])
        self.assertIn("TENANT.USER sees ROOT/TENANT",
                      options.realmOutput.getvalue())

    def test_badArgument(self):
        """
        A directory that does not exist is a usage error.
        """
        from twisted.python import usage

        e = self.assertRaises(usage.UsageError, self.makeRealm,
                              "tenants:" + self.mktemp())
        self.assertIn("is not a directory", str(e))

    @defer.inlineCallbacks
    def test_login(self):
        """
        C{acme.alice} uploads into C{ROOT/acme}; C{acme.ro-bob} sees the
        file and may not upload; a name without a tenant cannot log in.
        """
        realm = self.makeRealm("tenants")
        server = self.startServer(realm, anonymous=False, users={
            "acme.alice": "pw", "acme.ro-bob": "pw", "nodot": "pw"})

        def client():
            outcome = {}
            ftp = ftplibLogin(self, server.port, "acme.alice", "pw")
            ftp.storbinary("STOR report.txt", io.BytesIO(b"numbers"))
            ftp.quit()
            ftp = ftplibLogin(self, server.port, "acme.ro-bob", "pw")
            outcome["bobSees"] = ftp.nlst()
            try:
                ftp.storbinary("STOR x.txt", io.BytesIO(b"x"))
            except ftplib.error_perm as e:
                outcome["bobStores"] = str(e)
            ftp.quit()
            ftp = ftplib.FTP()
            ftp.connect("127.0.0.1", server.port, timeout=30)
            try:
                ftp.login("nodot", "pw")
            except ftplib.error_perm as e:
                outcome["nodot"] = str(e)
            ftp.close()
            return outcome

        outcome = yield self.inThread(client)
        with open(os.path.join(self.root, "acme", "report.txt"), "rb") as f:
            self.assertEqual(f.read(), b"numbers")
        self.assertEqual(outcome["bobSees"], ["report.txt"])
        self.assertTrue(outcome["bobStores"].startswith("550"), outcome)
        self.assertTrue(outcome["nodot"].startswith("530"), outcome)


class CheckerPluginTests(ExamplesOnPathMixin, unittest.TestCase):
    """
    The C{envpw} checker plugin of C{examples/} (the one "A checker
    plugin" in the realm tutorial shows).
    """

    def test_listed(self):
        """
        C{--help-auth} lists it; C{--auth envpw} without its prefix is a
        one-line usage error.
        """
        from twisted.python import usage

        options = tap.Options()
        options.authOutput = io.StringIO()
        self.assertRaises(SystemExit, options.parseOptions, ["--help-auth"])
        self.assertIn("envpw", options.authOutput.getvalue())
        error = self.assertRaises(usage.UsageError, tap.Options().parseOptions,
                                  ["--auth", "envpw"])
        self.assertEqual(str(error), "--auth: envpw needs a PREFIX: --auth "
                         "envpw:FTP_PASSWORD_")

    def test_workers(self):
        """
        Under C{twistd ftpkit --workers 2}, whose workers parse the
        options again, users log in with its passwords, and a wrong one
        gets C{530}.
        """
        server = ServerProcess(
            self, ["--root", self.root, "--auth", "envpw:FTPKIT_TEST_PW_",
                   "--workers", "2"], twistd=True, cwd=self.root,
            env={"PYTHONPATH": os.pathsep.join([SOURCE, self.examples]),
                 "FTPKIT_TEST_PW_alice": "s3cret"})
        server.waitForGreeting()
        for _ in range(2):
            ftp = server.login("alice", "s3cret")
            ftp.storbinary("STOR a.txt", io.BytesIO(b"a"))
            ftp.quit()
        ftp = ftplib.FTP()
        ftp.connect("127.0.0.1", server.port, timeout=30)
        self.addCleanup(ftp.close)
        error = self.assertRaises(ftplib.error_perm, ftp.login, "alice",
                                  "wrong")
        self.assertTrue(str(error).startswith("530"), str(error))
        self.assertEqual(os.listdir(self.root), ["a.txt"])


def _loadExample(name):
    """
    Import a module of C{examples/} by its file name, with C{examples/} on
    C{sys.path} while it loads (so that its imports of the other examples
    work, as in a plugin's own tree), and neither left on C{sys.path} nor
    in C{sys.modules} after.

    @return: the module.
    """
    before = set(sys.modules)
    sys.path.insert(0, EXAMPLES)
    try:
        spec = importlib.util.spec_from_file_location(
            name, os.path.join(EXAMPLES, name + ".py"))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(EXAMPLES)
        for loaded in set(sys.modules) - before:
            if loaded.startswith("ftpkit_"):
                del sys.modules[loaded]
    return module


def linesOfCode(path):
    """
    @return: the lines of a Python file that are neither blank, comments
        nor docstrings.
    """
    with open(path, encoding="utf-8") as f:
        source = f.read()
    docstrings = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) \
                and isinstance(node.value.value, str):
            docstrings.update(range(node.lineno, node.end_lineno + 1))
    return [line for number, line in enumerate(source.splitlines(), 1)
            if number not in docstrings and line.strip()
            and not line.strip().startswith("#")]


class SQLiteExampleSizeTests(unittest.TestCase):
    """
    The storage tutorial promises a backend in at most 200 lines of code.
    """

    def test_short(self):
        """
        C{examples/ftpkit_sqlite.py} has at most 200 lines of code.
        """
        count = len(linesOfCode(os.path.join(EXAMPLES, "ftpkit_sqlite.py")))
        self.assertLessEqual(count, 200)


_SQLITE_TESTS = _loadExample("test_ftpkit_sqlite")


class SQLiteShellConformanceTests(_SQLITE_TESTS.SQLiteShellConformanceTests):
    """
    The SQLite storage of C{examples/} (the one the "writing a storage
    backend" tutorial builds) passes the conformance kit, run by the
    tests the tutorial shows (C{examples/test_ftpkit_sqlite.py}).
    """


class KeptSQLiteShellConformanceTests(SQLiteShellConformanceTests):
    """
    The SQLite storage wrapped as C{docs/writing-a-storage-backend.rst}
    says to deploy a shell of the simple contract,
    C{KeptUploadsShell(SQLiteShell(...))}, passes the conformance kit, the
    tests of L{ftpkit.interfaces.IFTPShellResumeOwners} included, as
    C{docs/hooks.rst} says to run it over what you deploy.
    """

    def makeShell(self):
        """
        @return: a L{KeptUploadsShell} around a new L{SQLiteShell}.
        """
        self.sqlite = SQLiteShellConformanceTests.makeShell(self)
        return KeptUploadsShell(self.sqlite)

    def settle(self):
        """
        Wait for the SQLite shell's thread, then as the kit does.
        """
        settling = self.sqlite.pool.run(lambda: None)
        settling.addCallback(
            lambda ignored: IFTPShellConformanceMixin.settle(self))
        return settling


class SQLiteServerTests(_SQLITE_TESTS.SQLiteServerTests):
    """
    The end-to-end test the storage tutorial shows
    (C{examples/test_ftpkit_sqlite.py}) passes.
    """


_ZIP_TESTS = _loadExample("test_ftpkit_zip")


class ZipShellConformanceTests(_ZIP_TESTS.ZipShellConformanceTests):
    """
    The read-only zip storage of C{examples/} (the one the "writing a
    storage backend" tutorial shows for
    L{ftpkit.testing.IReadOnlyShellConformanceMixin}) passes the
    read-only conformance kit, run by the tests the tutorial shows
    (C{examples/test_ftpkit_zip.py}).
    """


class ZipServerTests(_ZIP_TESTS.ZipServerTests):
    """
    The zip storage's end-to-end test (C{examples/test_ftpkit_zip.py})
    passes.
    """


class SQLiteRealmTests(ExamplesOnPathMixin, LoopbackServerMixin,
                       unittest.TestCase):
    """
    The C{sqlite} realm of C{examples/}, through a real server and ftplib.
    """

    def test_badArgument(self):
        """
        A missing database name or directory is a usage error.
        """
        from twisted.python import usage

        for spec, message in (("sqlite", "give the database"),
                              ("sqlite:/no/such/dir/db", "no directory")):
            e = self.assertRaises(usage.UsageError, self.makeRealm, spec)
            self.assertIn(message, str(e))

    @defer.inlineCallbacks
    def test_session(self):
        """
        Files uploaded, renamed and resumed are in the database, and stay
        there for the next server.
        """
        database = os.path.join(self.root, "files.db")
        realm = self.makeRealm("sqlite:" + database)
        self.addCleanup(realm.shell.pool.stop)
        server = self.startServer(realm, anonymous=False,
                                  users={"alice": "pw"})

        def client():
            ftp = ftplibLogin(self, server.port, "alice", "pw")
            ftp.mkd("docs")
            ftp.storbinary("STOR docs/a.txt", io.BytesIO(b"hello world"))
            ftp.storbinary("STOR docs/a.txt", io.BytesIO(b"WORLD"), rest=6)
            ftp.rename("docs", "papers")
            chunks = []
            ftp.retrbinary("RETR papers/a.txt", chunks.append)
            listing = ftp.nlst("papers")
            ftp.quit()
            return b"".join(chunks), listing

        data, listing = yield self.inThread(client)
        self.assertEqual(data, b"hello WORLD")
        self.assertEqual(listing, ["papers/a.txt"])
        shell = self.makeRealm("sqlite:" + database).shell
        self.addCleanup(shell.pool.stop)
        info = yield shell.stat(("papers", "a.txt"))
        self.assertEqual(info.size, 11)


_EMBEDDED = _loadExample("embedded_server")


class EmbeddedServerTests(unittest.TestCase):
    """
    The program of C{examples/embedded_server.py} (the one
    C{docs/embedding.rst} walks through), started as it starts itself,
    on an ephemeral loopback port.
    """

    def startExample(self, listen="tcp:0:interface=127.0.0.1",
                     certificate=None):
        """
        Start the example's service on 127.0.0.1, port 0, serving a
        scratch directory to alice; stopped with the test.

        @param listen: the endpoint it listens on.
        @param certificate: its certificate and key, or C{None}.
        @return: C{(root, port)}.
        """
        root = scratchDirectory(self)
        ftp = _EMBEDDED.makeService(root, {"alice": "secret"}, listen,
                                    certificate)
        ftp.startService()
        self.addCleanup(ftp.stopService)
        return root, ftp.ports()[0].getHost().port

    def test_argumentsProblem(self):
        """
        The command line is checked before anything starts: a user
        without a password (C{alice}, which let anyone in as alice with
        an empty one), no arguments, a directory that is not there, an
        endpoint Twisted cannot read and a certificate that cannot be
        used are one line each (all but the user were a traceback).
        """
        root = scratchDirectory(self)
        problem = _EMBEDDED.argumentsProblem
        self.assertIsNone(problem([root, "alice:secret"]))
        self.assertIsNone(problem([root, "alice:se:cret", "tcp:0"]))
        self.assertEqual(
            [problem(arguments) for arguments in [
                [], [root], [root, "alice"], [root, "alice:"], [root, ":x"],
                [root + "/nope", "alice:secret"],
                [root, "alice:secret", "tcp:x"],
                [root, "alice:secret", "tcp:0", root + "/nope.pem"]]],
            ["needs two to four arguments", "needs two to four arguments",
             "'alice' is not USER:PASSWORD (both are needed)",
             "'alice:' is not USER:PASSWORD (both are needed)",
             "':x' is not USER:PASSWORD (both are needed)",
             f"{root + '/nope'!r} is not a directory",
             "bad endpoint 'tcp:x': invalid literal for int() with base 10: "
             "'x'",
             f"{root}/nope.pem: no such file"])

    @defer.inlineCallbacks
    def test_session(self):
        """
        A user logs in, uploads, downloads and lists; the upload is in the
        served directory.
        """
        root, port = self.startExample()

        def client():
            ftp = ftplibLogin(self, port, "alice", "secret")
            welcome = ftp.getwelcome()
            ftp.storbinary("STOR a.txt", io.BytesIO(b"embedded"))
            chunks = []
            ftp.retrbinary("RETR a.txt", chunks.append)
            listing = []
            ftp.retrlines("LIST", listing.append)
            ftp.quit()
            return welcome, b"".join(chunks), listing

        welcome, data, listing = yield deferToThread(client)
        self.assertEqual(welcome, "220 embedded ftpkit ready")
        self.assertEqual(data, b"embedded")
        self.assertEqual(len(listing), 1)
        self.assertTrue(listing[0].endswith(" a.txt"), listing)
        with open(os.path.join(root, "a.txt"), "rb") as f:
            self.assertEqual(f.read(), b"embedded")

    @defer.inlineCallbacks
    def test_tls(self):
        """
        Given a certificate, the example offers C{AUTH TLS}, and with an
        C{ssl:} endpoint serves implicit FTPS with it.
        """
        certificate = makeCertificate(scratchDirectory(self))[2]
        _, explicitPort = self.startExample(certificate=certificate)
        _, implicitPort = self.startExample("ssl:0:interface=127.0.0.1",
                                            certificate)

        def client(port, kind):
            ftp = ftplibLogin(self, port, "alice", "secret",
                              client=kind(context=clientContext()),
                              protect=True)
            ftp.storbinary("STOR t.txt", io.BytesIO(b"secret"))
            chunks = []
            ftp.retrbinary("RETR t.txt", chunks.append)
            ftp.quit()
            return b"".join(chunks)

        explicit = yield deferToThread(client, explicitPort, ftplib.FTP_TLS)
        implicit = yield deferToThread(client, implicitPort, ImplicitFTPTLS)
        self.assertEqual((explicit, implicit), (b"secret", b"secret"))

    @defer.inlineCallbacks
    def test_wrongPassword(self):
        """
        Only the users the example was given log in.
        """
        _, port = self.startExample()

        def client():
            return ftplibLogin(self, port, "alice", "wrong")

        yield self.assertFailure(deferToThread(client), ftplib.error_perm)

    @defer.inlineCallbacks
    def test_sweepsCrashedUploads(self):
        """
        At start, an upload a crashed process left under the served
        directory becomes its target's partial upload: a client resumes
        it with C{REST} and C{STOR}.
        """
        root = scratchDirectory(self)
        crashed = os.path.join(
            root, ".ftpkit-upload.0123456789abcdef-1.a.txt.tmp")
        with open(crashed, "wb") as f:
            f.write(b"embed")
        ftp = _EMBEDDED.makeService(root, {"alice": "secret"},
                                    "tcp:0:interface=127.0.0.1")
        ftp.startService()
        self.addCleanup(ftp.stopService)
        port = ftp.ports()[0].getHost().port

        def client():
            session = ftplibLogin(self, port, "alice", "secret",
                                  binary=True)
            size = session.size("a.txt")
            session.storbinary("STOR a.txt", io.BytesIO(b"ded"), rest=size)
            session.quit()
            return size

        size = yield deferToThread(client)
        self.assertEqual(size, 5)
        with open(os.path.join(root, "a.txt"), "rb") as f:
            self.assertEqual(f.read(), b"embedded")

    @defer.inlineCallbacks
    def test_stopDrains(self):
        """
        Stopping the service tells a logged-in client C{421}, and its
        Deferred fires once the session is gone.
        """
        root = scratchDirectory(self)
        ftp = _EMBEDDED.makeService(root, {"alice": "secret"},
                                    "tcp:0:interface=127.0.0.1")
        ftp.startService()
        port = ftp.ports()[0].getHost().port
        session = yield deferToThread(ftplibLogin, self, port)
        yield ftp.stopService()
        self.assertEqual(ftp.factory.sessions, 0)
        reply = yield deferToThread(session.getline)
        self.assertEqual(reply, "421 Server shutting down; try again later")
