"""
C{--vhost NAMES=REALM[:ARGS]} and C{--vhost-fallback}: the virtual hosts
C{HOST} (RFC 7151) picks from (L{ftpkit.vhosts}).
"""

from typing import ClassVar

from twisted.python import usage

from ftpkit.vhosts import VirtualHost, hostTable, parseVhostOption


class VirtualHostOptionsMixin:
    """
    C{--vhost}, repeatable, and C{--vhost-fallback}, for a
    L{usage.Options} subclass.
    """

    optFlags: ClassVar[list] = [
        ["vhost-fallback", None,
         ("HOST with a name no --vhost has picks the default realm "
          "instead of getting 504.")],
    ]

    def opt_vhost(self, text):
        """NAMES=REALM[:ARGS]: clients that send HOST with one of the
        comma-separated NAMES log in to that realm (built as --realm
        builds it, e.g. ftp.example.com=filesystem:/srv/example),
        repeatable [default: none; HOST keeps the default realm]."""
        try:
            parseVhostOption(text)
        except ValueError as e:
            raise usage.UsageError(f"--vhost: {e}")
        self.setdefault("vhost", []).append(text)


def vhostConfigFields(options):
    """
    Build each C{--vhost}'s realm with the realm plugins, and make the
    L{ftpkit.config.ServerConfig} arguments.

    @param options: parsed options mixing in L{VirtualHostOptionsMixin}
        (the C{ftpkit.tap.Options}: realm plugins read it as they read it
        for C{--realm}).
    @return: a C{dict} with C{virtualHosts} and C{vhostFallback}.
    @raise usage.UsageError: for an unknown realm, a realm plugin
        refusing its argument, or a name given twice.
    """
    from ftpkit.tap import findRealm

    hosts = []
    for text in options.get("vhost", []):
        names, spec = parseVhostOption(text)
        plugin, argument = findRealm(spec, "--vhost")
        try:
            realm = plugin.makeRealm(argument, options)
        except ValueError as e:
            raise usage.UsageError(f"--vhost: {spec}: {e}")
        hosts.append(VirtualHost(names, spec, realm))
    try:
        hostTable(hosts)
    except ValueError as e:
        raise usage.UsageError(f"--vhost: {e}")
    return {"virtualHosts": tuple(hosts),
            "vhostFallback": bool(options["vhost-fallback"])}
