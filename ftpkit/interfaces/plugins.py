"""
Plugins found with L{twisted.plugin.getPlugins}: realms (C{--realm}) and
observers of what users do.
"""

from zope.interface import Attribute, Interface


class IRealmPlugin(Interface):
    """
    A plugin, found with L{twisted.plugin.getPlugins}, that builds a
    L{twisted.cred.portal.IRealm} whose avatars are L{IFTPShell}s.
    C{--realm NAME[:ARGS]} picks one.
    """

    name = Attribute("The name given to --realm, e.g. 'filesystem'.")
    description = Attribute("A one-line description.")
    argumentHelp = Attribute("Help text for the ARGS part of --realm.")

    def makeRealm(argument, options):
        """
        Build the realm.

        This runs while the options are parsed: as the user who started
        the server (often root), before C{twistd} forks into the
        background and switches to C{--uid}/C{--gid}. Check the argument
        here, but open nothing the server needs later (files, connections,
        threads): open them at first use.

        @param argument: the text after C{NAME:} in C{--realm}, or C{""}.
        @param options: the parsed L{ftpkit.deploy.tap.Options} (a mapping).
        @return: an L{twisted.cred.portal.IRealm} that answers
            C{requestAvatar(avatarId, mind, IFTPShell)} with
            C{(IFTPShell, shell, logout)}; with an attribute C{oneProcess}
            true when its files live in this process (a tree in memory),
            which C{--workers} then refuses (each worker builds a realm
            of its own).
        @raise ValueError: when C{argument} is not valid; the message is
            shown to the user as a usage error.
        """


class IFTPEventObserver(Interface):
    """
    Told what users do, after they did it: for plugin authors (indexing
    uploads, scanning them, notifying someone).

    Each method gets an L{ftpkit.ops.events.Event}: C{event.user},
    C{event.peer} (the client's address), C{event.anonymous},
    C{event.path} (the absolute path as the user sees it), C{event.bytes},
    C{event.seconds}, C{event.time}; see its docstring for the rest.

    A method may return a L{twisted.internet.defer.Deferred}: the session
    never waits for it. While an observer has many calls unfinished, the
    newest events are not given to it (and that is logged), so a slow
    observer costs memory up to a bound, and never delays a session: by
    default 1,000 unfinished calls (L{ftpkit.ops.observers.MAX_PENDING});
    an observer that must not miss events while it works through a burst
    states its own bound as an optional C{maxPending} attribute (an
    C{int}). A failure is logged. A method must not block: do slow work in a thread
    or another process (L{ftpkit.control.uploadhook} runs a command).

    Register one by having the realm a realm plugin builds provide this
    interface too, or through a plugin of its own
    (L{IFTPEventObserverPlugin}).
    """

    def loggedIn(event):
        """
        A user logged in.

        @param event: the L{ftpkit.ops.events.Event}.
        """

    def loggedOut(event):
        """
        A logged-in user left (C{event.seconds} since login,
        C{event.bytesIn} and C{event.bytesOut} moved meanwhile).

        @param event: the L{ftpkit.ops.events.Event}.
        """

    def uploadFinished(event):
        """
        A file was received completely (C{226}) and is in place:
        C{event.command} is C{STOR}, C{APPE} or C{STOU}.

        @param event: the L{ftpkit.ops.events.Event}.
        """

    def downloadFinished(event):
        """
        A file was sent completely (C{RETR}, C{226}).

        @param event: the L{ftpkit.ops.events.Event}.
        """

    def deleted(event):
        """
        A file was deleted (C{DELE}).

        @param event: the L{ftpkit.ops.events.Event}.
        """

    def renamed(event):
        """
        A file or directory was renamed from C{event.path} to
        C{event.target}.

        @param event: the L{ftpkit.ops.events.Event}.
        """

    def madeDirectory(event):
        """
        A directory was made (C{MKD}).

        @param event: the L{ftpkit.ops.events.Event}.
        """

    def removedDirectory(event):
        """
        A directory was removed (C{RMD}).

        @param event: the L{ftpkit.ops.events.Event}.
        """


class IFTPEventObserverPlugin(Interface):
    """
    A plugin, found with L{twisted.plugin.getPlugins} in
    C{twisted/plugins}, that may give the server an L{IFTPEventObserver}.
    Every installed one is asked at start.
    """

    name = Attribute("A name for logs.")

    def makeObserver(options):
        """
        @param options: the parsed L{ftpkit.deploy.tap.Options} (a mapping).
        @return: an L{IFTPEventObserver}, or C{None} to stay out.
        """
