"""
The start-up work of every ftpkit process (L{StartupWork}, which
L{ftpkit.deploy.service.makeService} puts first in each service): set
the file-creation mask, raise the descriptor limit and import what a
session needs while still privileged, then have the reactor make log
contexts only when used and freeze start-up objects; have the records
of paramiko, botocore and the like logged by the server
(L{ftpkit.ops.librarylogs}).
"""

import gc
import importlib
import os
import resource
import warnings

from twisted.application import service
from twisted.logger import Logger

from ftpkit.compat.dispatch import dispatchLazily
from ftpkit.compat.reactortimeout import timeoutLeanly
from ftpkit.ops.librarylogs import bridgeLibraryLogs

_log = Logger(namespace="ftpkit.deploy.service")

SESSION_MODULES = (
    "ftpkit.shells.filesystem",
    "ftpkit.shells.memory",
    "ftpkit.shells.wrappers",
    "ftpkit.shells.permissions",
    "grp",
    "pwd",
)
"""
Modules a session may import on first use, imported at start instead:
after C{--uid}/C{--gid} the interpreter may no longer be able to read them
(a broken install must fail at start, not at the first login).
"""

OPTIONAL_SESSION_MODULES = (
    "spwd",
    "crypt",
)
"""
Modules a session may import on first use where they exist (C{--auth
unix} reads shadow passwords through them; newer Pythons have neither).
"""


def preloadSessionModules(names=SESSION_MODULES,
                          optional=OPTIONAL_SESSION_MODULES):
    """
    Import every module of C{names}, and those of C{optional} that exist.

    @param names: module names.
    @param optional: names of modules that may be missing.
    @raise ImportError: when one of C{names} cannot be imported.
    """
    for name in names:
        importlib.import_module(name)
    for name in optional:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                importlib.import_module(name)
        except ImportError:
            pass


def raiseDescriptorLimit(getrlimit=resource.getrlimit,
                         setrlimit=resource.setrlimit):
    """
    Raise the soft limit on open descriptors to the hard limit, so that
    the server is not out of descriptors at a thousand sessions while the
    system allows more.

    @param getrlimit: L{resource.getrlimit}.
    @param setrlimit: L{resource.setrlimit}.
    @return: the soft limit now in force.
    """
    soft, hard = getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft == hard:
        return soft
    try:
        setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ValueError, OSError) as e:
        _log.warn("could not raise the descriptor limit from {soft} to "
                  "{hard}: {error}", soft=soft, hard=hard,
                  error=str(e))
        return soft
    return hard


def freezeStartupObjects():
    """
    Take every object made so far (modules, options, the factory) out of
    the garbage collector's sight with C{gc.freeze}: they live as long as
    the process, and a full collection then no longer walks through
    them (one such collection on a fresh server fell within its first
    thousand logins).
    """
    gc.freeze()


class StartupWork(service.Service):
    """
    What every ftpkit process does at start: set the file-creation mask
    (C{--umask}), raise the descriptor limit and import what a session
    needs while still privileged (before C{twistd} switches to C{--uid}),
    then freeze start-up objects.

    @ivar umask: the mask to set, or C{None} to keep the process's.
    @ivar reactor: the reactor the process runs, or C{None} for the
        global one.
    """

    def __init__(self, umask=None, reactor=None):
        """
        @param umask: the file-creation mask to set at start, or C{None}.
        @param reactor: the reactor the process runs (the global one when
            C{None}).
        """
        self.umask = umask
        self.reactor = reactor

    def privilegedStartService(self):
        """
        Set the mask (after C{twistd} set its own: 077 when it
        daemonizes); raise the descriptor limit; import the session
        modules; have the records of the libraries realms work through
        logged by the server (L{bridgeLibraryLogs}), not written to
        standard error.
        """
        service.Service.privilegedStartService(self)
        if self.umask is not None:
            os.umask(self.umask)
        raiseDescriptorLimit()
        preloadSessionModules()
        bridgeLibraryLogs(reactor=self.reactor)

    def startService(self):
        """
        Have the reactor handle ready descriptors without a log context
        made for each (L{ftpkit.compat.dispatch}) and work out how long
        each poll may wait without C{min} and C{max}
        (L{ftpkit.compat.reactortimeout}); freeze what start-up made.
        """
        service.Service.startService(self)
        reactor = self.reactor
        if reactor is None:
            from twisted.internet import reactor
        dispatchLazily(reactor)
        timeoutLeanly(reactor)
        freezeStartupObjects()
