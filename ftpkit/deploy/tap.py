"""
C{twistd ftpkit}: the command line (L{Options}) and the service it builds
(L{makeService}; the control-channel factory and its portal are
L{ftpkit.deploy.controlfactory}'s, whose L{makePortal} and L{makeFactory}
are importable from here too). How the command line behaves as a program
(its help, a bad option's one line, the signals held while it starts) is
L{ftpkit.deploy.commandline}'s, C{--auth} L{ftpkit.deploy.authoptions}'.

Every option value is checked in L{Options}: a bad one is a
L{usage.UsageError} whose one-line message starts with the option's name,
which C{twistd} prints before exiting with status 1. To add an option,
add it to C{optParameters} (or C{optFlags}), give it a converter in
L{Options.converters} if its text needs checking, and map it into the
L{ServerConfig} in L{Options.configFields}. The realm plugins are found
by L{ftpkit.deploy.realmplugins}, whose names this module gives too, as
it did when it held them.
"""

import sys
from typing import ClassVar

from twisted.cred import strcred
from twisted.python import usage

from ftpkit.config import ServerConfig
from ftpkit.control.implicitendpoints import checkImplicitArguments, implicitAsTCP
from ftpkit.control.tls import TLSOptionsMixin, tlsConfigFields
from ftpkit.deploy.accessoptions import AccessOptionsMixin, accessConfigFields
from ftpkit.deploy.anonymousentry import anonymousSeesHomes
from ftpkit.deploy.authoptions import AuthOptionsMixin
from ftpkit.deploy.cacheoptions import (
    ListingCacheOptionsMixin,
    listingCacheConfigFields,
)
from ftpkit.deploy.commandline import (
    CommandLineMixin,
    StandardErrorNow,
    helpNotRead,
    oneLine,
    usageErrorLine,
)
from ftpkit.deploy.controlfactory import (  # noqa: F401 (importable from here)
    makeFactory,
    makePortal,
)
from ftpkit.deploy.endpoints import parseServerEndpoint, withTruthValues
from ftpkit.deploy.limitoptions import (
    TransferLimitsOptionsMixin,
    transferLimitsConfigFields,
)
from ftpkit.deploy.onceonly import refuseRepeats
from ftpkit.deploy.opsoptions import (
    OperationsOptionsMixin,
    operationsConfigFields,
)
from ftpkit.deploy.optionvalues import (
    checkValues,
    nonNegativeNumber,
    passiveAddress,
    portRange,
    positiveInteger,
    replyText,
    timeoutSeconds,
    workerCount,
)
from ftpkit.deploy.pidfiles import checkPidFile
from ftpkit.deploy.proxyoptions import ProxyOptionsMixin, proxyConfigFields
from ftpkit.deploy.realmplugins import (
    buildRealm,
    describeImportFailure,
    findRealm,
    realmPlugins,
    writeRealmHelp,
)
from ftpkit.deploy.sameaddress import dualStack, firstClash
from ftpkit.deploy.startvalues import heldWhileParsed
from ftpkit.deploy.twistdids import twistdIdError
from ftpkit.deploy.twistdpaths import twistdPathError, twistdWarning
from ftpkit.deploy.vhostoptions import VirtualHostOptionsMixin, vhostConfigFields
from ftpkit.deploy.workercpus import workerCpuOption
from ftpkit.deploy.workerroots import rootByDefault, servedDirectoryAtStart
from ftpkit.protocol.limitkeys import parsePrefixLength
from ftpkit.protocol.numbertext import decimalText

# usageErrorLine and helpNotRead moved to commandline (session 47): code
# outside the package imports them from here still.
__all__ = ["usageErrorLine", "realmPlugins", "describeImportFailure", "findRealm",
           "Options", "makePortal", "makeFactory", "makeService", "helpNotRead"]

_DEFAULTS = ServerConfig()

class Options(CommandLineMixin, TLSOptionsMixin, OperationsOptionsMixin,
              AccessOptionsMixin, ProxyOptionsMixin, VirtualHostOptionsMixin,
              TransferLimitsOptionsMixin, ListingCacheOptionsMixin,
              AuthOptionsMixin, usage.Options,
              strcred.AuthOptionMixin):
    """
    The options of C{twistd ftpkit} and C{python -m ftpkit}.

    After L{parseOptions}: C{self["config"]} is the L{ServerConfig},
    C{self["realmObject"]} the realm, C{self["listen"]} the endpoint
    strings and C{self.get("credCheckers", [])} the checkers.

    @ivar onceOnly: the names of the options that refuse a second value
        (L{ftpkit.deploy.onceonly}).
    @cvar converters: maps a parameter name to a function checking and
        converting its text, raising C{ValueError} with the reason.
    @cvar paragraphs: what C{--help} says after the options, a paragraph
        each.
    @cvar realmOutput: where C{--help-realms} writes.
    @cvar errorOutput: where a usage error is written under C{twistd}.
    @ivar worker: whether a worker of C{--workers} parses them
        (L{ftpkit.deploy.worker.main}): it serves sessions, its acceptor
        does not.
    """

    worker = False
    synopsis = "[options]"
    # Twisted wraps longdesc as one paragraph; getUsage wraps these one by
    # one instead.
    longdesc = ""
    paragraphs = (
        "Serve FTP. Users log in with --auth checkers and see the realm "
        "chosen with --realm. With no --auth nobody can log in.",
        "--listen takes Twisted endpoint strings: tcp:2121:interface=127.0.0.1, "
        "'tcp6:2121:interface=\\:\\:1', ssl:990:privateKey=key.pem:certKey="
        "cert.pem, haproxy:tcp:2121, unix:/run/ftp.sock.",
        "--auth examples: anonymous, memory:alice:secret:bob:pw, "
        "file:/etc/ftpkit.passwd (USER:PASSWORD lines), unix, "
        "users:/etc/ftpkit/users.toml (with --realm users:PATH: hashed "
        "passwords, homes, permissions, quotas; python -m ftpkit.passwd "
        "writes it).",
    )

    realmOutput = sys.stdout
    errorOutput = StandardErrorNow()

    optFlags: ClassVar[list] = [
        ["home-per-user", None,
         ("Each user's / is ROOT/USERNAME, created on first login; "
          "anonymous users still get ROOT.")],
        ["read-only", None, "No command may change anything, for any user."],
        ["anonymous-write", None,
         ("Anonymous users may upload new files and make directories "
          "(never delete, rename or overwrite; not with --home-per-user, "
          "where anonymous users see every home).")],
        ["mode-z", None,
         ("Offer MODE Z (deflate-compressed data connections) in FEAT and "
          "accept it (off: 504); lftp, which then uses it, loses the end "
          "of listings.")],
    ]

    optParameters: ClassVar[list] = [
        ["realm", None, "filesystem",
         ("NAME[:ARGS] of the realm plugin that gives users their files "
          "(see --help-realms).")],
        ["passive-ports", None, None,
         "LOW-HIGH ports for PASV/EPSV listeners [default: any free port]."],
        ["passive-address", None, None,
         ("IPv4 address put in 227 replies (NAT, load balancer) "
          "[default: the control connection's local address].")],
        ["max-connections", None, str(_DEFAULTS.maxConnections),
         ("Sessions over this get 421 and are closed; a value past what "
          "the descriptor limit (ulimit -Hn) holds is warned of at start, "
          "and sessions past that get 421 too.")],
        ["max-connections-per-ip", None, str(_DEFAULTS.maxConnectionsPerIP),
         "Sessions over this from one client address get 421 and are closed."],
        ["ipv6-prefix-length", None, str(_DEFAULTS.ipv6PrefixLength),
         ("Bits of an IPv6 address that name one client for every "
          "per-address limit (sessions, passive listeners, the failed-login "
          "delay, --metrics connections): 64 counts a /64 as one client, "
          "128 each address.")],
        ["max-passive-per-ip", None, None,
         ("Passive listeners (PASV/EPSV waiting for their connection) one "
          "client address may hold at once, over all its sessions, and "
          "never more than half of --passive-ports; past it, 425; under "
          "--workers N each worker allows its sessions 1/N of it (at "
          "least 1) [default: half of --passive-ports; no limit without "
          "it].")],
        ["login-timeout", None, decimalText(_DEFAULTS.loginTimeout),
         ("Seconds a client may take to log in (after connecting, or a "
          "REIN that logged a user out); then it gets 421 and the "
          "connection closes, whatever it sent.")],
        ["idle-timeout", None, decimalText(_DEFAULTS.idleTimeout),
         "Seconds a control connection may stay idle."],
        ["data-timeout", None, decimalText(_DEFAULTS.dataTimeout),
         ("Seconds a data connection may move no byte before it is "
          "closed (426), a passive listener may wait for its "
          "client, and a client's passive connection for its "
          "transfer.")],
        ["max-login-attempts", None, str(_DEFAULTS.maxLoginAttempts),
         "Failed PASS before the connection is closed."],
        ["banner", None, _DEFAULTS.banner, "Text of the 220 greeting."],
        ["shutdown-grace", None, decimalText(_DEFAULTS.shutdownGrace),
         ("Seconds SIGTERM lets running transfers finish before closing "
          "them (idle sessions are closed at once).")],
        ["workers", None, "1",
         ("Processes serving sessions: with N > 1 an acceptor process hands "
          "connections to N workers (tcp:, tcp6: and ssl: listeners, "
          "haproxy: in front of them or not); at most 4 per CPU, as each "
          "is a whole process serving on one core.")],
        ["worker-cpus", None, None,
         ("LIST|auto: pin worker i of --workers to CPU LIST[i % len] "
          "(CPU numbers separated by commas; auto: every CPU this process "
          "may run on), the acceptor left unpinned; for a machine the "
          "server has to itself (Linux only).")],
    ]

    converters: ClassVar[dict] = {
        "passive-ports": portRange,
        "passive-address": passiveAddress,
        "max-connections": positiveInteger,
        "max-connections-per-ip": positiveInteger,
        "ipv6-prefix-length": parsePrefixLength,
        "max-passive-per-ip": positiveInteger,
        "idle-timeout": timeoutSeconds,
        "login-timeout": timeoutSeconds,
        "data-timeout": timeoutSeconds,
        "max-login-attempts": positiveInteger,
        "banner": replyText,
        "workers": workerCount,
        "worker-cpus": workerCpuOption,
        "shutdown-grace": nonNegativeNumber,
        "max-partials-per-user": positiveInteger,
    }

    def __init__(self):
        usage.Options.__init__(self)
        self.onceOnly = refuseRepeats(self)
        self.docs = {name: oneLine(doc) for name, doc in self.docs.items()}
        self.argv = []
        self["listen"] = []
        self["root"] = None  # postOptions: rootByDefault, unless given

    def opt_listen(self, description):
        """Endpoint to listen on, repeatable [default: tcp:2121]."""
        try:
            # ftpkit listens on an ssl: endpoint's tcp: one, in its own
            # TLS (the key is read with the other TLS options): Twisted's
            # parser would read the key, server.pem by default, even where
            # --tls-cert names the one used.
            description = withTruthValues(description)
            checkImplicitArguments(description)
            parseServerEndpoint(implicitAsTCP(description), description)
        except ValueError as e:
            raise usage.UsageError(f"--listen: {e}")
        self["listen"].append(description)

    def parseArgs(self, *arguments):
        """
        Refuse arguments that are no option's value, naming the first: a
        value holding a space and not quoted (C{--realm pg:host=db
        dbname=ftp}) leaves its second half here, and Twisted's own
        message, C{Wrong number of arguments.}, said neither which nor why.

        @param arguments: what follows the options.
        @raise usage.UsageError: when there is any.
        """
        if arguments:
            raise usage.UsageError(
                f"unexpected argument {arguments[0]!r} (each option takes "
                "one value: quote a value holding spaces)")

    def opt_root(self, directory):
        """Directory users see as / [default: the current directory]."""
        try:
            self["root"] = self["root-given"] = servedDirectoryAtStart(directory)
        except ValueError as e:
            raise usage.UsageError(f"--root: {e}")

    def opt_help_realms(self):
        """List the installed realms (--realm NAME) and exit."""
        writeRealmHelp(self.realmOutput)
        raise SystemExit(0)

    def configFields(self):
        """
        @return: the keyword arguments of the L{ServerConfig} these
            options describe (the values already converted).
        """
        fields = {
            "banner": self["banner"],
            "readOnly": bool(self["read-only"]),
            "anonymousWrite": bool(self["anonymous-write"]),
            "modeZ": bool(self["mode-z"]),
            "passivePorts": self["passive-ports"],
            "passiveAddress": self["passive-address"],
            "maxConnections": self["max-connections"],
            "maxConnectionsPerIP": self["max-connections-per-ip"],
            "ipv6PrefixLength": self["ipv6-prefix-length"],
            "maxPassivePerIP": self["max-passive-per-ip"],
            "workers": self["workers"],
            "idleTimeout": self["idle-timeout"],
            "loginTimeout": self["login-timeout"],
            "dataTimeout": self["data-timeout"],
            "maxLoginAttempts": self["max-login-attempts"],
            "shutdownGrace": self["shutdown-grace"],
        }
        fields.update(tlsConfigFields(self))
        fields.update(operationsConfigFields(self))
        fields.update(accessConfigFields(self))
        fields.update(proxyConfigFields(self))
        fields.update(vhostConfigFields(self))
        fields.update(transferLimitsConfigFields(self))
        fields.update(listingCacheConfigFields(self))
        return fields

    def parseOptions(self, options=None):
        """
        Parse (see L{CommandLineMixin.parseOptions}), the values the
        checkers and realms work out over their users held until the
        options say whether this process serves sessions: the acceptor of
        C{--workers} does not (L{ftpkit.deploy.startvalues}); its workers,
        parsing the same options, do (L{worker}).

        @param options: the arguments, C{sys.argv[1:]} when C{None}.
        """
        with heldWhileParsed() as decided:
            CommandLineMixin.parseOptions(self, options)
            decided["serves"] = self["workers"] == 1 or self.worker

    def postOptions(self):
        """
        Convert and check every value, build the realm and the
        L{ServerConfig}.

        @raise usage.UsageError: naming the option whose value is bad.
        """
        self["root"] = self["root"] or rootByDefault()
        self.update(checkValues(self, self.converters))
        parent = getattr(self, "parent", None)
        why = (twistdPathError(parent) or twistdIdError(parent)
               or checkPidFile(parent))
        if why is not None:
            raise usage.UsageError(why)
        warning = twistdWarning(parent)
        if warning is not None:
            self.errorOutput.write(f"warning: {warning}\n")
        if self["read-only"] and self["anonymous-write"]:
            raise usage.UsageError(
                "--anonymous-write: contradicts --read-only (nobody may "
                "change anything)")
        if not self["listen"]:
            self["listen"] = ["tcp:2121"]
        plugin, argument = findRealm(self["realm"])
        self["realmObject"] = buildRealm(plugin, argument, self, "--realm")
        self["realmPlugin"] = plugin
        self["config"] = ServerConfig(**self.configFields())
        clash = firstClash(self["listen"], self["config"].metrics,
                           dualStack(), self["config"].passivePorts)
        if clash is not None:
            raise usage.UsageError(clash)
        if self["anonymous-write"] and anonymousSeesHomes(self):
            raise usage.UsageError(
                "--anonymous-write: with --home-per-user anonymous users get "
                "--root (or a --vhost's directory), which holds every user's "
                "home: they could upload into any home, and make the home of "
                "a user who has not logged in yet with their files in it. "
                "Give anonymous users a home of their own with --realm "
                "users:PATH (an entry named anonymous) instead")
        if self["worker-cpus"] is not None and self["workers"] == 1:
            raise usage.UsageError(
                "--worker-cpus: pins the workers of --workers N (N > 1), "
                "and there are none")
        if self["workers"] > 1:
            from ftpkit.deploy.acceptor import acceptorAddress

            for description in self["listen"]:
                try:
                    acceptorAddress(description)
                except ValueError as e:
                    raise usage.UsageError(f"--workers: {e}")
            self._checkSharedRealms()

    def _checkSharedRealms(self):
        """
        Refuse a realm that lives in one process (its C{oneProcess} is
        true: C{memory}) under C{--workers}, where each worker would build
        one of its own: a client would find its upload, or not, depending
        on the worker its next session landed on.

        @raise usage.UsageError: naming the realm.
        """
        realms = [("--realm " + self["realm"], self["realmObject"])]
        realms += [("--vhost " + ",".join(host.names), host.realm)
                   for host in self["config"].virtualHosts]
        for where, realm in realms:
            if getattr(realm, "oneProcess", False):
                raise usage.UsageError(
                    f"--workers: {where} keeps its files in one process' "
                    f"memory, and each worker would have its own; serve it "
                    f"with one process")


def makeService(options):
    """
    Build the FTP server that C{options} describes (see
    L{ftpkit.deploy.service.makeService}, which every ftpkit process uses).

    @param options: a parsed L{Options}.
    @return: a L{twisted.application.service.MultiService}.
    """
    from ftpkit.deploy.service import makeService

    return makeService(options)
