"""
HOST (RFC 7151): pick a virtual host, and so the realm users log in to,
before logging in.
"""

from ftpkit.control.vhosts import localAddressNames, parseHostName
from ftpkit.ops.logthrottle import LogThrottle, skippedNote
from ftpkit.protocol.sessionstate import Session


class HostCommands:
    """
    C{HOST NAME} starts a fresh L{Session} (as C{REIN} does) whose logins
    go through the portal of the virtual host C{NAME} names
    (L{ftpkit.control.server.FTPFactory.pickHost} decides which).
    """

    sessionFields = frozenset(["username", "shell", "hostName", "portal",
                               "startedAt"])

    _hostLines = None
    """The L{LogThrottle} of the connection's C{HOST} lines, once it sent
    one: a client repeating C{HOST} (before logging in, as many times as
    it likes) gets a line a minute for the hosts it chose, and one for the
    unknown names it asked for, not one each."""

    def ftp_HOST(self, argument):
        """
        Choose the virtual host: C{220} (with the host's banner, if it
        has one); C{501} for text that is no host
        name; C{503} once C{USER} was given (C{REIN} first); C{504} for a
        name this server does not serve, or one other than the name the
        client gave TLS (SNI) when the control connection is secure.
        """
        if self.session.shell is not None or self.session.username is not None:
            return (503, "HOST must come before USER; send REIN first")
        try:
            name = parseHostName(argument)
        except ValueError as e:
            return (501, f"HOST: {e}")
        serverName = self.tlsServerName()
        if serverName is not None and serverName != name:
            return (504, f"HOST {name} is not the name given to TLS "
                         f"({serverName})")
        local = getattr(self.transport.getHost(), "host", "")
        picked = self.factory.pickHost(name, localAddressNames(local))
        if picked is None:
            self._logUnknownHost(name)
            return (504, f"Unknown host {name}")
        portal, banner = picked
        self.dataChannel.close()
        session = Session()
        # Before USER, as HOST must be: the time to log in runs on (else
        # a client could stay without logging in by sending HOST now and
        # then).
        session.startedAt = self.session.startedAt
        session.hostName = name
        session.portal = portal
        self.session = session
        skipped = self._hostLineThrottle().admit("chose host")
        if skipped is not None:
            self.log.info("{peer} chose virtual host {host}{more}",
                          peer=self.peer, host=name,
                          more=skippedNote(skipped))
        return (220, banner or f"Host {name} ready")

    def _hostLineThrottle(self):
        """
        @return: the connection's L{_hostLines}, made if need be.
        """
        if self._hostLines is None:
            self._hostLines = LogThrottle(self.reactor)
        return self._hostLines

    def _logUnknownHost(self, name):
        """
        Log that C{HOST} named no virtual host, unless the connection's
        L{_hostLines} throttle leaves it out.

        @param name: the name asked for.
        """
        skipped = self._hostLineThrottle().admit("unknown host")
        if skipped is not None:
            self.log.info("{peer} asked for unknown virtual host {host}{more}",
                          peer=self.peer, host=name, more=skippedNote(skipped))
