"""
The C{epoll} reactor's handling of ready descriptors, with the log
context of each event made only when something logs through it.

Twisted's C{EPollReactor.doPoll} hands every ready descriptor to its
C{_doReadOrWrite} through C{twisted.python.log.callWithLogger}, which
asks the descriptor for its C{logPrefix}, copies the log context and
pushes it on the thread's context stack: eight Python-level calls and two
dicts for every read of every command, whether or not anything is logged
(only the legacy C{log.msg} and C{log.err} read that context, for the
C{system} of their lines). L{dispatchLazily} pushes instead one
L{EventContext} that works that context out the first time it is asked
for, so that a line logged while handling the event names the same
C{system} as before.

It also never waits for I/O while the reactor's C{threadCallQueue} holds
calls. Twisted's C{timeout()} counts timed calls only, and
L{ftpkit.compat.afterThisTurn} queues there without waking the reactor:
queued from a timed call (a passive listener closed by the listener pool's
purge, a session closed by its idle timeout), the call would wait for the
next event, however long an idle server had none; a socket closed that
way kept its descriptor number, taken by C{/dev/null}
(L{ftpkit.data.descriptors}), until then.

While it hands out the events of one poll, it keeps how many are left
(L{LazyDispatch.left}, read through L{eventsLeft}): a download's
lingering close (L{ftpkit.data.linger}) does not wait in place while the
reactor has those to handle.

Private names read (each checked, with Twisted's own C{doPoll} kept when
one is missing):

    - C{EPollReactor._poller}, C{_selectables} and C{_doReadOrWrite}:
      what C{doPoll} itself uses;
    - C{ReactorBase.threadCallQueue}: polled without waiting while it
      holds calls;
    - C{twisted.python.context.theContextTracker}: its C{currentContext()}
      (a C{ContextTracker}) and that tracker's C{contexts} list, the stack
      C{callWithContext} pushes on and C{getContext} reads.
"""

import errno
from threading import get_ident

from twisted.internet import epollreactor
from twisted.python import context, log


class EventContext(dict):
    """
    What C{log.callWithLogger(selectable, ...)} would push on the context
    stack (C{{ILogContext: the context below, with C{system} set to the
    selectable's C{logPrefix()}}}), worked out on the first lookup of
    L{log.ILogContext}; any other key is looked up below it, as in an
    empty context.

    @ivar selectable: the descriptor being handled.
    @ivar stack: the context stack it is pushed on.
    @ivar depth: how many contexts lie below it on that stack.
    """

    __slots__ = ("selectable", "stack", "depth")

    def __missing__(self, key):
        """
        @param key: a context key.
        @return: for L{log.ILogContext}, the log context of the event.
        @raise KeyError: for any other key.
        """
        if key is not log.ILogContext:
            raise KeyError(key)
        below = {}
        stack = self.stack
        for index in range(self.depth - 1, -1, -1):
            try:
                below = stack[index][key]
                break
            except KeyError:
                pass
        value = self[key] = dict(below)
        try:
            value["system"] = self.selectable.logPrefix()
        except KeyboardInterrupt:
            raise
        except BaseException:
            value["system"] = "(buggy logPrefix method)"
            log.err(system=value["system"])
        return value


def _contextStack():
    """
    @return: the current thread's context stack, the C{list} that
        C{context.call} pushes on; C{None} when the installed tracker is
        not Twisted's threaded one.
    """
    tracker = context.theContextTracker
    if type(tracker) is not context.ThreadedContextTracker:
        return None
    stack = getattr(tracker.currentContext(), "contexts", None)
    return stack if type(stack) is list else None


def _systemOf(selectable):
    """
    @param selectable: a descriptor.
    @return: its C{logPrefix()}, as C{callWithLogger} names it.
    """
    try:
        return selectable.logPrefix()
    except KeyboardInterrupt:
        raise
    except BaseException:
        return "(buggy logPrefix method)"


class LazyDispatch:
    """
    C{EPollReactor.doPoll} for one reactor, each ready descriptor handled
    in an L{EventContext} (one per poll, emptied for each descriptor
    whose handling used it). The context stack it pushes on is the
    reactor thread's, looked up again only when the thread or the
    installed context tracker changes.

    @ivar left: how many ready descriptors of the current poll are still
        to be handled after the one being handled (0 between polls).
    """

    left = 0

    def __init__(self, reactor):
        """
        @param reactor: an C{EPollReactor}.
        """
        self._reactor = reactor
        self._tracker = self._thread = self._stack = None

    def _contextStackOf(self, tracker, thread):
        """
        @param tracker: the installed context tracker.
        @param thread: the current thread's identifier.
        @return: L{_contextStack}, kept for C{tracker} and C{thread}.
        """
        self._tracker = tracker
        self._thread = thread
        self._stack = _contextStack()
        return self._stack

    def __call__(self, timeout):
        """
        Poll, and handle each ready descriptor.

        @param timeout: the longest wait in seconds, or C{None} for no
            limit.
        """
        reactor = self._reactor
        if reactor.threadCallQueue:
            # Queued by this turn's timed calls: run them, then wait.
            timeout = 0
        elif timeout is None:
            timeout = -1
        try:
            ready = reactor._poller.poll(timeout, len(reactor._selectables))
        except OSError as err:
            if err.errno == errno.EINTR:
                return
            raise
        if not ready:
            return
        selectables = reactor._selectables
        handle = reactor._doReadOrWrite
        tracker = context.theContextTracker
        thread = get_ident()
        if tracker is self._tracker and thread == self._thread:
            stack = self._stack
        else:
            stack = self._contextStackOf(tracker, thread)
        left = len(ready)
        if stack is None:
            for fd, event in ready:
                left -= 1
                self.left = left
                selectable = selectables.get(fd)
                if selectable is not None:
                    log.callWithLogger(selectable, handle, selectable, fd,
                                       event)
            return
        eventContext = EventContext()
        eventContext.stack = stack
        eventContext.depth = len(stack)
        for fd, event in ready:
            left -= 1
            self.left = left
            selectable = selectables.get(fd)
            if selectable is None:
                continue
            if eventContext:
                eventContext.clear()
            eventContext.selectable = selectable
            stack.append(eventContext)
            try:
                try:
                    handle(selectable, fd, event)
                finally:
                    stack.pop()
            except KeyboardInterrupt:
                raise
            except BaseException:
                log.err(system=_systemOf(selectable))


def eventsLeft(reactor):
    """
    @param reactor: a reactor (or a clock without C{doIteration}).
    @return: how many ready descriptors of its current poll are still to
        be handled after the one being handled, when it dispatches with
        L{LazyDispatch}; otherwise 0.
    """
    return getattr(getattr(reactor, "doIteration", None), "left", 0)


def dispatchLazily(reactor):
    """
    Make C{reactor}, if it is Twisted's C{epoll} reactor with the names
    L{LazyDispatch} reads, handle ready descriptors with
    L{LazyDispatch}; leave any other reactor as it is.

    @param reactor: the reactor.
    @return: whether it now does.
    """
    if not isinstance(reactor, epollreactor.EPollReactor):
        return False
    if type(reactor).doIteration is not epollreactor.EPollReactor.doPoll:
        return False
    if _contextStack() is None or not all(
            hasattr(reactor, name)
            for name in ("_poller", "_selectables", "_doReadOrWrite",
                         "threadCallQueue")):
        return False
    reactor.doIteration = LazyDispatch(reactor)
    return True
