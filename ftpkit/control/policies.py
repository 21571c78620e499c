"""
L{ConnectionLimiter}: how many sessions, in all and per client address.

Pure bookkeeping, shared by L{ftpkit.control.server.FTPFactory} (one process) and
L{ftpkit.deploy.workers} (an acceptor handing sessions to worker processes), so
both enforce the limits the same way. Clients are counted by
L{limitKey}: an IPv6 client by its network.
"""

from collections import Counter

from ftpkit.protocol.limitkeys import DEFAULT_IPV6_PREFIX_LENGTH, limitKey


class ConnectionLimiter:
    """
    Counts live sessions and refuses those over the limits.

    @ivar sessions: live sessions in all.
    @ivar sessionsByHost: live sessions per client, by L{limitKey} (an
        IPv4 address, an IPv6 network).
    """

    def __init__(self, maxConnections, maxConnectionsPerIP,
                 ipv6PrefixLength=DEFAULT_IPV6_PREFIX_LENGTH):
        """
        @param maxConnections: most sessions at once.
        @param maxConnectionsPerIP: most sessions from one client (one
            IPv4 address, one IPv6 network).
        @param ipv6PrefixLength: the bits of an IPv6 address that name
            its client (see L{limitKey}).
        """
        self.maxConnections = maxConnections
        self.maxConnectionsPerIP = maxConnectionsPerIP
        self.ipv6PrefixLength = ipv6PrefixLength
        self.sessions = 0
        self.sessionsByHost = Counter()

    def admit(self, host):
        """
        Count a new session unless it is over a limit.

        @param host: the client's address.
        @return: C{None} when admitted, else the reason it is refused.
        """
        host = limitKey(host, self.ipv6PrefixLength)
        if self.sessions >= self.maxConnections:
            return "Too many connections; try again later"
        byHost = self.sessionsByHost
        count = byHost.get(host, 0)
        if count >= self.maxConnectionsPerIP:
            return "Too many connections from your address"
        self.sessions += 1
        byHost[host] = count + 1
        return None

    def release(self, host):
        """
        Forget a session that L{admit} counted.

        @param host: the address given to L{admit}.
        """
        host = limitKey(host, self.ipv6PrefixLength)
        byHost = self.sessionsByHost
        count = byHost.get(host, 0)
        if count <= 0:
            return
        self.sessions -= 1
        if count == 1:
            byHost.pop(host)
        else:
            byHost[host] = count - 1
