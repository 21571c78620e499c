"""
How Twisted's plugin loader reports a plugin module that fails to
import, taken over so that ftpkit says it in one line.

C{twisted.plugin.getPlugins} imports every module of every
C{twisted/plugins/} directory whose C{dropin.cache} entry is stale, and
one that fails to import is never cached, so each lookup tries it again
and logs its traceback again with C{twisted.python.log.err()}: five
tracebacks at one start of C{twistd ftpkit} (Twisted's lookup of its
subcommands, two of C{--auth}'s checkers, the realms, the observers),
before ftpkit's one line naming the module.

The name this module reads:

    - C{twisted.plugin.log}: the module the loader logs through
      (C{twisted.python.log}), replaced while L{reportedPluginImports} is
      in force by one whose C{err()} without arguments (the loader's
      call, in its C{except} clause) hands the failure to ftpkit instead.
      Fallback: the loader logs the traceback, as Twisted has it, and the
      failure is still handed on (an observer of the global log publisher
      sees it).
    - C{twisted.logger.globalLogBeginner._initialBuffer._buffer} and
      C{._temporaryObserver}: the events logged before logging began,
      which C{beginLoggingTo} logs again, and whether it began. The
      failures of C{twistd}'s own lookup, before ftpkit's code runs, are
      taken out of it (L{takeBackEarlyImports}). Fallback: they stay, and
      the log has their tracebacks, as Twisted has it.
"""

from collections import deque
from contextlib import contextmanager

from twisted.logger import globalLogPublisher
from twisted.python.failure import Failure


class _HandingOn:
    """
    What C{twisted.plugin} logs through while L{reportedPluginImports} is
    in force: the module it replaced, but for a failed import.

    @ivar _log: the module replaced.
    @ivar _handle: given each failure, in place of logging it.
    """

    def __init__(self, log, handle):
        """
        @param log: the module replaced (C{twisted.python.log}, or an
            outer L{_HandingOn}).
        @param handle: a callable taking the L{Failure} of a plugin
            module's import.
        """
        self._log = log
        self._handle = handle

    def err(self, _stuff=None, _why=None, **kw):
        """
        Hand on the exception being handled, when called as the loader
        calls it for a module that failed to import (no arguments); log
        anything else as the module replaced would.

        @param _stuff: see L{twisted.python.log.err}.
        @param _why: see L{twisted.python.log.err}.
        @param kw: see L{twisted.python.log.err}.
        @return: C{None}.
        """
        if _stuff is None and _why is None and not kw:
            self._handle(Failure())
        else:
            self._log.err(_stuff, _why, **kw)

    def __getattr__(self, name):
        """
        @param name: any other name of the module replaced (C{msg}...).
        @return: that module's.
        """
        return getattr(self._log, name)


@contextmanager
def reportedPluginImports(handle):
    """
    While in force, each plugin module that fails to import in a lookup
    (C{twisted.plugin.getPlugins}) is handed to C{handle}, once per
    lookup, rather than logged with its traceback. Nested, the innermost
    one gets them.

    @param handle: a callable taking the L{Failure} of the import.
    @return: a context manager.
    """
    import twisted.plugin as loader

    replaced = getattr(loader, "log", None)
    if not callable(getattr(replaced, "err", None)):
        yield from _observed(handle)
        return
    loader.log = _HandingOn(replaced, handle)
    try:
        yield
    finally:
        loader.log = replaced


def _observed(handle):
    """
    The fallback of L{reportedPluginImports}: the loader logs as it
    does, and an observer hands each failure on.

    @param handle: a callable taking the L{Failure} of the import.
    @return: a generator yielding once, the observer in place.
    """

    def observe(event):
        failure = event.get("log_failure", event.get("failure"))
        if failure is not None:
            handle(failure)

    globalLogPublisher.addObserver(observe)
    try:
        yield
    finally:
        globalLogPublisher.removeObserver(observe)


def takeOverPluginImports(handle):
    """
    Put L{reportedPluginImports} in force for the rest of the process:
    for C{python -m ftpkit} and C{twistd ftpkit}, whose process is the
    server's. Once is enough: a second call changes nothing.

    @param handle: a callable taking the L{Failure} of the import.
    """
    import twisted.plugin as loader

    replaced = getattr(loader, "log", None)
    if callable(getattr(replaced, "err", None)) and not isinstance(
            replaced, _HandingOn):
        loader.log = _HandingOn(replaced, handle)


def _fromLoader(failure):
    """
    @param failure: a L{Failure} that was logged.
    @return: whether it is of a plugin module's import, caught by the
        loader (C{twisted.plugin.getCache}, its outermost frame).
    """
    import twisted.plugin as loader

    code = getattr(loader.getCache, "__code__", None)
    return bool(failure.frames) and code is not None and tuple(
        failure.frames[0][:2]) == (code.co_name, code.co_filename)


def takeBackEarlyImports(handle, beginner=None):
    """
    Hand on the plugin modules that failed to import before logging
    began, rather than have Twisted log their tracebacks once it begins:
    C{twistd} imports every plugin module to find its subcommands before
    any of ftpkit's code runs, and keeps what that logs until its log
    starts (it printed them on standard error already).

    @param handle: a callable taking the L{Failure} of each import.
    @param beginner: the L{twisted.logger.LogBeginner} holding them
        (C{globalLogBeginner} when omitted).
    """
    if beginner is None:
        from twisted.logger import globalLogBeginner as beginner
    if getattr(beginner, "_temporaryObserver", None) is None:
        return
    buffered = getattr(getattr(beginner, "_initialBuffer", None), "_buffer",
                       None)
    if not isinstance(buffered, deque):
        return
    taken, kept = [], []
    for event in buffered:
        # twisted.python.log.err's events carry it as "failure".
        failure = event.get("log_failure", event.get("failure"))
        if isinstance(failure, Failure) and _fromLoader(failure):
            taken.append(failure)
        else:
            kept.append(event)
    buffered.clear()
    buffered.extend(kept)
    # Handled once out of the buffer: what handle logs goes into it.
    for failure in taken:
        handle(failure)
