"""
Plugin lookups that say in one line which plugin module ftpkit skipped
and why (L{pluginLookups}, L{takeOverPluginLookups}), where Twisted's
loader logged a traceback at every lookup (L{ftpkit.compat.pluginimports}).

L{uninstantiated} finds the plugin classes whose module holds no instance
of them (Twisted finds objects, not classes), for the usage error of a
C{--realm} naming one.

Each plugin module skipped is said once per process, as a warning in the
log (L{sayOnce}); a C{--realm} that names no installed realm also names
them in its usage error (L{ftpkit.deploy.realmplugins.findRealm}).
"""

import importlib
import os
import sys
from contextlib import contextmanager

from twisted.logger import Logger

from ftpkit.compat.pluginimports import (
    reportedPluginImports,
    takeBackEarlyImports,
    takeOverPluginImports,
)

_log = Logger(namespace="ftpkit")

_said = set()
"""The lines L{sayOnce} logged in this process."""


def pluginModuleOf(failure):
    """
    @param failure: the L{Failure} of a plugin module's import, as
        Twisted's loader caught it.
    @return: the path of the plugin module (the one in a
        C{twisted/plugins/} directory whose import failed, even where the
        error was raised in a module it imports); failing that, the file
        the error was raised in, or C{"?"}.
    """
    # A SyntaxError of the module itself has no frame of it: its filename.
    paths = [frame[1] for frame in failure.frames]
    paths.append(getattr(failure.value, "filename", None) or "")
    for path in paths:
        folder, parent = os.path.split(os.path.dirname(path))
        if parent == "plugins" and os.path.basename(folder) == "twisted":
            return path
    return paths[-2] if len(paths) > 1 else "?"


def describeImportFailure(failure):
    """
    @param failure: the L{Failure} of a plugin module's import, as Twisted
        logs it.
    @return: the module's path and the error, as text.
    """
    return (f"{pluginModuleOf(failure)} ({failure.type.__name__}: "
            f"{failure.getErrorMessage()})")


def describePlugin(plugin):
    """
    @param plugin: a plugin: an instance, or a class providing its
        interface itself.
    @return: the path of its module, and its class's name (or its own).
    """
    what = getattr(plugin, "__name__", type(plugin).__name__)
    module = getattr(plugin, "__module__", None) or "?"
    where = getattr(sys.modules.get(module), "__file__", None) or module
    return f"{where} ({what})"


def sayOnce(text):
    """
    Log a warning line, unless this process logged it already (each lookup
    of plugins finds a broken plugin module again).

    @param text: the line.
    """
    if text not in _said:
        _said.add(text)
        _log.warn("{text}", text=text)


def reportImportFailure(failure, skipped=None):
    """
    Say that a plugin module was skipped, as it failed to import.

    @param failure: the L{Failure} of its import.
    @param skipped: a C{list} the module's description
        (L{describeImportFailure}) is added to, or C{None}.
    """
    text = describeImportFailure(failure)
    if skipped is not None:
        skipped.append(text)
    sayOnce(f"plugin module skipped, it failed to import: {text}")


@contextmanager
def pluginLookups(skipped=None):
    """
    Look plugins up (C{twisted.plugin.getPlugins}, iterated inside), each
    plugin module that fails to import said in one line
    (L{reportImportFailure}), not logged with its traceback.

    @param skipped: a C{list} to which the description of each such module
        is added, or C{None}.
    @return: a context manager.
    """
    with reportedPluginImports(
            lambda failure: reportImportFailure(failure, skipped)):
        yield


def takeOverPluginLookups():
    """
    Have every plugin lookup of this process, Twisted's own (the
    subcommands of C{twistd}, the checkers of C{--auth}) too, say a plugin
    module that fails to import in one line: for C{python -m ftpkit} and
    C{twistd ftpkit}, whose process is the server's. Those that failed
    in C{twistd}'s own lookup, before ftpkit's code ran, are said so too,
    rather than logged again with their tracebacks once the log starts
    (L{takeBackEarlyImports}).
    """
    takeOverPluginImports(reportImportFailure)
    takeBackEarlyImports(reportImportFailure)


def uninstantiated(interface):
    """
    @param interface: a plugin interface (L{ftpkit.interfaces.IRealmPlugin}).
    @return: the classes of the plugin modules (in C{twisted/plugins/}
        directories) that implement C{interface} (C{@implementer}) with no
        instance of them in their module: a module that forgot the line
        making its plugin, whose plugin Twisted does not find. A module
        holding no plugin at all is imported for this (Twisted imported it
        when it made its plugin cache); one holding plugins is looked at
        if it is imported already.
    """
    from twisted.plugin import getCache

    import twisted.plugins

    found = []
    with pluginLookups():
        dropins = list(getCache(twisted.plugins).values())
    for dropin in dropins:
        module = sys.modules.get(dropin.moduleName)
        if module is None and not dropin.plugins:
            try:
                module = importlib.import_module(dropin.moduleName)
            except Exception:
                # Said in one line by the lookups already.
                continue
        values = list(vars(module).values()) if module is not None else []
        found.extend(
            value for value in values
            if isinstance(value, type) and value.__module__ == module.__name__
            and interface.implementedBy(value)
            and not any(isinstance(other, value) for other in values))
    return found
