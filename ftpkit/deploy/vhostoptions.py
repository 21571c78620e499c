"""
C{--vhost NAMES=REALM[:ARGS]}, C{--vhost-banner NAME=TEXT},
C{--vhost-root NAME=DIR} and C{--vhost-fallback}: the virtual hosts
C{HOST} (RFC 7151) picks from (L{ftpkit.control.vhosts}).
"""

import copy
from typing import ClassVar

from twisted.python import usage

from ftpkit.control.vhosts import (
    VirtualHost,
    hostTable,
    parseHostName,
    parseVhostOption,
)
from ftpkit.deploy.optionvalues import replyText
from ftpkit.deploy.realmplugins import (
    buildRealm,
    findRealm,
    servesRealm,
)
from ftpkit.deploy.workerroots import servedDirectoryAtStart


def parseBannerOption(text):
    """
    Split a C{--vhost-banner NAME=TEXT} value.

    @param text: the option value.
    @return: C{(name, banner)}, the name normalized.
    @raise ValueError: saying why the value is bad.
    """
    name, sep, banner = text.partition("=")
    if not sep or not banner.strip():
        raise ValueError(f"must be NAME=TEXT, like 'ftp.example.com=Example "
                         f"FTP', not {text!r}")
    return parseHostName(name), replyText(banner.strip())


def parseRootOption(text):
    """
    Split a C{--vhost-root NAME=DIR} value.

    @param text: the option value.
    @return: C{(name, directory)}, the name normalized and the directory
        absolute.
    @raise ValueError: saying why the value is bad (no C{=}, or no such
        directory at the server's start:
        L{ftpkit.deploy.workerroots.servedDirectoryAtStart}).
    """
    name, sep, directory = text.partition("=")
    if not sep or not directory:
        raise ValueError(f"must be NAME=DIR, like 'ftp.example.com=/srv/"
                         f"example', not {text!r}")
    return parseHostName(name), servedDirectoryAtStart(directory)


def withRoot(options, root):
    """
    @param options: the parsed options.
    @param root: a directory.
    @return: a copy of C{options} whose C{root} is C{root}, for a realm
        plugin building a virtual host's realm (the realms that serve
        C{--root} read it there).
    """
    rooted = copy.copy(options)
    rooted["root"] = root
    return rooted


class VirtualHostOptionsMixin:
    """
    C{--vhost} and C{--vhost-banner}, repeatable, and
    C{--vhost-fallback}, for a L{usage.Options} subclass.
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

    def opt_vhost_banner(self, text):
        """NAME=TEXT: the 220 reply to HOST for the --vhost that has NAME,
        repeatable [default: 'Host NAME ready']."""
        try:
            parseBannerOption(text)
        except ValueError as e:
            raise usage.UsageError(f"--vhost-banner: {e}")
        self.setdefault("vhost-banner", []).append(text)

    def opt_vhost_root(self, text):
        """NAME=DIR: the --vhost that has NAME serves DIR where its realm
        would serve --root (filesystem without a DIR, users:PATH, pg:DSN),
        repeatable [default: --root]."""
        try:
            parseRootOption(text)
        except ValueError as e:
            raise usage.UsageError(f"--vhost-root: {e}")
        self.setdefault("vhost-root", []).append(text)


def _byName(pairs, option, what):
    """
    @param pairs: C{(name, value)} pairs, one an option's value.
    @param option: the option, for the message.
    @param what: what its values are, plural, for the message.
    @return: a C{dict} of them.
    @raise usage.UsageError: for a name given twice (the last value
        replaced the first, without a word).
    """
    values = {}
    for name, value in pairs:
        if name in values:
            raise usage.UsageError(f"{option}: two {what} for {name!r}")
        values[name] = value
    return values


def vhostConfigFields(options):
    """
    Build each C{--vhost}'s realm with the realm plugins, and make the
    L{ftpkit.config.ServerConfig} arguments.

    @param options: parsed options mixing in L{VirtualHostOptionsMixin}
        (the C{ftpkit.deploy.tap.Options}: realm plugins read it as they read it
        for C{--realm}).
    @return: a C{dict} with C{virtualHosts} and C{vhostFallback}.
    @raise usage.UsageError: for an unknown realm, a realm plugin
        refusing its argument, a name given twice (to C{--vhost}, or
        to C{--vhost-banner} or C{--vhost-root}), a banner or root for
        a name no C{--vhost} has or for a host that has one already, or
        C{--vhost-fallback} without a C{--vhost}, or a C{--vhost-root}
        for a host whose realm serves no root (its plugin's optional
        C{servesRoot(argument)} says so: C{filesystem:DIR}, C{memory},
        C{fsspec:URL}), which it ignored without a word.
    """
    banners = _byName((parseBannerOption(text)
                       for text in options.get("vhost-banner", [])),
                      "--vhost-banner", "banners")
    roots = _byName((parseRootOption(text)
                     for text in options.get("vhost-root", [])),
                    "--vhost-root", "roots")
    hosts = []
    for text in options.get("vhost", []):
        names, spec = parseVhostOption(text)
        plugin, argument = findRealm(spec, "--vhost")
        given = [banners.pop(name) for name in names if name in banners]
        if len(given) > 1:
            raise usage.UsageError(
                f"--vhost-banner: two banners for the host of {names[0]!r}")
        rootsGiven = [roots.pop(name) for name in names if name in roots]
        if len(rootsGiven) > 1:
            raise usage.UsageError(
                f"--vhost-root: two roots for the host of {names[0]!r}")
        if rootsGiven and not servesRealm(plugin, argument, "Root"):
            raise usage.UsageError(
                f"--vhost-root: the host of {names[0]!r} serves {spec!r}, "
                f"which serves no root (the root would not be used)")
        realm = buildRealm(plugin, argument,
                           withRoot(options, rootsGiven[0])
                           if rootsGiven else options, f"--vhost: {spec}")
        hosts.append(VirtualHost(names, spec, realm,
                                 given[0] if given else None))
    try:
        hostTable(hosts)
    except ValueError as e:
        raise usage.UsageError(f"--vhost: {e}")
    if banners:
        raise usage.UsageError(
            f"--vhost-banner: no --vhost has the name {min(banners)!r}")
    if roots:
        raise usage.UsageError(
            f"--vhost-root: no --vhost has the name {min(roots)!r}")
    if options["vhost-fallback"] and not hosts:
        raise usage.UsageError(
            "--vhost-fallback: needs a --vhost (without one every HOST "
            "name gets the default realm already)")
    return {"virtualHosts": tuple(hosts),
            "vhostFallback": bool(options["vhost-fallback"])}
