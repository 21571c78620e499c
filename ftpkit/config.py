"""
L{ServerConfig}: every setting of a server, as one immutable value.

L{ftpkit.deploy.tap} builds it from the command line;
L{ftpkit.control.server.FTPFactory} takes it. Nothing reads settings
from class attributes. Its values follow the rules of
L{ftpkit.configvalues}, which the command line checks its options with:
one the command line would refuse (C{--umask 777}) is a L{ValueError}
here too, naming the field.
"""

from dataclasses import dataclass, field
from ipaddress import ip_network
from typing import Optional, Tuple

from ftpkit.configvalues import checkConfig
from ftpkit.protocol.listingtree import TreeLimits


@dataclass(frozen=True)
class ServerConfig:
    """
    Server-wide settings.

    @ivar banner: text of the C{220} greeting.
    @ivar readOnly: no command may change anything, for any user.
    @ivar anonymousWrite: anonymous users may upload new files and make
        directories (never delete, rename or overwrite).
    @ivar holdAnonymousUploads: anonymous users download only
        world-readable files, and their uploads are not world-readable
        until released (C{--hold-anonymous-uploads}).
    @ivar hideDotfiles: names starting with C{.} are not listed and cannot
        be downloaded, changed or created (C{--hide-dotfiles}).
    @ivar siteChmod: whether C{SITE CHMOD} is available (C{--no-site-chmod}
        turns it off).
    @ivar umask: the file-creation mask of the server's processes, for the
        files and directories users make, or C{None} to keep the one it
        started with (C{--umask}).
    @ivar passivePorts: C{(low, high)} inclusive port range for PASV/EPSV
        listeners, or C{None} for any free port.
    @ivar passiveAddress: IPv4 address put in the C{227} reply, or C{None}
        for the control connection's local address.
    @ivar trustedProxies: the networks (L{ipaddress} objects; addresses
        and CIDR texts given, C{("127.0.0.1",)}, are held as such networks)
        load balancers connect from, whose PROXY headers C{haproxy:}
        listeners believe (C{--trusted-proxy}); by default the loopback
        networks
        (a balancer on the node itself), for anyone else who can reach a
        C{haproxy:} listener directly could claim any address with a
        header of their own; empty: any address.
    @ivar maxConnections: sessions over this get C{421} and are closed.
    @ivar maxConnectionsPerIP: likewise, per client address (an IPv6
        client's network: see C{ipv6PrefixLength}).
    @ivar ipv6PrefixLength: the bits of an IPv6 address that name its
        client for every per-address limit (sessions, passive listeners,
        the failed-login delay): 64 counts a whole C{/64} as one client,
        128 each address on its own (L{ftpkit.protocol.limitkeys}).
    @ivar maxPassivePerIP: passive listeners one client address may hold
        at once, all its sessions together, or C{None} for no limit of its
        own; with a C{passivePorts} range, never more than half of it.
        Past it, PASV/EPSV get C{425}.
    @ivar workers: the processes serving sessions side by side
        (C{--workers}); each counts the passive listeners of its own
        sessions, so each allows a client address its part of
        C{maxPassivePerIP} (L{ftpkit.data.passiveshares.passiveLimit}).
    @ivar idleTimeout: seconds a control connection may stay idle, or
        C{None} for no limit (embedding code only: no option gives it).
    @ivar loginTimeout: seconds a session may take to log in: then a
        client not logged in gets C{421} and the connection is closed,
        whatever it sent (C{--login-timeout}).
    @ivar dataTimeout: seconds a data connection may stall, a passive
        listener may wait for its client, and a client's passive
        connection for a transfer to use it.
    @ivar closeTimeout: seconds a control connection being closed may take
        to deliver its last replies (a TLS handshake that never finishes,
        a client that stops reading) before it is cut.
    @ivar maxLoginAttempts: failed C{PASS} before the connection is closed.
    @ivar loginFailureDelay: seconds the first failed C{PASS} is delayed;
        each further failure doubles it.
    @ivar maxLineLength: longest command line accepted, in bytes (room
        for a verb and a path of C{PATH_MAX}, 4096 bytes).
    @ivar maxPendingBytes: bytes of pipelined commands' arguments queued
        before the server stops reading from the client.
    @ivar maxPendingCommands: pipelined commands queued before the server
        stops reading from the client.
    @ivar tlsContextFactory: an C{IOpenSSLServerConnectionCreator} enabling
        C{AUTH TLS}, or C{None}.
    @ivar tlsRequired: refuse login and data transfers without TLS.
    @ivar tlsRequiredForAnonymous: when C{tlsRequired}, also require it of
        anonymous users.
    @ivar tlsRequireSessionReuse: data connections under C{PROT P} must
        resume the control connection's TLS session.
    @ivar tlsAllowCCC: C{CCC} may end TLS on the control connection after
        login (C{--tls-allow-ccc}).
    @ivar tlsAllowUploadEOF: an upload under TLS whose data connection
        the client ends in order (a TCP FIN after the handshake) without
        its close_notify is complete, not cut (C{--tls-allow-upload-eof};
        L{ftpkit.data.tls.DataTLS.allowUploadEOF}).
    @ivar logFormat: C{"text"} or C{"json"} (C{--log-format}).
    @ivar xferlog: the path of the wu-ftpd format transfer log, or C{None}.
    @ivar metrics: the Twisted endpoint string C{/metrics} is served on,
        or C{None}.
    @ivar onUpload: the command run after each completed upload, an
        argument list (C{("/usr/bin/logger", "uploaded")}; C{--on-upload}'s
        command line split, C{tuple(shlex.split(line))}: one string is
        refused), or C{None}.
    @ivar onUploadConcurrency: C{onUpload} commands run at once, at most.
    @ivar onUploadTimeout: seconds before an C{onUpload} command is
        killed.
    @ivar maxSessionsPerUser: a login of a user with that many sessions
        gets C{421} and is closed; C{None} for no limit.
    @ivar allowFrom: networks clients must be in, if any (a tuple of
        texts, C{("10.0.0.0/8",)}, held in normal form as C{--allow-from}
        holds them); others get C{421}.
    @ivar denyFrom: networks whose clients get C{421} (as C{allowFrom}).
    @ivar hashAlgorithms: the algorithms offered by C{HASH}, preferred
        first: a tuple of C{"SHA-256"}, C{"SHA-512"}, C{"SHA-1"},
        C{"MD5"} (held in upper case; one string is refused, and so is
        a name given twice).
    @ivar shutdownGrace: seconds C{SIGTERM} lets running transfers finish.
    @ivar virtualHosts: the L{ftpkit.control.vhosts.VirtualHost}s C{HOST} can
        pick (C{--vhost}), a tuple (one string is refused); sessions that
        pick none use the default realm.
    @ivar vhostFallback: a C{HOST} name no virtual host has picks the
        default realm instead of being refused with C{504}
        (C{--vhost-fallback}).
    @ivar maxDownloadRate: bytes a second one session may download at, or
        C{None} for no limit (a user's own rate in the users file wins).
    @ivar maxUploadRate: likewise for uploads.
    @ivar maxTotalRate: bytes a second the whole server (each process) may
        send, and may receive, or C{None}.
    @ivar maxUploadSize: the most bytes one upload may bring (C{552}
        past it), or C{None}.
    @ivar listingCacheSize: the most bytes of local directories'
        listings each process of C{twistd ftpkit} keeps while inotify
        says they are unchanged (C{--listing-cache}); C{0} for none
        (C{--no-listing-cache}). An embedding's server caches none
        unless it calls L{ftpkit.shells.listingcache.enable}.
    @ivar modeZ: whether C{MODE Z} (deflate data connections) is offered
        in C{FEAT} and accepted (C{--mode-z}); off, C{MODE Z} gets C{504}
        (lftp, which uses it wherever C{FEAT} lists it, loses the end of
        listings in it: docs/protocol.rst).
    @ivar listingTreeLimits: the bounds of a recursive listing
        (C{LIST -R}, C{NLST -R}; C{--recursive-listing-depth},
        C{--recursive-listing-entries}): a
        L{ftpkit.protocol.listingtree.TreeLimits}, whose depth C{0}
        ignores C{-R}.
    """

    banner: str = "ftpkit ready"
    readOnly: bool = False
    anonymousWrite: bool = False
    holdAnonymousUploads: bool = False
    hideDotfiles: bool = False
    siteChmod: bool = True
    umask: Optional[int] = None
    passivePorts: Optional[Tuple[int, int]] = None
    passiveAddress: Optional[str] = None
    trustedProxies: Tuple = (ip_network("127.0.0.0/8"), ip_network("::1"))
    maxConnections: int = 512
    maxConnectionsPerIP: int = 32
    ipv6PrefixLength: int = 64
    maxPassivePerIP: Optional[int] = None
    workers: int = 1
    idleTimeout: float = 300.0
    loginTimeout: float = 300.0
    dataTimeout: float = 60.0
    closeTimeout: float = 10.0
    maxLoginAttempts: int = 3
    loginFailureDelay: float = 1.0
    maxLineLength: int = 8192
    maxPendingCommands: int = 64
    maxPendingBytes: int = 32768
    tlsContextFactory: object = None
    tlsRequired: bool = False
    tlsRequiredForAnonymous: bool = True
    tlsRequireSessionReuse: bool = False
    tlsAllowCCC: bool = False
    tlsAllowUploadEOF: bool = False
    logFormat: str = "text"
    xferlog: Optional[str] = None
    metrics: Optional[str] = None
    onUpload: Optional[Tuple[str, ...]] = None
    onUploadConcurrency: int = 4
    onUploadTimeout: float = 60.0
    maxSessionsPerUser: Optional[int] = None
    allowFrom: Tuple[str, ...] = ()
    denyFrom: Tuple[str, ...] = ()
    hashAlgorithms: Tuple[str, ...] = field(
        default=("SHA-256", "SHA-512", "SHA-1", "MD5")
    )
    shutdownGrace: float = 30.0
    virtualHosts: Tuple = ()
    vhostFallback: bool = False
    maxDownloadRate: Optional[int] = None
    maxUploadRate: Optional[int] = None
    maxTotalRate: Optional[int] = None
    maxUploadSize: Optional[int] = None
    listingCacheSize: int = 32 * 1024 * 1024
    listingTreeLimits: TreeLimits = TreeLimits()
    modeZ: bool = False

    def __post_init__(self):
        """
        Check the values (L{checkConfig}), and hold those given in another
        form than the config's in its own (a C{list} as a C{tuple},
        C{trustedProxies} texts as networks).

        @raise ValueError: C{"ServerConfig NAME: why"}, for a value the
            command line would refuse too, or one of a wrong type (a
            string where a tuple is expected).
        """
        for name, value in checkConfig(self).items():
            object.__setattr__(self, name, value)
