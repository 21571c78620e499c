"""
C{--trusted-proxy}: the load balancers whose PROXY-protocol headers a
C{--listen haproxy:...} listener believes (L{ftpkit.control.proxied}).
"""

from twisted.python import usage

from ftpkit.config import ServerConfig
from ftpkit.configvalues import parseNetworks
from ftpkit.control.proxied import isProxied


class ProxyOptionsMixin:
    """
    C{--trusted-proxy CIDR}, repeatable, for a L{usage.Options} subclass
    whose C{self["listen"]} holds the C{--listen} values.
    """

    def opt_trusted_proxy(self, text):
        """Address or CIDR block of a load balancer allowed to send PROXY
        protocol headers to haproxy: listeners, repeatable [default:
        loopback only, 127.0.0.0/8 and ::1]."""
        try:
            parseNetworks([text])
        except ValueError as e:
            raise usage.UsageError(f"--trusted-proxy: {e}")
        self.setdefault("trusted-proxy", []).append(text)


def proxyConfigFields(options):
    """
    Make the L{ftpkit.config.ServerConfig} arguments of the proxy options.

    @param options: parsed options mixing in L{ProxyOptionsMixin}, with
        C{options["listen"]} final.
    @return: a C{dict} with C{trustedProxies}: the C{--trusted-proxy}
        networks, or L{ServerConfig}'s default (the loopback networks)
        when none is given.
    @raise usage.UsageError: when C{--trusted-proxy} is given without a
        C{haproxy:} listener (it would trust nobody's header: a mistake).
    """
    trusted = options.get("trusted-proxy", [])
    if trusted and not any(isProxied(d) for d in options["listen"]):
        raise usage.UsageError(
            "--trusted-proxy: needs a --listen haproxy:... listener")
    if not trusted:
        return {"trustedProxies": ServerConfig.trustedProxies}
    return {"trustedProxies": parseNetworks(trusted)}
