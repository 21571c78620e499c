"""
HOST (RFC 7151): pick a virtual host, and so the realm users log in to,
before logging in.
"""

from twisted.logger import LogLevel

from ftpkit.control.vhosts import localAddressNames, parseHostName


class HostCommands:
    """
    C{HOST NAME} starts a fresh L{Session} (as C{REIN} does) whose logins
    go through the portal of the virtual host C{NAME} names
    (L{ftpkit.control.server.FTPFactory.pickHost} decides which). Its log
    lines, which a client may have written before logging in on as many
    connections as it likes, each sending C{HOST} as often as it likes,
    are the server's L{ftpkit.control.peerwarnings}: a few a minute for
    each client address of the hosts chosen, and of the unknown names
    asked for.
    """

    sessionFields = frozenset(["username", "shell", "hostName"])

    def ftp_HOST(self, argument):
        """
        Choose the virtual host: C{220} (with the host's banner, if it
        has one); C{501} for text that is no host
        name; C{503} once C{USER} was given (C{REIN} first, or a new
        connection under TLS); C{504} for a
        name this server does not serve, or one other than the name the
        client gave TLS (SNI) when the control connection is secure.
        """
        if self.session.shell is not None or self.session.username is not None:
            # Under TLS REIN is refused (SecurityCommands.refuseReinitialize).
            again = "connect again" if self.tls.controlSecure else "send REIN first"
            return (503, f"HOST must come before USER; {again}")
        try:
            name = parseHostName(argument)
        except ValueError as e:
            return (501, f"HOST: {e}")
        serverName = self.tlsServerName()
        if serverName is not None and serverName != name:
            return (504, f"HOST {name} is not the name given to TLS "
                         f"({serverName})")
        local = getattr(self.localAddress(), "host", "")
        picked = self.factory.pickHost(name, localAddressNames(local))
        if picked is None:
            self._logUnknownHost(name)
            return (504, f"Unknown host {name}")
        portal, banner = picked
        # Before USER, as HOST must be: the time to log in runs on (else
        # a client could stay without logging in by sending HOST now and
        # then), as startAfresh keeps it for a session not logged in.
        self.startAfresh(hostName=name, portal=portal)
        if self.factory.config.virtualHosts:
            # Without --vhost, HOST (lftp sends it with every address)
            # keeps the one realm there is: nothing was chosen.
            default = " (the default realm)" if portal is self.factory.portal else ""
            self.factory.peerWarnings.emit(
                self.log, LogLevel.info, "chose host", self.peer,
                "{peer} chose virtual host {host}{default}", peer=self.peer,
                host=name, default=default)
        return (220, banner or f"Host {name} ready")

    def refuseContradictedHost(self):
        """
        A C{HOST} chosen before C{AUTH TLS}, in clear (where anyone on
        the path may have sent or changed it), must name the host the
        client then gave the handshake (SNI), as a C{HOST} sent under TLS
        must: a login under TLS to a host the handshake did not name is
        refused, and the choice forgotten (the session is fresh, the time
        to log in running on), so that the client may send C{HOST} again.

        @return: the C{530} refusing the login, or C{None} when the host
            chosen, if any, is not contradicted.
        """
        name = self.session.hostName
        if name is None:
            return None
        serverName = self.tlsServerName()
        if serverName is None or serverName == name:
            return None
        self.startAfresh()
        self.factory.peerWarnings.emit(
            self.log, LogLevel.warn, "contradicted host", self.peer,
            "{peer} chose virtual host {host} in clear, then named {sni} "
            "to TLS; login refused", peer=self.peer, host=name,
            sni=serverName)
        return (530, f"HOST {name} was sent before TLS, whose handshake "
                     f"named {serverName}: send HOST again")

    def _logUnknownHost(self, name):
        """
        Log that C{HOST} named no virtual host, unless the server's
        L{ftpkit.control.peerwarnings} leave it out.

        @param name: the name asked for.
        """
        self.factory.peerWarnings.emit(
            self.log, LogLevel.info, "unknown host", self.peer,
            "{peer} asked for unknown virtual host {host}", peer=self.peer,
            host=name)
