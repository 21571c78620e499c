"""
The event hub a L{ftpkit.config.ServerConfig} asks for (L{configuredHub}):
the log, and, when the config sets them, the transfer log (C{xferlog}),
the metrics (C{metrics}) and the command run after each upload
(C{onUpload}). The one place these options become subscribers: a bare
L{ftpkit.control.server.FTPFactory} (embedded) builds its hub here, and
C{twistd ftpkit} (L{ftpkit.deploy.opsoptions.makeHub}) too, adding the
observers its plugins give.
"""

import os

from ftpkit.control.uploadhook import UploadCommand
from ftpkit.ops import events, metrics
from ftpkit.ops.eventlog import EventLog
from ftpkit.ops.observers import ObserverSubscription
from ftpkit.ops.xferlog import XferLog


def configuredHub(config, root=None, observers=(), reactor=None):
    """
    @param config: a L{ftpkit.config.ServerConfig}.
    @param root: the directory the default realm serves, told to the
        C{onUpload} command (C{FTPKIT_ROOT}; each virtual host's is its
        realm's, L{servedRoot}), or C{None}.
    @param observers: more L{ftpkit.interfaces.IFTPEventObserver}s to
        subscribe, each to every session's events, or
        L{ObserverSubscription}s (an observer told of some sessions'
        events: a realm's, L{ftpkit.ops.observers.realmSubscriptions}).
    @param reactor: the reactor (the global one when C{None}).
    @return: an L{events.EventHub} with those subscribed.
    @raise OSError: when C{config.xferlog} cannot be opened.
    @raise ValueError: when C{config.metrics} is set and
        C{prometheus_client} is not installed.
    """
    hub = events.EventHub()
    EventLog(reactor, ipv6PrefixLength=config.ipv6PrefixLength).subscribeTo(
        hub)
    if config.xferlog is not None:
        XferLog(config.xferlog, reactor).subscribeTo(hub)
    if config.metrics is not None:
        metrics.checkAvailable()
        metrics.processMetrics().subscribeTo(hub)
    observers = list(observers)
    if config.onUpload is not None:
        command = UploadCommand(
            config.onUpload, root, config.onUploadConcurrency,
            config.onUploadTimeout, reactor,
            ipv6PrefixLength=config.ipv6PrefixLength,
            hostRoots={name: servedRoot(host.realm)
                       for host in config.virtualHosts
                       for name in host.names})
        observers.append(command)
        hub.finishers.append(command.finish)
    for observer in observers:
        if not isinstance(observer, ObserverSubscription):
            observer = ObserverSubscription(observer, reactor=reactor)
        observer.subscribeTo(hub)
    return hub


def servedRoot(realm):
    """
    @param realm: a realm.
    @return: the local directory it serves (its C{root}), as C{--root}
        names it to the C{onUpload} command, or C{None} when it has none.
    """
    root = getattr(realm, "root", None)
    if isinstance(root, (str, bytes)) and os.path.isabs(root):
        return os.fsdecode(root)
    return None
