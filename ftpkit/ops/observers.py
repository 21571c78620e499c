"""
L{ObserverSubscription}: hands the events an
L{ftpkit.interfaces.IFTPEventObserver} wants to its methods, never waiting
for their Deferreds, and bounding how many may be unfinished;
L{IgnoringObserver}, the base of an observer that wants only some events;
and L{findObservers}, the observers a server's options give it, a realm
that is one told of the sessions it serves (L{RealmSessions}).
"""

import inspect

from twisted.internet import defer
from twisted.logger import Logger
from zope.interface import implementer

from ftpkit.interfaces import IFTPEventObserver, IFTPEventObserverPlugin
from ftpkit.ops import events
from ftpkit.ops.leftwork import LeftWork
from ftpkit.shells.heldcalls import describeFailure

MAX_PENDING = 1000
"""
Unfinished calls an observer may have before new events skip it, unless
it states its own bound (see L{ObserverSubscription}).
"""

_CHANGES = {
    "DELE": "deleted",
    "RNTO": "renamed",
    "MKD": "madeDirectory",
    "RMD": "removedDirectory",
}


def methodFor(event):
    """
    @param event: an L{events.Event}.
    @return: the name of the L{IFTPEventObserver} method it goes to, or
        C{None}.
    """
    if event.kind == events.LOGIN:
        return "loggedIn"
    if event.kind == events.LOGOUT:
        return "loggedOut"
    if event.kind == events.TRANSFER and event.code == 226:
        return "uploadFinished" if event.upload else "downloadFinished"
    if event.kind == events.CHANGE:
        return _CHANGES.get(event.command)
    return None


@implementer(IFTPEventObserver)
class IgnoringObserver:
    """
    An L{IFTPEventObserver} whose methods do nothing: a subclass overrides
    the events it wants and still provides the whole interface
    (C{verifyObject} passes), with one place saying "nothing to do".
    """

    def _ignored(self, event):
        """
        Nothing to do.

        @param event: the L{ftpkit.ops.events.Event}.
        """

    loggedIn = loggedOut = uploadFinished = downloadFinished = _ignored
    deleted = renamed = madeDirectory = removedDirectory = _ignored


class ObserverSubscription:
    """
    Subscribes one L{IFTPEventObserver} to an L{events.EventHub}.

    @ivar pending: the observer's calls not finished yet.
    @ivar skipped: events not given to it because too many were pending.
    @ivar sessions: which sessions' events it is told of (see
        L{__init__}).
    """

    log = Logger()

    def __init__(self, observer, maxPending=None, sessions=None,
                 reactor=None):
        """
        @param observer: the L{IFTPEventObserver}.
        @param sessions: C{None} for the events of every session; else a
            callable taking an event's C{host} (the C{HOST} name its
            session chose, or C{None}) and telling whether the observer
            is told of it (a L{RealmSessions}: the sessions of one realm).
        @param maxPending: how many of its calls may be unfinished before
            new events skip it; C{None} for the observer's own
            C{maxPending} attribute, if it has one (an observer that
            queues its work, such as L{ftpkit.control.uploadhook}, states
            how much it may queue), else L{MAX_PENDING}.
        @param reactor: provides C{IReactorTime}, bounding the wait of a
            server's stop for the observer's calls (L{subscribeTo}); the
            global reactor when C{None}.
        """
        if maxPending is None:
            maxPending = getattr(observer, "maxPending", MAX_PENDING)
            if type(maxPending) is not int or maxPending < 1:
                # A bound of another kind (an observer answering every
                # name through __getattr__, a mock) made each event a
                # traceback comparing it.
                self.log.warn("observer {observer!r} has a maxPending of "
                              "{given!r}, not a positive int: {bound} is "
                              "used", observer=observer, given=maxPending,
                              bound=MAX_PENDING)
                maxPending = MAX_PENDING
        self.observer = observer
        self.sessions = sessions
        self.maxPending = maxPending
        self.pending = 0
        self.skipped = 0
        self._calls = LeftWork(reactor)

    def subscribeTo(self, hub):
        """
        @param hub: the L{events.EventHub} to observe; its complete
            uploads' events name their local files
            (L{events.EventHub.localFiles}), and its server's stop waits
            for the observer's calls within its grace (one of its
            C{finishers}): the process ending first cut them short (the
            notice of the last upload never sent).
        """
        hub.subscribe(self, [events.LOGIN, events.LOGOUT, events.TRANSFER,
                             events.CHANGE])
        hub.localFiles = True
        getattr(hub, "finishers", []).append(self._calls.finish)

    def __call__(self, event):
        """
        @param event: an L{events.Event}: call the observer's method for
            it, if any.
        """
        if self.sessions is not None and not self.sessions(event.host):
            return
        name = methodFor(event)
        # Looked up at each event, as before: an observer may set a
        # method once it is subscribed (a realm that is its own observer,
        # ready once it connected to its service).
        method = None if name is None else getattr(self.observer, name, None)
        if not callable(method):
            # An observer without the method (one written before the
            # interface had it, or that needs only uploads) is not told:
            # each event was a traceback, and a call counted as pending
            # for ever, until the observer was skipped for every event.
            return
        if self.pending >= self.maxPending:
            if not self.skipped:
                self.log.warn("observer {observer!r} has {count} calls "
                              "unfinished; skipping events until it "
                              "catches up", observer=self.observer,
                              count=self.pending)
            self.skipped += 1
            return
        if self.skipped:
            self.log.warn("observer {observer!r} caught up; {count} "
                          "events skipped", observer=self.observer,
                          count=self.skipped)
            self.skipped = 0
        self.pending += 1
        result = defer.maybeDeferred(method, event)
        result.addErrback(self._failed, name, event)
        result.addBoth(self._finished)
        self._calls.hold(result)

    def _failed(self, failure, name, event):
        """
        Log an observer's failure in one line: its class and method, the
        exception and where it was raised (not a traceback, as for a
        shell's failures: L{ftpkit.shells.heldcalls.describeFailure}).
        """
        self.log.error("{owner}.{method} failed with {why}, for {peer} "
                       "{user!r} {path!r}",
                       owner=type(self.observer).__qualname__, method=name,
                       why=describeFailure(failure), peer=event.peer,
                       user=event.user, path=event.path)

    def _finished(self, ignored):
        self.pending -= 1


class RealmSessions:
    """
    The sessions one realm serves, by the C{HOST} name their events carry
    (L{ftpkit.control.vhosts.chooseHost} decided it): a C{--vhost}'s
    realm serves the names it was given; the default realm (C{--realm})
    every session without C{HOST}, or whose name no C{--vhost} has
    (C{--vhost-fallback}, an address of the server itself).
    """

    def __init__(self, names, default, hostNames):
        """
        @param names: the host names the realm serves as a C{--vhost}'s.
        @param default: whether it is the default realm too.
        @param hostNames: every C{--vhost}'s names.
        """
        self.names = frozenset(names)
        self.default = default
        self.hostNames = frozenset(hostNames)

    def __call__(self, host):
        """
        @param host: an event's C{host}: the name its session chose with
            C{HOST}, or C{None}.
        @return: whether the session is one of the realm's.
        """
        if host in self.names:
            return True
        return self.default and host not in self.hostNames


def realmSubscriptions(options):
    """
    @param options: the parsed L{ftpkit.deploy.tap.Options} (a mapping):
        its C{realmObject} and its config's C{virtualHosts}.
    @return: an L{ObserverSubscription} for each realm (the default one,
        a C{--vhost}'s) that is an L{IFTPEventObserver}, told of the
        sessions of that realm alone (L{RealmSessions}; before session 47
        the default realm was told of every host's, and a C{--vhost}'s
        realm of none).
    """
    config = options.get("config")
    hosts = getattr(config, "virtualHosts", ())
    hostNames = [name for host in hosts for name in host.names]
    realms = {}
    default = options.get("realmObject")
    if IFTPEventObserver.providedBy(default):
        realms[id(default)] = (default, [], True)
    for host in hosts:
        if IFTPEventObserver.providedBy(host.realm):
            realm, names, isDefault = realms.setdefault(
                id(host.realm), (host.realm, [], False))
            names.extend(host.names)
    return [ObserverSubscription(realm,
                                 sessions=RealmSessions(names, isDefault,
                                                        hostNames))
            for realm, names, isDefault in realms.values()]


def findObservers(options):
    """
    @param options: the parsed L{ftpkit.deploy.tap.Options} (a mapping).
    @return: the L{IFTPEventObserver}s to register: each realm that is
        one, as an L{ObserverSubscription} to the sessions it serves
        (L{realmSubscriptions}), and what each installed
        L{IFTPEventObserverPlugin} gives (a
        plugin without C{makeObserver}, which ended the start with a
        traceback, is skipped, said in one line; as is a plugin module
        that fails to import: L{ftpkit.deploy.pluginlookups}).
    """
    from ftpkit.deploy.pluginlookups import describePlugin, sayOnce

    found = realmSubscriptions(options)
    for plugin in installedObserverPlugins():
        described = describePlugin(plugin)[:-1]
        if not callable(getattr(plugin, "makeObserver", None)):
            sayOnce(f"observer plugin skipped: {described} has no "
                    "makeObserver)")
            continue
        try:
            observer = plugin.makeObserver(options)
        except Exception as e:
            sayOnce(f"observer plugin skipped: {described} failed in "
                    f"makeObserver with {describeFailure(e)})")
            continue
        if uncalledClass(observer):
            sayOnce(f"observer plugin skipped: {described} gave the class "
                    f"{observer.__qualname__}, not an observer: call it, "
                    f"{observer.__qualname__}(...))")
        elif observer is not None:
            found.append(observer)
    return found


def installedObserverPlugins():
    """
    @return: the installed L{IFTPEventObserverPlugin}s, a plugin module
        that fails to import said in one line
        (L{ftpkit.deploy.pluginlookups.pluginLookups}).
    """
    from twisted.plugin import getPlugins

    import twisted.plugins
    from ftpkit.deploy.pluginlookups import pluginLookups

    with pluginLookups():
        return list(getPlugins(IFTPEventObserverPlugin, twisted.plugins))


def uncalledClass(observer):
    """
    @param observer: what an observer plugin's C{makeObserver} gave.
    @return: whether it is a class where an observer was meant (C{return
        Notifier}, not C{Notifier()}): not a class that is an observer
        itself, providing L{IFTPEventObserver} or with a method that is a
        C{staticmethod} or C{classmethod}, which observers written before
        such classes were skipped are.
    """
    if not isinstance(observer, type) or IFTPEventObserver.providedBy(
            observer):
        return False
    return not any(
        isinstance(inspect.getattr_static(observer, name, None),
                   (staticmethod, classmethod))
        for name in IFTPEventObserver.names())
