"""
Tests for L{ftpkit.deploy.pluginlookups} and the realm plugins
L{ftpkit.deploy.realmplugins} skips: a plugin module that fails to
import, or a realm plugin without a name or C{makeRealm}, is one line
naming it, never a traceback (Twisted's loader logged one at every
lookup: five at one start; a plugin without a name ended every start of
ftpkit, whatever realm was asked for, with an C{AttributeError}).
"""

import io
import os
import socket
import sys

from twisted.logger import globalLogPublisher
from twisted.python import usage
from twisted.trial import unittest

from ftpkit.deploy.realmplugins import findRealm, realmPlugins
from ftpkit.deploy.tap import Options
from ftpkit.ops.observers import findObservers
from tests.scratch import scratchDirectory
from tests.twistdrun import SOURCE, TWISTD, runPython

_NAMELESS = """
from twisted.plugin import IPlugin
from zope.interface import implementer
from ftpkit.interfaces import IRealmPlugin

@implementer(IPlugin, IRealmPlugin)
class Nameless:
    nmae = "nameless"

    def makeRealm(self, argument, options):
        return None

nameless = Nameless()
"""
"""A realm plugin module whose plugin misspelt its C{name}."""


def pluginsDirectory(testCase, modules):
    """
    Make a C{twisted/plugins/} directory holding C{modules}.

    @param testCase: the running test.
    @param modules: a C{dict} of file names to their text.
    @return: the directory above C{twisted/}, for C{sys.path}.
    """
    top = scratchDirectory(testCase)
    plugins = os.path.join(top, "twisted", "plugins")
    os.makedirs(plugins)
    for name, text in modules.items():
        with open(os.path.join(plugins, name), "w") as f:
            f.write(text)
    return top


class PluginsOnPathMixin:
    """
    Plugin modules of a test's own, found by Twisted's plugin lookups.
    """

    def addPlugins(self, modules):
        """
        Put a C{twisted/plugins/} directory holding C{modules} on
        C{twisted.plugins.__path__} for this test.

        @param modules: a C{dict} of file names to their text.
        @return: that C{twisted/plugins/} directory.
        """
        import twisted.plugins

        plugins = os.path.join(pluginsDirectory(self, modules), "twisted",
                               "plugins")
        self.patch(twisted.plugins, "__path__",
                   list(twisted.plugins.__path__) + [plugins])
        for name in modules:
            # Imported, it would stay the module of that name, here.
            self.addCleanup(sys.modules.pop, f"twisted.plugins.{name[:-3]}",
                            None)
        return plugins

    def warnings(self):
        """
        @return: a C{list} gathering the text of each C{ftpkit} warning
            logged from now on in this test.
        """
        said = []

        def observe(event):
            if event.get("log_namespace") == "ftpkit" and "text" in event:
                said.append(event["text"])

        globalLogPublisher.addObserver(observe)
        self.addCleanup(globalLogPublisher.removeObserver, observe)
        return said


class FailedImportTests(PluginsOnPathMixin, unittest.TestCase):
    """
    A plugin module that fails to import is said in one warning line
    naming it, and logs no traceback.
    """

    def test_oneLine(self):
        """
        The error of a lookup, said once however many lookups find it,
        naming the module's path.
        """
        plugins = self.addPlugins({"broken_plugin.py": "import no_such_x\n"})
        said = self.warnings()
        failed = []
        self.assertIn("memory", realmPlugins(failed))
        realmPlugins()
        self.assertEqual(self.flushLoggedErrors(), [])
        where = os.path.join(plugins, "broken_plugin.py")
        self.assertEqual(failed, [f"{where} (ModuleNotFoundError: No module "
                                  "named 'no_such_x')"])
        self.assertEqual(said, ["plugin module skipped, it failed to import: "
                                + failed[0]])

    def test_namesPluginModule(self):
        """
        An error raised in a module the plugin module imports names the
        plugin module; a C{SyntaxError} of the module itself, the module.
        """
        top = scratchDirectory(self)
        with open(os.path.join(top, "helper_for_x.py"), "w") as f:
            f.write("raise RuntimeError('helper broke')\n")
        self.patch(sys, "path", [top, *sys.path])
        plugins = self.addPlugins({
            "uses_helper_plugin.py": "import helper_for_x\n",
            "syntax_plugin.py": "def (:\n"})
        failed = []
        realmPlugins(failed)
        self.assertEqual(self.flushLoggedErrors(), [])
        self.assertEqual(sorted(text.partition(" (")[::2] for text in failed), [
            (os.path.join(plugins, "syntax_plugin.py"),
             "SyntaxError: invalid syntax (syntax_plugin.py, line 1))"),
            (os.path.join(plugins, "uses_helper_plugin.py"),
             "RuntimeError: helper broke)")])


class UnusableRealmPluginTests(PluginsOnPathMixin, unittest.TestCase):
    """
    A realm plugin without a name, or without C{makeRealm}, is skipped and
    said in one line: the other realms still start.
    """

    def test_nameless(self):
        """
        Another realm starts; an unknown one names the skipped plugin.
        """
        plugins = self.addPlugins({"nameless_plugin.py": _NAMELESS})
        said = self.warnings()
        options = Options()
        options.parseOptions(["--realm", "memory"])
        where = os.path.join(plugins, "nameless_plugin.py")
        self.assertEqual(said, [f"realm plugin skipped: {where} (Nameless has "
                                "no name)"])
        error = self.assertRaises(usage.UsageError, findRealm, "nameless")
        self.assertIn(f"; unusable realm plugins: {where} (Nameless has no "
                      "name))", str(error))

    def test_noMakeRealm(self):
        """
        A plugin with a name but no C{makeRealm} is not listed.
        """
        self.addPlugins({"nomake_plugin.py": _NAMELESS.replace(
            "nmae", "name").replace("def makeRealm", "def makerealm")})
        unusable = []
        self.assertNotIn("nameless", realmPlugins(unusable=unusable))
        self.assertEqual(len(unusable), 1)
        self.assertIn("(Nameless has no makeRealm)", unusable[0])

    def test_noMakeRealmNamed(self):
        """
        C{--realm} naming a plugin without C{makeRealm} says it is
        installed but unusable, and why (it said C{unknown realm}).
        """
        plugins = self.addPlugins({"nomake_plugin.py": _NAMELESS.replace(
            "nmae", "name").replace("def makeRealm", "def makerealm")})
        error = self.assertRaises(usage.UsageError, findRealm, "nameless:x")
        where = os.path.join(plugins, "nomake_plugin.py")
        self.assertEqual(str(error), "--realm: the realm plugin 'nameless' "
                         f"is installed but unusable: {where} (Nameless "
                         "has no makeRealm)")

    def test_forgottenInstance(self):
        """
        C{--realm} naming the plugin class of a module that has no
        instance of it says so, and what to add (it said C{unknown realm}
        and no more); another name does not.
        """
        plugins = self.addPlugins({"forgot_plugin.py": _NAMELESS.replace(
            'nmae = "nameless"', 'name = "forgot"').replace(
            "nameless = Nameless()", "")})
        error = self.assertRaises(usage.UsageError, findRealm, "forgot",
                                  "--vhost")
        where = os.path.join(plugins, "forgot_plugin.py")
        self.assertEqual(str(error), "--vhost: unknown realm 'forgot': "
                         f"{where} (Nameless is a class, and the module has "
                         "no instance of it: add 'nameless = Nameless()' "
                         "to it)")
        error = self.assertRaises(usage.UsageError, findRealm, "other")
        self.assertNotIn("Nameless", str(error))

    def test_sameName(self):
        """
        Two realm plugins with one name are both skipped (whichever was
        found last had the name, without a word: a plugin named
        C{memory} silently replaced the built-in one), and a C{--realm}
        of that name is a usage error naming both.
        """
        plugins = self.addPlugins({"mine_plugin.py": _NAMELESS.replace(
            'nmae = "nameless"', 'name = "memory"')})
        said = self.warnings()
        unusable = []
        found = realmPlugins(unusable=unusable)
        self.assertNotIn("memory", found)
        self.assertIn("filesystem", found)
        where = os.path.join(plugins, "mine_plugin.py")
        self.assertEqual(len(unusable), 1)
        self.assertTrue(unusable[0].startswith(
            "'memory' names more than one realm plugin: "), unusable)
        self.assertIn("ftpkit_plugin.py (MemoryRealmPlugin)", unusable[0])
        self.assertIn(f"{where} (Nameless)", unusable[0])
        self.assertEqual(said, ["realm plugin skipped: " + unusable[0]])
        error = self.assertRaises(usage.UsageError, findRealm, "memory:1M")
        self.assertEqual(str(error), f"--realm: {unusable[0]} (rename one)")

    def test_classPlugin(self):
        """
        A class providing the interface itself is named as the class.
        """
        plugins = self.addPlugins({"classy_plugin.py": (
            "from twisted.plugin import IPlugin\n"
            "from zope.interface import provider\n"
            "from ftpkit.interfaces import IRealmPlugin\n"
            "@provider(IPlugin, IRealmPlugin)\n"
            "class Classy:\n"
            "    pass\n")})
        unusable = []
        realmPlugins(unusable=unusable)
        self.assertEqual(unusable, [
            f"{os.path.join(plugins, 'classy_plugin.py')} (Classy has no name)"])

    def test_helpRealms(self):
        """
        C{--help-realms} says where realm plugins are found, and lists the
        modules skipped.
        """
        plugins = self.addPlugins({"nameless_plugin.py": _NAMELESS,
                                   "broken_plugin.py": "import no_such_x\n"})
        options = Options()
        options.realmOutput = io.StringIO()
        self.assertRaises(SystemExit, options.parseOptions, ["--help-realms"])
        lines = options.realmOutput.getvalue().splitlines()
        self.assertIn("twisted/plugins/ directory on sys.path", lines[-3])
        self.assertEqual(lines[-2:], [
            "Skipped, failed to import: "
            f"{os.path.join(plugins, 'broken_plugin.py')} "
            "(ModuleNotFoundError: No module named 'no_such_x')",
            "Skipped, unusable: "
            f"{os.path.join(plugins, 'nameless_plugin.py')} (Nameless has no "
            "name)"])
        self.assertEqual(self.flushLoggedErrors(), [])


class CommandLineTests(unittest.TestCase):
    """
    C{python -m ftpkit} and C{twistd ftpkit} with a broken plugin module
    on the path.
    """

    def runBroken(self, *args):
        """
        Run Python with a broken plugin module on the path.

        @param args: the arguments after C{python}.
        @return: C{(exitCode, output)}.
        """
        top = pluginsDirectory(self, {"broken_plugin.py": "import no_such_x\n"})
        return runPython(list(args), scratchDirectory(self),
                         os.pathsep.join([SOURCE, top]))

    def test_module(self):
        """
        C{python -m ftpkit}: no traceback, and the usage error names the
        module (there were four tracebacks before it).
        """
        code, output = self.runBroken("-m", "ftpkit", "--realm", "nosuch")
        self.assertEqual(code, 1, output)
        self.assertNotIn("Traceback", output)
        self.assertEqual(len(output.splitlines()), 1, output)
        self.assertIn("broken_plugin.py (ModuleNotFoundError: No module "
                      "named 'no_such_x')", output)

    def test_twistd(self):
        """
        C{twistd ftpkit}: the one traceback of twistd's own lookup (before
        ftpkit's code runs), where there were four.
        """
        code, output = self.runBroken("-c", TWISTD, "ftpkit", "--realm", "nosuch")
        self.assertEqual(code, 1, output)
        self.assertEqual(output.count("Traceback (most recent call last)"), 1,
                         output)
        self.assertIn("broken_plugin.py (ModuleNotFoundError: No module "
                      "named 'no_such_x')", output.splitlines()[-1])


    def test_twistdLog(self):
        """
        C{twistd ftpkit} whose log starts: the traceback twistd's own
        lookup printed on standard error is not logged again when the log
        starts (there were two), the log says it in one line. (The start
        then ends: the port it is given is taken.)
        """
        taken = socket.socket()
        self.addCleanup(taken.close)
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        code, output = self.runBroken(
            "-c", TWISTD, "-n", "--pidfile=", "ftpkit", "--realm", "memory",
            "--listen", "tcp:%d:interface=127.0.0.1" % taken.getsockname()[1])
        self.assertEqual(code, 1, output)
        self.assertEqual(output.count("Traceback (most recent call last)"), 1,
                         output)
        self.assertIn("plugin module skipped, it failed to import: ", output)
        self.assertIn("broken_plugin.py (ModuleNotFoundError: No module "
                      "named 'no_such_x')", output)


class ObserverPluginTests(PluginsOnPathMixin, unittest.TestCase):
    """
    L{findObservers} skips an observer plugin it cannot use, in one line.
    """

    def test_noMakeObserver(self):
        """
        A plugin without C{makeObserver} (misspelt) is skipped, where it
        ended the start with an C{AttributeError}; a module that fails to
        import logs no traceback.
        """
        plugins = self.addPlugins({
            "notify_plugin.py": (
                "from twisted.plugin import IPlugin\n"
                "from zope.interface import provider\n"
                "from ftpkit.interfaces import IFTPEventObserverPlugin\n"
                "@provider(IPlugin, IFTPEventObserverPlugin)\n"
                "class Notify:\n"
                "    @staticmethod\n"
                "    def makeobserver(options):\n"
                "        return None\n"),
            "broken_plugin.py": "import no_such_x\n"})
        said = self.warnings()
        self.assertEqual(findObservers({}), [])
        self.assertEqual(self.flushLoggedErrors(), [])
        where = os.path.join(plugins, "notify_plugin.py")
        self.assertIn(f"observer plugin skipped: {where} (Notify has no "
                      "makeObserver)", said)


class MisspeltRealmTests(unittest.TestCase):
    """
    A C{--realm} that names no realm, but nearly one, says which.
    """

    def test_closeName(self):
        """
        A misspelt or miscapitalised name gets the installed one it
        resembles; another name none.
        """
        for given, meant in [("memroy", "memory"), ("Filesystem", "filesystem"),
                             ("USERS:/x", "users")]:
            error = self.assertRaises(usage.UsageError, findRealm, given)
            self.assertTrue(str(error).endswith(f"; did you mean {meant!r}?"),
                            str(error))
        error = self.assertRaises(usage.UsageError, findRealm, "zzzz")
        self.assertNotIn("did you mean", str(error))
