"""
Tests for L{ftpkit.compat.pluginimports}: Twisted's plugin loader still
reports a plugin module that fails to import through C{twisted.plugin.log}
(a failure here names what changed and means ftpkit.compat must be
updated), and the fallback holds.
"""

import io
import sys
import warnings

import twisted.plugin
from twisted.logger import (
    LogBeginner,
    Logger,
    LogLevel,
    LogPublisher,
    globalLogPublisher,
)
from twisted.plugin import getPlugins
from twisted.python import log
from twisted.python.failure import Failure
from twisted.trial import unittest

from ftpkit.compat import pluginimports
from ftpkit.interfaces import IRealmPlugin
from tests.compatchanges import changed
from tests.integration.test_pluginlookups import PluginsOnPathMixin


class PrivateNamesTests(PluginsOnPathMixin, unittest.SynchronousTestCase):
    """
    The installed Twisted's plugin loader logs through C{twisted.plugin.log}.
    """

    def test_handedOn(self):
        """
        A plugin module that fails to import is handed on, once a lookup,
        and logs nothing; C{twisted.plugin.log} is back as it was after.
        """
        self.addPlugins({"broken_plugin.py": "import no_such_x\n"})
        before = twisted.plugin.log
        handed = []
        with pluginimports.reportedPluginImports(handed.append):
            list(getPlugins(IRealmPlugin))
            list(getPlugins(IRealmPlugin))
        self.assertEqual([failure.type for failure in handed],
                         [ModuleNotFoundError] * 2,
                         changed("twisted.plugin.log"))
        self.assertEqual(self.flushLoggedErrors(), [])
        self.assertIs(twisted.plugin.log, before)

    def test_otherCallsLogged(self):
        """
        The loader's other calls (C{msg}, C{err} with a reason) go to the
        module replaced.
        """
        logged = []
        globalLogPublisher.addObserver(logged.append)
        self.addCleanup(globalLogPublisher.removeObserver, logged.append)
        with pluginimports.reportedPluginImports(self.fail):
            twisted.plugin.log.msg("cache not written")
            twisted.plugin.log.err(Failure(ValueError("x")), "writing")
        self.assertEqual(len(self.flushLoggedErrors(ValueError)), 1)
        self.assertEqual(logged[0]["message"], ("cache not written",))

    def test_takeOver(self):
        """
        L{pluginimports.takeOverPluginImports} stays in force, once.
        """
        self.patch(twisted.plugin, "log", log)
        self.addPlugins({"broken_plugin.py": "import no_such_x\n"})
        handed = []
        pluginimports.takeOverPluginImports(handed.append)
        pluginimports.takeOverPluginImports(self.fail)
        list(getPlugins(IRealmPlugin))
        self.assertEqual(len(handed), 1, changed("twisted.plugin.log"))
        self.assertEqual(self.flushLoggedErrors(), [])


class _LoggingTo:
    """
    What the loader logs through, logging a failed import to a publisher
    as C{twisted.python.log.err} does to the global one.
    """

    def __init__(self, publisher):
        """
        @param publisher: the L{LogPublisher}.
        """
        self._publisher = publisher

    def err(self):
        """
        Log the exception being handled, as C{log.err} has it.
        """
        self._publisher({"failure": Failure(), "isError": 1, "why": None,
                         "log_level": LogLevel.critical, "log_time": 0.0,
                         "log_format": "plugin import",
                         "log_namespace": "log_legacy"})


class EarlyImportsTests(PluginsOnPathMixin, unittest.SynchronousTestCase):
    """
    L{pluginimports.takeBackEarlyImports} and Twisted's log beginner.
    """

    def beginner(self):
        """
        @return: a L{LogBeginner} whose logging has not begun, holding
            the failure of a plugin module's import as the loader logs it
            (and another error).
        """
        publisher = LogPublisher()
        beginner = LogBeginner(publisher, io.StringIO(), sys, warnings)
        self.addPlugins({"broken_plugin.py": "import no_such_x\n"})
        self.patch(twisted.plugin, "log", _LoggingTo(publisher))
        list(getPlugins(IRealmPlugin))
        Logger(observer=publisher).failure("other", Failure(KeyError("k")))
        return beginner

    def test_takenBack(self):
        """
        The import's failure is handed on and not logged when logging
        begins; the other error is.
        """
        beginner = self.beginner()
        handed = []
        pluginimports.takeBackEarlyImports(handed.append, beginner)
        self.assertEqual([failure.type for failure in handed],
                         [ModuleNotFoundError], changed(
                             "globalLogBeginner._initialBuffer._buffer"))
        logged = []
        beginner.beginLoggingTo([logged.append], redirectStandardIO=False)
        self.assertEqual([event.get("log_failure", event.get("failure")).type
                          for event in logged if "log_failure" in event
                          or "failure" in event], [KeyError])

    def test_begun(self):
        """
        Once logging began, nothing is taken back.
        """
        beginner = self.beginner()
        beginner.beginLoggingTo([lambda event: None],
                                redirectStandardIO=False)
        pluginimports.takeBackEarlyImports(self.fail, beginner)


class FallbackTests(unittest.SynchronousTestCase):
    """
    A loader that logs otherwise (no C{log} with C{err}).
    """

    def test_observed(self):
        """
        The failures it logs are still handed on; the take-over changes
        nothing.
        """
        self.patch(twisted.plugin, "log", None)
        pluginimports.takeOverPluginImports(self.fail)
        self.assertIsNone(twisted.plugin.log)
        handed = []
        failure = Failure(ModuleNotFoundError("No module named 'x'"))
        with pluginimports.reportedPluginImports(handed.append):
            Logger(namespace="twisted.plugin").failure("import", failure)
        self.assertEqual(handed, [failure])
        self.assertEqual(len(self.flushLoggedErrors(ModuleNotFoundError)), 1)
