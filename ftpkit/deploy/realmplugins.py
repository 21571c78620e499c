"""
The installed realm plugins (L{ftpkit.interfaces.IRealmPlugin}): all of
them (L{realmPlugins}, which C{--help-realms} lists), the one a
C{--realm} or C{--vhost} value names (L{findRealm}), the realm it makes
(L{buildRealm}), and why a plugin module that failed to import did
(L{describeImportFailure}).
"""

import os

from twisted.logger import globalLogPublisher
from twisted.python import usage

from ftpkit.interfaces import IRealmPlugin


def realmPlugins(failedImports=None):
    """
    @param failedImports: a C{list} to which the plugin modules that failed
        to import are added (L{describeImportFailure}), or C{None}.
    @return: a C{dict} mapping each installed realm name to its
        L{IRealmPlugin}.
    """
    from twisted.plugin import getPlugins

    import twisted.plugins

    def observe(event):
        # Twisted's plugin loader logs with the legacy log.err().
        failure = event.get("log_failure", event.get("failure"))
        if failure is not None and failedImports is not None:
            failedImports.append(describeImportFailure(failure))

    globalLogPublisher.addObserver(observe)
    try:
        return {p.name: p for p in getPlugins(IRealmPlugin, twisted.plugins)}
    finally:
        globalLogPublisher.removeObserver(observe)


def describeImportFailure(failure):
    """
    @param failure: the L{Failure} of a plugin module's import, as Twisted
        logs it.
    @return: the module's file name and the error, as text.
    """
    where = os.path.basename(failure.frames[-1][1]) if failure.frames else "?"
    return f"{where} ({failure.type.__name__}: {failure.getErrorMessage()})"


def findRealm(spec, option="--realm"):
    """
    Look up the realm named by a C{--realm NAME[:ARGS]} value.

    @param spec: C{"NAME"} or C{"NAME:ARGS"}.
    @param option: the option that gave it, for the error message.
    @return: C{(plugin, argument)}, C{argument} being C{""} when absent.
    @raise usage.UsageError: when no installed realm has that name.
    """
    name, _, argument = spec.partition(":")
    failedImports = []
    plugins = realmPlugins(failedImports)
    if name not in plugins:
        known = ", ".join(sorted(plugins)) or "none"
        failed = ""
        if failedImports:
            failed = ("; plugin modules that failed to import: "
                      + ", ".join(failedImports))
        raise usage.UsageError(
            f"{option}: unknown realm {name!r} (installed: {known}{failed})"
        )
    return plugins[name], argument


def buildRealm(plugin, argument, options, option):
    """
    Make a plugin's realm, its refusal of the argument being a usage error.

    @param plugin: the L{IRealmPlugin}.
    @param argument: the text after C{NAME:}.
    @param options: the parsed server options given to C{makeRealm}.
    @param option: how the command line named it (C{"--realm"},
        C{"--vhost NAME"}), for the error message.
    @return: the realm.
    @raise usage.UsageError: when C{makeRealm} raised C{ValueError}, or an
        C{OSError} (a file its argument names that cannot be read): one
        line naming the option, not an error of standard output's; or
        when what it gave has no C{requestAvatar} (C{None}, say: the
        server would start, and answer every login with a traceback).
    """
    try:
        realm = plugin.makeRealm(argument, options)
    except (ValueError, OSError) as e:
        raise usage.UsageError(f"{option}: {e}")
    if not callable(getattr(realm, "requestAvatar", None)):
        raise usage.UsageError(
            f"{option}: the realm plugin {plugin.name!r} gave {realm!r},"
            f" not a realm (no requestAvatar)")
    return realm
