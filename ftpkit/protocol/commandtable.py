"""
Every FTP verb ftpkit knows, as data.

Login checks, access rules (C{--read-only}, anonymous users), FEAT and HELP
all read this one table, so the server can never advertise what it does not
implement, nor let a verb change what its access class does not allow.
Pure: no Twisted.
"""

import functools
from dataclasses import dataclass
from typing import Optional

from ftpkit.protocol import factchanges
from ftpkit.protocol.access import CHANGE, CREATE, READ
from ftpkit.protocol.checksums import X_SYNTAX, X_VERBS

NONE = "none"
"""Takes no argument; one given is refused with C{501}, a reply the verb's
specification gives it (RFC 959; RFC 2389 for C{FEAT}: "giving
parameters, will result in a 501 reply")."""
IGNORED = "ignored"
"""Takes no argument; one given is ignored: the verb's specification gives
it no C{501} (C{NOOP}, C{QUIT}, C{REIN}, C{CCC}), or refusing it would
leave the client's intent undone (C{ABOR})."""
REQUIRED = "required"
OPTIONAL = "optional"

HASHING = "hashing"
"""The capability of a shell that checksums files
(L{ftpkit.interfaces.IFTPShellHash}), which C{HASH} and the X-verbs
need."""

MEASURING = "measuring"
"""The capability of a shell that knows the room left for uploads
(L{ftpkit.interfaces.IFTPShellAvailable}), which C{AVBL} needs."""

WRITING_AT_OFFSETS = "writing at offsets"
"""The capability of a shell whose uploads can write into a file (at a
C{REST} offset, or at its end), which C{APPE} needs: every shell's but
one that says otherwise (L{ftpkit.interfaces.IFTPShellUploadOffsets})."""

LACKING = {
    HASHING: "this storage keeps no checksums",
    MEASURING: "this storage does not tell the room left",
    WRITING_AT_OFFSETS: "this storage writes whole files (no resume, no"
                        " append): send the whole file with STOR",
}
"""Why a session lacking a capability does not offer a command needing
it (L{unavailable})."""


@dataclass(frozen=True)
class Command:
    """
    How one verb behaves before its handler runs.

    @ivar verb: the upper-case verb, e.g. C{"RETR"}.
    @ivar handler: the verb whose C{ftp_VERB} method handles it (aliases
        such as C{XPWD} point at C{PWD}).
    @ivar argument: L{NONE}, L{IGNORED}, L{REQUIRED} or L{OPTIONAL}.
    @ivar needsLogin: refused with C{530} before login.
    @ivar access: what it may change, checked by
        L{ftpkit.protocol.access.AccessPolicy.allows} before it runs:
        L{ftpkit.protocol.access.READ} (nothing),
        L{ftpkit.protocol.access.CREATE} (makes
        something new) or L{ftpkit.protocol.access.CHANGE} (changes or removes
        what exists).
    @ivar feature: its FEAT line, if any.
    @ivar syntax: the HELP text.
    @ivar rfc: where it is specified.
    @ivar duringTransfer: acted on as soon as it arrives while a transfer
        runs, instead of waiting for it to finish (its reply still keeps
        its turn among those of the commands before it).
    @ivar capability: what the session's shell must offer for the verb to
        work (L{HASHING}, L{MEASURING}, L{WRITING_AT_OFFSETS} or C{None}):
        C{FEAT} lists its feature only in sessions that offer it.
    @ivar method: the name of the protocol's method that handles it,
        C{"ftp_"} and L{handlerVerb}.
    """

    verb: str
    syntax: str
    rfc: str
    argument: str = NONE
    needsLogin: bool = True
    access: str = READ
    feature: Optional[str] = None
    handler: str = ""
    duringTransfer: bool = False
    capability: Optional[str] = None

    def __post_init__(self):
        # Worked out once: the control connection reads it for every
        # command.
        object.__setattr__(self, "method", "ftp_" + self.handlerVerb)

    @property
    def handlerVerb(self) -> str:
        """
        @return: the verb whose method implements this command.
        """
        return self.handler or self.verb


def _table(*commands):
    return {command.verb: command for command in commands}


COMMANDS = _table(
    # Access control (RFC 959 4.1.1)
    Command("USER", "USER <sp> username", "RFC 959", REQUIRED, needsLogin=False),
    Command("PASS", "PASS <sp> password", "RFC 959", OPTIONAL, needsLogin=False),
    Command("ACCT", "ACCT <sp> account", "RFC 959", REQUIRED, needsLogin=False),
    Command("CWD", "CWD <sp> pathname", "RFC 959", REQUIRED),
    Command("XCWD", "XCWD <sp> pathname", "RFC 775", REQUIRED, handler="CWD"),
    Command("CDUP", "CDUP", "RFC 959"),
    Command("XCUP", "XCUP", "RFC 775", handler="CDUP"),
    Command("REIN", "REIN", "RFC 959", IGNORED, needsLogin=False),
    Command("QUIT", "QUIT", "RFC 959", IGNORED, needsLogin=False),
    Command("HOST", "HOST <sp> hostname", "RFC 7151", REQUIRED,
            needsLogin=False, feature="HOST"),
    Command("CLNT", "CLNT <sp> client-name", "ProFTPD mod_core", REQUIRED,
            needsLogin=False, feature="CLNT"),
    Command("CSID", "CSID <sp> Name=client-name; Version=version;",
            "Serv-U (WinSCP)", REQUIRED, needsLogin=False, feature="CSID"),
    # Transfer parameters (RFC 959 4.1.2)
    Command("PORT", "PORT <sp> h1,h2,h3,h4,p1,p2", "RFC 959", REQUIRED),
    Command("PASV", "PASV", "RFC 959"),
    Command("EPRT", "EPRT <sp> |proto|addr|port|", "RFC 2428", REQUIRED,
            feature="EPRT"),
    Command("EPSV", "EPSV [<sp> proto|ALL]", "RFC 2428", OPTIONAL,
            feature="EPSV"),
    # Not in FEAT: FileZilla sends PRET before every PASV where FEAT
    # lists it, a round trip for nothing; curl sends it when told to.
    Command("PRET", "PRET <sp> command [<sp> argument]",
            "drftpd (curl --ftp-pret)", REQUIRED),
    Command("TYPE", "TYPE <sp> A | I | L 8", "RFC 959", REQUIRED),
    Command("STRU", "STRU <sp> F", "RFC 959", REQUIRED),
    Command("MODE", "MODE <sp> S | Z", "RFC 959, draft-preston-ftpext-deflate",
            REQUIRED, feature="MODE Z"),  # Z with --mode-z only: syntaxOf
    # Service commands (RFC 959 4.1.3)
    Command("RETR", "RETR <sp> pathname", "RFC 959", REQUIRED),
    Command("STOR", "STOR <sp> pathname", "RFC 959", REQUIRED,
            access=CREATE),
    Command("STOU", "STOU [<sp> pathname]", "RFC 959", OPTIONAL,
            access=CREATE),
    Command("APPE", "APPE <sp> pathname", "RFC 959", REQUIRED, access=CHANGE,
            capability=WRITING_AT_OFFSETS),
    Command("ALLO", "ALLO <sp> bytes [<sp> R <sp> size]", "RFC 959",
            REQUIRED),
    Command("REST", "REST <sp> offset", "RFC 3659", REQUIRED,
            feature="REST STREAM"),
    Command("RNFR", "RNFR <sp> pathname", "RFC 959", REQUIRED, access=CHANGE),
    Command("RNTO", "RNTO <sp> pathname", "RFC 959", REQUIRED, access=CHANGE),
    Command("ABOR", "ABOR", "RFC 959", IGNORED, needsLogin=False,
            duringTransfer=True),
    Command("DELE", "DELE <sp> pathname", "RFC 959", REQUIRED, access=CHANGE),
    Command("RMD", "RMD <sp> pathname", "RFC 959", REQUIRED, access=CHANGE),
    Command("XRMD", "XRMD <sp> pathname", "RFC 775", REQUIRED, access=CHANGE,
            handler="RMD"),
    Command("MKD", "MKD <sp> pathname", "RFC 959", REQUIRED, access=CREATE),
    Command("XMKD", "XMKD <sp> pathname", "RFC 775", REQUIRED, access=CREATE,
            handler="MKD"),
    Command("PWD", "PWD", "RFC 959"),
    Command("XPWD", "XPWD", "RFC 775", handler="PWD"),
    Command("LIST", "LIST [<sp> pathname]", "RFC 959", OPTIONAL),
    Command("NLST", "NLST [<sp> pathname]", "RFC 959", OPTIONAL),
    Command("SITE", "SITE <sp> CHMOD <sp> mode <sp> pathname | UTIME <sp> "
            "YYYYMMDDhhmm[ss] <sp> pathname | MKDIR <sp> pathname | HELP",
            "RFC 959", REQUIRED),
    Command("SYST", "SYST", "RFC 959", needsLogin=False),
    Command("STAT", "STAT [<sp> pathname]", "RFC 959", OPTIONAL,
            needsLogin=False, duringTransfer=True),
    Command("HELP", "HELP [<sp> command]", "RFC 959", OPTIONAL,
            needsLogin=False),
    Command("NOOP", "NOOP", "RFC 959", IGNORED, needsLogin=False,
            duringTransfer=True),
    # Extensions
    Command("FEAT", "FEAT", "RFC 2389", needsLogin=False),
    Command("OPTS", "OPTS <sp> command [<sp> options]", "RFC 2389",
            REQUIRED, needsLogin=False, feature="UTF8"),
    Command("SIZE", "SIZE <sp> pathname", "RFC 3659", REQUIRED,
            feature="SIZE"),
    Command("MDTM", "MDTM <sp> pathname", "RFC 3659", REQUIRED,
            feature="MDTM"),
    Command("MFMT", "MFMT <sp> YYYYMMDDHHMMSS pathname",
            "draft-somers-ftp-mfxx", REQUIRED, access=CHANGE,
            feature="MFMT"),
    Command("MFF", "MFF <sp> fact=value;[fact=value;]... <sp> pathname",
            "draft-somers-ftp-mfxx", REQUIRED, access=CHANGE,
            feature=factchanges.FEATURE),
    Command("LANG", "LANG [<sp> language-tag]", "RFC 2640", OPTIONAL,
            needsLogin=False, feature="LANG EN*"),
    Command("MLST", "MLST [<sp> pathname]", "RFC 3659", OPTIONAL),
    Command("MLSD", "MLSD [<sp> pathname]", "RFC 3659", OPTIONAL),
    Command("AVBL", "AVBL [<sp> pathname]",
            "draft-peterson-streamlined-ftp-command-extensions", OPTIONAL,
            feature="AVBL", capability=MEASURING),
    Command("HASH", "HASH <sp> pathname", "draft-bryan-ftpext-hash", REQUIRED,
            capability=HASHING),
    *(Command(verb, verb + " " + X_SYNTAX, "ProFTPD mod_digest", REQUIRED,
              feature=verb, capability=HASHING,
              handler="XSHA1" if verb == "XSHA" else "")
      for verb in X_VERBS),
    Command("AUTH", "AUTH <sp> TLS", "RFC 4217", REQUIRED, needsLogin=False),
    Command("PBSZ", "PBSZ <sp> 0", "RFC 4217", REQUIRED, needsLogin=False,
            feature="PBSZ"),
    Command("PROT", "PROT <sp> C | P", "RFC 4217", REQUIRED,
            needsLogin=False, feature="PROT"),
    Command("CCC", "CCC", "RFC 4217", IGNORED, feature="CCC"),
    Command("SSCN", "SSCN [<sp> ON | OFF]", "ProFTPD mod_tls", OPTIONAL,
            feature="SSCN"),
    Command("CPSV", "CPSV", "secure FXP (lftp)", feature="CPSV"),
)
"""Every verb ftpkit implements, by name."""

KNOWN_UNIMPLEMENTED = frozenset(
    ["SMNT", "ADAT", "MIC", "CONF", "ENC", "RANG", "XRSQ",
     "XRCP", "XSEM", "XSEN", "MLFL", "MAIL", "MSND", "MSOM", "MSAM", "MRSQ",
     "MRCP", "LPRT", "LPSV", "MFCT"]
)
"""Verbs of published FTP specifications that ftpkit answers with 502
(and C{HELP} says are not implemented). RFC 1639's C{LPRT} and C{LPSV}
are among them: C{EPRT} and C{EPSV} (RFC 2428) replaced them; so is
draft-somers-ftp-mfxx's C{MFCT}: no shell can set a creation time."""

NAMING_NEW = frozenset(["STOR", "STOU", "APPE", "RNTO"])
"""The verbs that name a file to make, the only ones RFC 959 gives C{553}
(file name not allowed); any other refusing a name answers C{550}."""

SITE_ACCESS = {"CHMOD": CHANGE, "UTIME": CHANGE, "MKDIR": CREATE,
               "HELP": READ}
"""The access class of each C{SITE} command (C{SITE} itself changes
nothing: each of its commands is checked on its own, L{accessOf})."""

SITE_FEATURES = {"MKDIR": "SITE MKDIR"}
"""The C{FEAT} line of each C{SITE} command that has one, listed where
the session's user may use the command's access class
(L{SITE_ACCESS}): ProFTPD's mod_site_misc lists C{SITE MKDIR}, and lftp
sends it for C{mkdir -p} (one command for the whole path, each missing
directory made) only where C{FEAT} lists it."""


def accessOf(command, argument):
    """
    The access class a command line needs, which the user's rules are
    checked against before it runs: its verb's (L{Command.access}), or
    for C{SITE} its command's (L{SITE_ACCESS}; C{READ} for one ftpkit
    does not know, which its handler refuses).

    @param command: the verb's L{Command}.
    @param argument: the command's argument.
    @return: L{READ}, L{CREATE} or L{CHANGE}.
    """
    if command.verb != "SITE":
        return command.access
    name = argument.lstrip(" ").partition(" ")[0].upper()
    return SITE_ACCESS.get(name, READ)


def lookup(verb):
    """
    @param verb: an upper-case verb as parsed from a command line.
    @return: its L{Command}, or C{None} when ftpkit does not know it.
    """
    return COMMANDS.get(verb)


TLS_ONLY = frozenset(["PBSZ", "PROT", "SSCN", "CPSV"])
"""The verbs C{FEAT} lists only where TLS is configured."""

TLS_CLIENT_ROLE = frozenset(["SSCN", "CPSV"])
"""The verbs that make the server the TLS client of a data connection
(secure FXP), which C{FEAT} lists only where it may take that role."""

PASSIVE_IPV4 = frozenset(["PASV", "CPSV"])
"""The verbs whose reply (C{227}) can name only an IPv4 address: on a
control connection whose local address is IPv6 they get C{522}."""

ACTIVE_IPV4 = frozenset(["PORT"])
"""The verbs that name only an IPv4 address to connect back to: from a
client whose address is IPv6 they get C{501} (not its own address)."""

BEFORE_EPSV_ALL = frozenset(["PASV", "CPSV", "PORT", "EPRT"])
"""The data connection commands refused (C{503}) after C{EPSV ALL}
(RFC 2428 section 4), which only C{REIN} undoes."""

DATA_CONNECTION = frozenset(["PASV", "CPSV", "EPSV", "PORT", "EPRT"])
"""The verbs that set up a data connection: to a client with no address
(a C{unix:} listener's) each gets C{425} or C{501}, but C{EPSV ALL}, which
only forbids the others."""

NEEDS_ADDRESS = DATA_CONNECTION | {"SSCN"}
"""The verbs not offered to a client with no address: those of
L{DATA_CONNECTION}, and C{SSCN}, whose C{ON} (the server as the TLS
client of data connections there can be none of) gets C{425} there, as
C{EPSV} does but for C{EPSV ALL}."""

CONDITIONAL = (TLS_ONLY | TLS_CLIENT_ROLE | PASSIVE_IPV4 | ACTIVE_IPV4
               | BEFORE_EPSV_ALL | NEEDS_ADDRESS | {"AUTH", "CCC", "REIN"}
               | {verb for verb, command in COMMANDS.items()
                  if command.capability is not None})
"""The verbs L{unavailable} may give a reason for; every other verb is
offered in every session, and is not asked about (C{FEAT} and C{HELP}
ask about these alone: every verb, each through keyword arguments, made
them half again as costly)."""


def unavailable(command, tlsEnabled, allowCCC=False, capabilities=frozenset(),
                passiveIPv4=True, tlsClientRole=True, activeIPv4=True,
                epsvAll=False, underTLS=False, tlsClearable=True,
                reinitializable=True, hasAddress=True):
    """
    Why a session does not offer a command (in C{FEAT}, its feature; in
    C{HELP}, the verb): one it would refuse whatever its argument, in
    this state of the session (C{EPSV} of a client with no address, whose
    C{EPSV ALL} alone is accepted, forbidding what is refused anyway, is
    one). A refusal that only a command the client
    can still send undoes (C{PBSZ} before C{AUTH TLS}) is no reason: the
    command is offered.

    @param command: a L{Command}.
    @param tlsEnabled: whether C{AUTH TLS} is available: C{AUTH} and the
        verbs of L{TLS_ONLY} are offered only then.
    @param allowCCC: whether C{CCC} is accepted (C{--tls-allow-ccc}); it
        is offered only then, and only with TLS.
    @param capabilities: what the session's shell offers (L{HASHING},
        L{MEASURING}, L{WRITING_AT_OFFSETS}): a command that needs another
        capability is not offered.
    @param passiveIPv4: whether the control connection can have a C{227}
        reply (an IPv4 one): the verbs of L{PASSIVE_IPV4} are offered
        only then (lftp, seeing C{CPSV} listed, asks for no C{SSCN} and
        then sends C{EPSV}, which leaves the data connection of a copy
        between two servers without a TLS client).
    @param tlsClientRole: whether the server may be the TLS client of a
        data connection: not with C{--tls-require-session-reuse}, where
        C{SSCN ON} and C{CPSV} get C{534}, and C{SSCN} and C{CPSV} are
        not offered (lftp sends C{CPSV} to a server that lists it).
    @param activeIPv4: whether the client's address is IPv4: the verbs of
        L{ACTIVE_IPV4} are offered only then.
    @param epsvAll: whether the session sent C{EPSV ALL}: the verbs of
        L{BEFORE_EPSV_ALL} are not offered after it.
    @param underTLS: whether the control connection is under TLS
        (C{AUTH TLS} done, or implicit): C{AUTH} gets C{503} there.
    @param tlsClearable: whether C{CCC} could end that TLS (not implicit
        TLS, where it gets C{534}).
    @param reinitializable: whether C{REIN} is accepted: not on a control
        connection under TLS, where it gets C{502}.
    @param hasAddress: whether the client has an address: the verbs of
        L{NEEDS_ADDRESS} are offered only then.
    @return: the reason, as text to follow C{"VERB is not available
        here: "}, or C{None} when the session offers C{command}.
    """
    verb = command.verb
    if not tlsEnabled and (verb in TLS_ONLY or verb in ("AUTH", "CCC")):
        return "TLS is not configured on this server"
    if verb == "AUTH" and underTLS:
        return "the control connection is under TLS already"
    if verb == "CCC" and not allowCCC:
        return "CCC is not allowed on this server"
    if verb == "CCC" and not tlsClearable:
        return "TLS cannot end on this connection (implicit TLS)"
    if verb == "REIN" and not reinitializable:
        return "not on a TLS control connection; QUIT and connect again"
    if not hasAddress and verb in NEEDS_ADDRESS:
        return ("this connection does not give your address (a Unix"
                " socket's), which a data connection needs")
    if epsvAll and verb in BEFORE_EPSV_ALL:
        return "only EPSV sets up data connections after EPSV ALL"
    if not passiveIPv4 and verb in PASSIVE_IPV4:
        return "use EPSV on an IPv6 connection"
    if not activeIPv4 and verb in ACTIVE_IPV4:
        return "use EPRT on an IPv6 connection"
    if not tlsClientRole and verb in TLS_CLIENT_ROLE:
        return ("data connections must resume the control connection's"
                " TLS session here")
    if command.capability is not None and (
            command.capability not in capabilities):
        return LACKING[command.capability]
    return None


def offered(command, tlsEnabled, **settings):
    """
    Whether a session offers a command: lists it in C{FEAT} (its feature)
    and C{HELP}.

    @param command: a L{Command}.
    @param tlsEnabled: see L{unavailable}.
    @param settings: the other keyword arguments of L{unavailable}.
    @return: whether it is offered (L{unavailable} gives no reason).
    """
    return unavailable(command, tlsEnabled, **settings) is None


def unavailableVerbs(tlsEnabled, **settings):
    """
    @param tlsEnabled: see L{unavailable}.
    @param settings: the other keyword arguments of L{unavailable}.
    @return: a C{dict} from each verb a session does not offer to why
        (L{unavailable}).
    """
    reasons = {}
    for verb in CONDITIONAL:
        reason = unavailable(COMMANDS[verb], tlsEnabled, **settings)
        if reason is not None:
            reasons[verb] = reason
    return reasons


MODE_Z = "MODE Z"
"""C{MODE}'s feature line (draft-preston-ftpext-deflate), listed only where
the server offers C{MODE Z} (C{--mode-z}, L{featureLines})."""

MODE_Z_OPTION = "--mode-z"
"""The option that offers C{MODE Z}, as L{protocolTable} names it."""


def syntaxOf(command, modeZ=False):
    """
    @param command: a L{Command}.
    @param modeZ: whether the server offers C{MODE Z} (C{--mode-z}).
    @return: the syntax C{HELP} and a C{501} give: the table's, but
        C{MODE}'s without C{Z} where C{MODE Z} is not offered.
    """
    if command.feature == MODE_Z and not modeZ:
        return "MODE <sp> S"
    return command.syntax


FEATURE_SETS = 256
"""How many sets of L{featureLines}' arguments keep their lines: a server
has few (the TLS state, the session's C{MLST} facts and C{HASH}
algorithm, what its shells and users may do), and a session that
changes its facts again and again only makes more."""


def featureLines(tlsEnabled, mlstFeature, hashFeature, unsupported=frozenset(),
                 modeZ=False, **settings):
    """
    The lines of a FEAT reply, from the table and the session's options.

    @param tlsEnabled: see L{unavailable}.
    @param mlstFeature: the C{MLST ...} line with the selected facts.
    @param hashFeature: the C{HASH ...} line, or C{None} if the shell has
        no checksums.
    @param unsupported: keywords of lines the shell's storage cannot honour
        (see L{ftpkit.interfaces.IFTPShellFeatures}), left out.
    @param modeZ: whether the server offers C{MODE Z} (C{--mode-z}): its
        line, L{MODE_Z}, is listed only then (lftp uses C{MODE Z} wherever
        C{FEAT} lists it, and loses the end of listings in it).
    @param settings: the other keyword arguments of L{unavailable}.
    @return: a sorted list of feature lines (without leading space): the
        features of the commands L{offered}, and C{AUTH TLS} wherever TLS
        is configured (RFC 4217 has C{FEAT} list it; under TLS already,
        C{HELP} alone leaves C{AUTH} out). Made once for each set of
        arguments (L{FEATURE_SETS} kept): they depend only on the
        configuration and the session's state, and asking every verb at
        every C{FEAT} was a third of its work (C{bench-feat-55}).
    """
    if "capabilities" in settings:
        settings["capabilities"] = frozenset(settings["capabilities"])
    return list(_featureLines(tlsEnabled, mlstFeature, hashFeature,
                              frozenset(unsupported), modeZ, **settings))


@functools.lru_cache(maxsize=FEATURE_SETS)
def _featureLines(tlsEnabled, mlstFeature, hashFeature, unsupported, modeZ,
                  **settings):
    """
    L{featureLines}, from hashable arguments.

    @param tlsEnabled: see L{featureLines}; so are C{mlstFeature},
        C{hashFeature}, C{unsupported} (a C{frozenset}), C{modeZ} and
        C{settings} (their C{capabilities} a C{frozenset}).
    @return: the lines, a C{tuple}: a caller may not change the one kept.
    """
    refused = unavailableVerbs(tlsEnabled, **settings)
    lines = {
        command.feature
        for verb, command in COMMANDS.items()
        if command.feature and verb not in refused
    }
    if not modeZ:
        lines.discard(MODE_Z)
    lines.update({mlstFeature, "TVFS"})
    if tlsEnabled:
        lines.add("AUTH TLS")
    if hashFeature:
        lines.add(hashFeature)
    return tuple(sorted(line for line in lines
                        if line.split()[0] not in unsupported))


def helpText(verbs=None):
    """
    @param verbs: the verbs to list, or C{None} for every verb.
    @return: lines listing them in order, eight to a line, for C{HELP}.
    """
    verbs = sorted(COMMANDS if verbs is None else verbs)
    return [" ".join(verbs[i:i + 8]) for i in range(0, len(verbs), 8)]


def protocolTable():
    """
    The reST table of every command for C{docs/protocol.rst}.

    @return: the table as text, generated from L{COMMANDS} so the docs
        cannot drift from the dispatch table.
    """
    rows = [("Command", "Syntax", "Specification", "FEAT", "Login",
             "Access")]
    for verb in sorted(COMMANDS):
        command = COMMANDS[verb]
        alias = "" if command.handlerVerb == verb else (
            " (alias of %s)" % command.handlerVerb)
        syntax = "``%s``" % command.syntax
        feature = "``%s``" % command.feature if command.feature else ""
        if syntaxOf(command) != command.syntax:
            # Offered in full only with --mode-z.
            syntax = "``%s``; %s with ``%s``" % (
                syntaxOf(command), syntax, MODE_Z_OPTION)
            feature += " with ``%s``" % MODE_Z_OPTION
        rows.append((
            "``%s``%s" % (verb, alias),
            syntax,
            command.rfc,
            feature,
            "yes" if command.needsLogin else "no",
            command.access,
        ))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    border = "  ".join("=" * width for width in widths)

    def line(row):
        return "  ".join(cell.ljust(width)
                         for cell, width in zip(row, widths)).rstrip()

    out = [border, line(rows[0]), border]
    out.extend(line(row) for row in rows[1:])
    out.append(border)
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    print(protocolTable(), end="")
