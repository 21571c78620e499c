"""
Tests for the built documentation: the API reference shows every zope
interface (Sphinx's autodoc alone skips them without a warning); and for
what the pages say of the command line.
"""

import importlib
import os
import re
import shutil
import socket
import subprocess
import sys

from twisted.internet import defer, endpoints, protocol, reactor
from twisted.trial import unittest
from zope.interface.interface import InterfaceClass

from tests.scratch import scratchDirectory
from tests.twistdrun import SOURCE, TWISTD, runPython

DOCS = os.path.join(SOURCE, "docs")


def documentedModules():
    """
    @return: the names of the modules C{docs/api.rst} documents.
    """
    with open(os.path.join(DOCS, "api.rst"), encoding="utf-8") as f:
        return re.findall(r"^\.\. automodule:: (\S+)", f.read(), re.MULTILINE)


def interfacesOf(moduleName):
    """
    @return: the fully qualified names of the interfaces a module defines,
        and of each of their attributes and methods.
    """
    module = importlib.import_module(moduleName)
    names = []
    for name, value in sorted(vars(module).items()):
        if isinstance(value, InterfaceClass) and value.__module__ == moduleName:
            qualified = f"{moduleName}.{name}"
            names.append(qualified)
            names.extend(f"{qualified}.{member}" for member in value.names())
    return names


class APIReferenceTests(unittest.TestCase):
    """
    The API page, built by Sphinx as CI builds it.
    """

    def setUp(self):
        for needed in ("sphinx", "sphinxcontrib.zopeext"):
            try:
                importlib.import_module(needed)
            except ImportError:
                raise unittest.SkipTest(
                    f"{needed} is missing (pip install -e '.[dev]')")

    def buildAPIPage(self):
        """
        Build only the API page, with the documentation's configuration.

        @return: the HTML of the page.
        """
        source = scratchDirectory(self)
        with open(os.path.join(DOCS, "api.rst"), encoding="utf-8") as f:
            api = f.read()
        with open(os.path.join(source, "api.rst"), "w", encoding="utf-8") as f:
            f.write(api)
        with open(os.path.join(source, "index.rst"), "w", encoding="utf-8") as f:
            f.write("Index\n=====\n\n.. toctree::\n\n   api\n")
        output = os.path.join(source, "_build")
        subprocess.run(
            [sys.executable, "-m", "sphinx", "-q", "-W", "-b", "html", "-c",
             DOCS, source, output],
            check=True, env=dict(os.environ, PYTHONPATH=SOURCE),
            capture_output=True)
        with open(os.path.join(output, "api.html"), encoding="utf-8") as f:
            return f.read()

    def test_interfacesRendered(self):
        """
        Every interface of a documented module, and each of its methods and
        attributes, has an entry in the built API page.
        """
        expected = [name for module in documentedModules()
                    for name in interfacesOf(module)]
        self.assertIn("ftpkit.interfaces.shell.IFTPShell", expected)
        self.assertIn("ftpkit.interfaces.files.IRandomWriteFile.writeAt", expected)
        rendered = set(re.findall(r'\bid="([^"]+)"', self.buildAPIPage()))
        self.assertEqual([name for name in expected if name not in rendered], [])


FOREIGN_OPTIONS = frozenset(["--max-time", "--no-passive-ftp", "--no-quota",
                             "--no-quota-files", "--no-remove-listing",
                             "--read-timeout", "--tls-max"])
"""Options of other programs (curl, wget, C{python -m ftpkit.pgadmin}) the
pages name that look like C{twistd ftpkit}'s."""

MEASUREMENT_PAGES = frozenset(["benchmark.rst", "benchmark-investigations.rst"])
"""The benchmark's page and its measurements, which name the options of
the clients they ran (aria2c's C{--max-tries}...): left out of the check
of option names, as C{benchmark.rst} was before its investigations moved
to C{benchmark-investigations.rst}."""


class OptionNamesTests(unittest.TestCase):
    """
    The options the pages and the README name are C{twistd ftpkit}'s.
    """

    def test_documentedOptionsExist(self):
        """
        Every option named in the docs or the README whose first word is
        that of one of ftpkit's options (C{--on-upload-...},
        C{--max-...}, C{--tls-...}) is one of them. C{hooks.rst} named an
        C{--on-upload-concurrency} that did not exist (a usage error for
        the operator who followed it).
        """
        from ftpkit.deploy.tap import Options

        options = Options()
        known = {"--" + name for name in options.synonyms}
        firstWords = {name.split("-")[0] for name in options.synonyms
                      if "-" in name}
        pages = [os.path.join(DOCS, name) for name in os.listdir(DOCS)
                 if name.endswith(".rst") and name not in MEASUREMENT_PAGES]
        pages.append(os.path.join(SOURCE, "README.md"))
        unknown = set()
        for page in pages:
            with open(page, encoding="utf-8") as f:
                text = f.read()
            for name in re.findall(r"(?<![\w-])--([a-z][a-z0-9.]*(?:-[a-z0-9.]+)+)",
                                   text):
                name = name.rstrip(".")
                option = "--" + name
                if (name.split("-")[0] in firstWords and option not in known
                        and option not in FOREIGN_OPTIONS):
                    unknown.add((option, os.path.basename(page)))
        self.assertEqual(sorted(unknown), [])


class SystemdUnitNamesTests(unittest.TestCase):
    """
    The systemd units C{deployment.rst} tells the operator to write are
    the ones its C{systemctl} and C{journalctl} commands name.
    """

    def test_unitNames(self):
        """
        Every C{.service} and C{.socket} unit the page names is called as
        the units its commands start, reload and read: the service was
        called C{ftpkit.deploy.service} (a module rename reached the
        page), so C{systemctl enable --now ftpkit} found no unit and
        C{ftpkit.socket} activated no service.
        """
        with open(os.path.join(DOCS, "deployment.rst"), encoding="utf-8") as f:
            text = f.read()
        units = set(re.findall(r"``(?:/etc/systemd/system/)?([\w.-]+)"
                               r"\.(?:service|socket)``", text))
        commanded = set(re.findall(
            r"(?:systemctl \w+(?: --now)?|journalctl -u) ([a-z][\w-]*)", text))
        self.assertTrue(units)
        self.assertEqual(units, {"ftpkit"})
        self.assertEqual(commanded, {"ftpkit"})


def literalBlockAfter(text, heading):
    """
    @return: the lines of the first literal block (after C{::}) of the
        section of an reST page under C{heading}, unindented.
    """
    section = text[text.index(heading + "\n"):]
    lines = section.split("::\n\n", 1)[1].splitlines()
    block = []
    for line in lines:
        if line and not line.startswith(" "):
            break
        block.append(line.strip())
    return [line for line in block if line]


class QuickstartListenTests(unittest.TestCase):
    """
    The quickstart's example of repeated C{--listen}.
    """

    @defer.inlineCallbacks
    def test_listenersListenTogether(self):
        """
        The C{--listen} endpoints of the example listen together on one
        port. It was C{tcp:2121:interface=0.0.0.0} beside
        C{tcp6:2121:interface=\\:\\:}, which on Linux (IPv4 clients mapped
        into IPv6 sockets by default) failed with "Address already in use".
        """
        try:
            probe = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        except OSError:
            raise unittest.SkipTest("no IPv6")
        with probe:
            try:
                probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
                probe.bind(("::", 0))
            except OSError:
                raise unittest.SkipTest("no IPv6")
            port = probe.getsockname()[1]
        with open(os.path.join(DOCS, "quickstart.rst"), encoding="utf-8") as f:
            command = " ".join(literalBlockAfter(f.read(), "Listening"))
        listens = re.findall(r"--listen '?([^'\s]+)", command)
        self.assertEqual(len(listens), 2, command)
        for description in listens:
            description = description.replace(":2121", f":{port}", 1)
            listening = yield endpoints.serverFromString(
                reactor, description).listen(protocol.Factory())
            self.addCleanup(listening.stopListening)


class TutorialSourcesTests(unittest.TestCase):
    """
    The tutorials show the code a plugin author writes.
    """

    def test_includesOnlyExamples(self):
        """
        The tutorials include code from C{examples/} only: a plugin's
        whole tree, which an author can copy. The storage tutorial showed
        its conformance tests from C{tests/}, calling that module's
        C{_loadExample}, which an author outside the repository does not
        have.
        """
        included = []
        for name in ("writing-a-realm.rst", "writing-a-storage-backend.rst"):
            with open(os.path.join(DOCS, name), encoding="utf-8") as f:
                included.extend(re.findall(r"^\.\. literalinclude:: (\S+)",
                                           f.read(), re.MULTILINE))
        self.assertIn("../examples/test_ftpkit_sqlite.py", included)
        # The read-only kit's example: a ZipShell no file defined, so no
        # test ran it.
        self.assertIn("../examples/test_ftpkit_zip.py", included)
        self.assertIn("../examples/ftpkit_zip.py", included)
        self.assertEqual(
            [path for path in included if not path.startswith("../examples/")],
            [])

    def test_pluginModulesWhole(self):
        """
        A plugin module a tutorial includes is included whole: the storage
        tutorial showed only its class (C{:pyobject:}), not the instance
        at its end that Twisted finds, and a plugin copied from it was an
        unknown realm.
        """
        cut = []
        for name in ("writing-a-realm.rst", "writing-a-storage-backend.rst"):
            with open(os.path.join(DOCS, name), encoding="utf-8") as f:
                blocks = re.findall(
                    r"^\.\. literalinclude:: (\S+)\n((?:   :.*\n)*)",
                    f.read(), re.MULTILINE)
            cut.extend((name, path) for path, options in blocks
                       if "/twisted/plugins/" in path
                       and set(re.findall(r":(\S+):", options)) - {"language"})
        self.assertEqual(cut, [])

    def test_namedTestsInExamples(self):
        """
        Every test class the tutorials name (C{...Tests}) is defined in
        C{examples/}, the code an author outside the repository copies.
        The storage tutorial sent its reader to C{SQLiteRealmTests} "in the
        same file" as the conformance tests, a class only the repository's
        own C{tests/integration/test_examples.py} had.
        """
        defined = set()
        for directory, _, files in os.walk(os.path.join(SOURCE, "examples")):
            for name in files:
                if name.endswith(".py"):
                    with open(os.path.join(directory, name),
                              encoding="utf-8") as f:
                        defined.update(re.findall(r"^class (\w+)", f.read(),
                                                  re.MULTILINE))
        named = set()
        for name in ("writing-a-realm.rst", "writing-a-storage-backend.rst"):
            with open(os.path.join(DOCS, name), encoding="utf-8") as f:
                named.update(re.findall(r"``(\w+Tests)``", f.read()))
        self.assertIn("SQLiteServerTests", named)
        self.assertEqual(sorted(named - defined), [])


class RealmPackagingTests(unittest.TestCase):
    """
    The C{pyproject.toml} the realm tutorial gives a plugin package.
    """

    def test_installsPlugin(self):
        """
        Built with setuptools, the tutorial's C{pyproject.toml} installs
        the realm module and its plugin module under C{twisted/plugins/}
        (and no C{__init__.py} that would hide Twisted's own plugins), and
        C{twistd ftpkit --help-realms} run from there lists the realm. The
        tutorial only said to list the plugin "in C{packages}/C{py_modules}
        or as package data", and nothing of the editable install that
        hides it.
        """
        with open(os.path.join(DOCS, "writing-a-realm.rst"),
                  encoding="utf-8") as f:
            text = f.read()
        section = text[text.index("Installing it\n"):]
        block = []
        for line in section.split(".. code-block:: toml\n\n", 1)[1].splitlines():
            if line and not line.startswith("    "):
                break
            block.append(line[4:])
        project = "\n".join(block)
        self.assertIn("twisted.plugins", project)
        package = scratchDirectory(self)
        with open(os.path.join(package, "pyproject.toml"), "w",
                  encoding="utf-8") as f:
            f.write(project)
        examples = os.path.join(SOURCE, "examples")
        shutil.copy(os.path.join(examples, "ftpkit_tenants.py"), package)
        plugins = os.path.join(package, "twisted", "plugins")
        os.makedirs(plugins)
        shutil.copy(os.path.join(examples, "twisted", "plugins",
                                 "ftpkit_example_realm.py"), plugins)
        built = os.path.join(package, "build-lib")
        subprocess.run(
            [sys.executable, "-c", "from setuptools import setup; setup()",
             "-q", "build_py", "--build-lib", built],
            check=True, cwd=package, capture_output=True)
        files = sorted(
            os.path.relpath(os.path.join(directory, name), built)
            for directory, _, names in os.walk(built) for name in names)
        self.assertEqual(files, [
            "ftpkit_tenants.py",
            os.path.join("twisted", "plugins", "ftpkit_example_realm.py")])
        code, output = runPython(
            ["-c", TWISTD, "ftpkit", "--help-realms"],
            scratchDirectory(self), os.pathsep.join([built, SOURCE]))
        self.assertEqual(code, 0, output)
        self.assertIn("TENANT.USER sees ROOT/TENANT", output)


class Fail2banLogPathTests(unittest.TestCase):
    """
    The fail2ban jail reads the log file the deployment page writes.
    """

    def test_jailReadsDeploymentLog(self):
        """
        Every C{/var/log/ftpkit/} text log the logging page and the
        filter's comment have fail2ban read is the file C{deployment.rst}
        tells systemd to write (C{StandardOutput=append:PATH}). The jail
        read C{twistd.log}, a file nothing the pages show writes, so a
        jail set up after C{deployment.rst} watched nothing and banned
        nobody.
        """
        with open(os.path.join(DOCS, "deployment.rst"), encoding="utf-8") as f:
            written = set(re.findall(r"StandardOutput=append:(\S+?)``",
                                     f.read()))
        self.assertEqual(len(written), 1, written)
        read = []
        for path in (os.path.join(DOCS, "logging.rst"),
                     os.path.join(SOURCE, "contrib", "fail2ban",
                                  "ftpkit.conf")):
            with open(path, encoding="utf-8") as f:
                text = f.read()
            read.extend(re.findall(r"logpath\s*=\s*(\S+)", text))
            read.extend(re.findall(r"fail2ban-regex (\S+)", text))
        self.assertEqual(len(read), 3, read)
        self.assertEqual(set(read), written)


class SandboxLogPathsTests(unittest.TestCase):
    """
    The systemd unit's sandbox lets ftpkit write the logs the deployment
    page has it write.
    """

    def test_xferlogWritable(self):
        """
        Every file the page's C{logrotate} configuration rotates, but that
        systemd does not write itself (C{StandardOutput=append:}), is
        ftpkit's C{--xferlog}, so its directory is named in a
        C{ReadWritePaths=} the page gives: C{ProtectSystem=strict} makes
        everything else read-only, and the unit with C{--xferlog
        /var/log/ftpkit/xferlog} stopped at start ("cannot append ...:
        Read-only file system").
        """
        with open(os.path.join(DOCS, "deployment.rst"), encoding="utf-8") as f:
            text = f.read()
        byStandardOutput = set(re.findall(r"StandardOutput=append:(\S+?)``",
                                          text))
        rotated = set(re.findall(r"^    (/var/log/\S+) \{$", text, re.MULTILINE))
        self.assertIn("/var/log/ftpkit/xferlog", rotated)
        writable = set()
        for line in re.findall(r"ReadWritePaths=([^`\n]+)", text):
            writable.update(line.split())
        self.assertEqual(
            sorted(path for path in rotated - byStandardOutput
                   if os.path.dirname(path) not in writable),
            [])


class EmbeddingPageTests(unittest.TestCase):
    """
    C{docs/embedding.rst} walks through the example the test suite runs
    (C{tests/integration/test_examples.py}'s C{EmbeddedServerTests}).
    """

    def readPage(self):
        """
        @return: the text of C{docs/embedding.rst}.
        """
        with open(os.path.join(DOCS, "embedding.rst"), encoding="utf-8") as f:
            return f.read()

    def test_includesExample(self):
        """
        The page includes C{examples/embedded_server.py} itself, not a
        copy that could drift from what the tests run.
        """
        included = re.findall(r"^\.\. literalinclude:: (\S+)",
                              self.readPage(), re.MULTILINE)
        self.assertEqual(included, ["../examples/embedded_server.py"])
        self.assertTrue(os.path.isfile(os.path.join(
            DOCS, "..", "examples", "embedded_server.py")))

    def test_namesExist(self):
        """
        Every C{ftpkit.} name the page gives (a module, or a name in one)
        can be imported.
        """
        names = set(re.findall(r"\bftpkit(?:\.\w+)+", self.readPage()))
        self.assertIn("ftpkit.embedding.makeContextFactory", names)
        self.assertEqual(unimportable(names), [])


PLUGIN_PAGES = ("writing-a-realm.rst", "writing-a-storage-backend.rst",
                "hooks.rst", "virtual-users.rst", "object-storage.rst",
                "api.rst")
"""The pages a plugin author works from."""


class PluginPagesNamesTests(unittest.TestCase):
    """
    The names the plugin author's pages give can be imported.
    """

    def test_namesExist(self):
        """
        Every C{ftpkit.} name those pages give (a module, or a name in
        one) can be imported, as for C{embedding.rst}.
        """
        names = set()
        for page in PLUGIN_PAGES:
            with open(os.path.join(DOCS, page), encoding="utf-8") as f:
                names.update(re.findall(r"\bftpkit(?:\.\w+)+", f.read()))
        self.assertIn("ftpkit.testing.IFTPShellConformanceMixin", names)
        self.assertIn("ftpkit.testing.IReadOnlyShellConformanceMixin", names)
        self.assertEqual(unimportable(names), [])


def unimportable(names):
    """
    @param names: dotted names, each a module or a name in one.
    @return: those that cannot be imported, sorted.
    """
    missing = []
    for name in sorted(names):
        module, _, attribute = name.rpartition(".")
        try:
            importlib.import_module(name)
        except ImportError:
            try:
                getattr(importlib.import_module(module), attribute)
            except (ImportError, AttributeError):
                missing.append(name)
    return missing
