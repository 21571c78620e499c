"""
What the operator should know of the options before the server starts
(L{warnAtStart}), logged by one process or the acceptor
(L{ftpkit.deploy.service.makeService}), never by its workers.
"""

import resource

from twisted.logger import Logger

from ftpkit.configvalues import mappedLeftOut, operatorNetwork
from ftpkit.control.sessionlimits import familiesDenied
from ftpkit.control.tls import freshTicketsMissing
from ftpkit.control.tlsfiles import serialNotPositive
from ftpkit.data.passiveshares import passiveCapNote
from ftpkit.deploy.anonymousentry import (
    anonymousSeesHomes,
    warnAnonymousWithoutEntry,
)
from ftpkit.deploy.fdlimit import connectionsNote, limitAtStart
from ftpkit.deploy.realmplugins import unusedHomes, unusedRoot

_log = Logger(namespace="ftpkit.deploy.service")


def warnSerial(contextFactory):
    """
    Log a warning when the certificate of C{--tls-cert} has a serial number
    that is not positive (L{ftpkit.control.tlsfiles.serialNotPositive}).

    @param contextFactory: the L{ftpkit.control.tls.FTPSContextFactory}
        read from C{--tls-cert}.
    """
    if serialNotPositive(contextFactory.chain[0]):
        _log.warn(
            "--tls-cert {path}: the certificate's serial number is not "
            "positive, which RFC 5280 forbids: a later release of the "
            "cryptography library will refuse to load it (issue a new "
            "certificate)", path=contextFactory.paths[0])


def warnUnused(options):
    """
    Log a warning for C{--root} or C{--home-per-user} given where no realm
    uses it (L{ftpkit.deploy.realmplugins.unusedRoot},
    L{ftpkit.deploy.realmplugins.unusedHomes}).

    @param options: a parsed L{ftpkit.deploy.tap.Options}.
    """
    specs = [host.realmSpec for host in options["config"].virtualHosts]
    for text in (unusedHomes(options, specs), unusedRoot(options, specs)):
        if text is not None:
            _log.warn("{text}", text=text)


_MAPPED_ADVICE = {
    "--allow-from": "give 0.0.0.0/0 (or their IPv4 networks) as well to "
                    "match them",
    "--deny-from": "give their IPv4 networks as well to deny them",
    "--trusted-proxy": "give 0.0.0.0/0 (or their IPv4 networks) as well "
                       "to match them",
}
"""What the warning of L{warnMappedLeftOut} advises, by option: never
C{--deny-from 0.0.0.0/0}, which denies every IPv4 client (and with an
IPv6 network denying every IPv6 one, stops the start)."""

_MAPPED_NOTE = (
    "IPv4 clients are matched as IPv4 addresses, even on a dual-stack "
    "listener (as ::ffff:a.b.c.d)")
"""Why an IPv6 network holding the IPv4-mapped block matches no IPv4
client (L{ftpkit.configvalues.mappedLeftOut})."""


def warnMappedLeftOut(config):
    """
    Log a warning for each network of C{--allow-from}, C{--deny-from} and
    C{--trusted-proxy} that holds the IPv4-mapped addresses but matches
    no IPv4 client (L{ftpkit.configvalues.mappedLeftOut}): C{--deny-from
    ::/64} denied no IPv4 client of a dual-stack listener, and
    C{--allow-from ::/0} let none in, without a word. A C{--deny-from}
    network is not warned of when every IPv6 address is denied: the
    warning of L{warnFamilyDenied} says it (C{--deny-from ::/0} got two).

    @param config: the L{ftpkit.config.ServerConfig}.
    """
    deny = () if 6 in familiesDenied(config.denyFrom) else config.denyFrom
    for option, networks in (("--allow-from", config.allowFrom),
                             ("--deny-from", deny),
                             ("--trusted-proxy", config.trustedProxies)):
        for network in map(operatorNetwork, networks):
            if mappedLeftOut(network):
                _log.warn(
                    "{option} {network}: " + _MAPPED_NOTE + ", so this "
                    "network holds none of them: {advice}", option=option,
                    network=str(network), advice=_MAPPED_ADVICE[option])


def familyDeniedText(version, networks):
    """
    @param version: an IP version every address of which C{--deny-from}
        holds (L{ftpkit.control.sessionlimits.familiesDenied}).
    @param networks: the C{--deny-from} networks of that version, as the
        operator wrote them.
    @return: the warning saying so, and, when one of them looks as if it
        held IPv4 clients (L{ftpkit.configvalues.mappedLeftOut}), that it
        refuses none.
    """
    text = (f"--deny-from {', '.join(networks)}: denies every "
            f"IPv{version} address, so every IPv{version} client is "
            "refused")
    if any(mappedLeftOut(operatorNetwork(network)) for network in networks):
        text += f"; {_MAPPED_NOTE}, so none of them is"
    return text


def warnFamilyDenied(config):
    """
    Log a warning for each IP version every address of which
    C{--deny-from} holds (L{ftpkit.control.sessionlimits.familiesDenied};
    L{familyDeniedText}): C{--deny-from 0.0.0.0/0} refused every IPv4
    client without a word. The server starts all the same (an operator
    may mean it); one that would refuse every client does not
    (L{ftpkit.deploy.opsoptions.operationsConfigFields}).

    @param config: the L{ftpkit.config.ServerConfig}.
    """
    for version in familiesDenied(config.denyFrom):
        networks = [text for text in config.denyFrom
                    if operatorNetwork(text).version == version]
        _log.warn("{text}", text=familyDeniedText(version, networks))


def warnAtStart(options):
    """
    Log what the operator should know of C{options} before the server
    starts: no C{--auth}, anonymous users seeing every home, options no
    realm uses, TLS settings this cryptography cannot keep, a passive
    port range too small for its per-address cap, IPv6 networks that look
    as if they held IPv4 clients, C{--deny-from} refusing every client of
    an IP version, C{--max-connections} past the descriptors. One
    process, or the
    acceptor, warns; its workers do not repeat it.

    @param options: a parsed L{ftpkit.deploy.tap.Options}.
    """
    if not options.get("credCheckers", []):
        _log.warn(
            "No --auth given: nobody can log in. Add --auth anonymous, "
            "--auth file:PASSWDFILE or --auth unix (see --help-auth)."
        )
    if anonymousSeesHomes(options):
        _log.warn(
            "--home-per-user with --auth anonymous: anonymous users see "
            "--root, which holds every user's home, so they can read every "
            "user's files. Give anonymous users a home of their own with "
            "--realm users:PATH (an entry named anonymous) instead."
        )
    warnAnonymousWithoutEntry(options)
    warnUnused(options)
    config = options["config"]
    warnMappedLeftOut(config)
    warnFamilyDenied(config)
    if freshTicketsMissing(config.tlsContextFactory,
                           config.tlsRequireSessionReuse):
        _log.warn(
            "--tls-require-session-reuse with --tls-allow-1.3: this "
            "cryptography gives no way to send new TLS session tickets, "
            "so curl's data connections after an upload will be refused "
            "(see docs/tls.rst, 'Session reuse')."
        )
    if config.tlsContextFactory is not None:
        warnSerial(config.tlsContextFactory)
    capNote = passiveCapNote(config.maxPassivePerIP, config.passivePorts,
                             config.workers)
    if capNote is not None:
        _log.warn("{text}", text=capNote)
    warnDescriptors(config)


def warnDescriptors(config, getrlimit=resource.getrlimit):
    """
    Log a warning when C{--max-connections} is more sessions than the
    descriptors the server will have can hold
    (L{ftpkit.deploy.fdlimit.connectionsNote}): the limit was taken
    without a word, and clients past the descriptors got C{421} for a
    reason the options did not show.

    @param config: the L{ftpkit.config.ServerConfig}.
    @param getrlimit: L{resource.getrlimit}.
    """
    note = connectionsNote(config.maxConnections, config.workers,
                           limitAtStart(getrlimit))
    if note is not None:
        _log.warn("{text}", text=note)
