"""
The operating options of C{twistd ftpkit} (logs, transfer log, metrics,
hooks) and the event hub they describe: L{OperationsOptionsMixin} for the
command line, L{operationsConfigFields} for the
L{ftpkit.config.ServerConfig}, and L{makeHub} to subscribe what the
configuration asks for.
"""

import errno
import shlex

from twisted.python import usage

from ftpkit.compat.logfiles import ROTATE_LENGTH
from ftpkit.configvalues import parseNetwork
from ftpkit.control.serverhub import configuredHub, servedRoot
from ftpkit.control.sessionlimits import allowsNobody
from ftpkit.control.uploadhook import parseCommand
from ftpkit.deploy.endpoints import (
    clientsHaveAddresses,
    parseServerEndpoint,
    withTruthValues,
)
from ftpkit.deploy.keptfiles import checkedByAcceptor
from ftpkit.deploy.limitoptions import parseByteCount
from ftpkit.deploy.optionvalues import checkValues, positiveInteger
from ftpkit.deploy.startdirectory import fromStart
from ftpkit.ops import metrics
from ftpkit.ops.logformat import logFormat, ownLogFile, underTwist, useFormat
from ftpkit.ops.observers import findObservers
from ftpkit.ops.xferlog import openForAppending


class OperationsOptionsMixin:
    """
    The logging, metrics and hook options, for a L{usage.Options}
    subclass.
    """

    optParameters = [
        ["log-format", None, None,
         ("text (twistd's lines) or json (one JSON object per line, or "
          "per message where twistd logs to syslog; field names in the "
          "docs' Logging page); under python -m twisted, give it to "
          "twist, before ftpkit (python -m twisted --log-format text "
          "ftpkit ...) [default: text].")],
        ["log-rotate-size", None, None,
         ("SIZE (K, M, G, T suffixes) at which the file twistd logs to is "
          "renamed NAME.1 and a new one begun, at least 64K; 0: never, "
          "logrotate rotates it "
          "(SIGUSR1 then only opens the file at its path again where it "
          "was moved) [default: 1000000, twistd's].")],
        ["xferlog", None, None,
         ("PATH of a transfer log in wu-ftpd's xferlog format (read by "
          "ftpstats and other xferlog tools).")],
        ["metrics", None, None,
         ("Twisted ENDPOINT serving Prometheus metrics at /metrics, and who "
          "is connected at /sessions (python -m ftpkit.who), e.g. "
          "tcp:9102:interface=127.0.0.1 (needs prometheus-client: pip "
          "install 'ftpkit[metrics]').")],
        ["on-upload", None, None,
         ("COMMAND run after each completed upload: an argument list, split "
          "like a shell would but run without one; FTPKIT_PATH, FTPKIT_USER, "
          "FTPKIT_PEER, FTPKIT_BYTES, FTPKIT_COMMAND and FTPKIT_ROOT in its "
          "environment.")],
        ["max-sessions-per-user", None, None,
         ("A login of a user with this many sessions already gets 421 and "
          "is closed (anonymous logins count as one user) [default: no "
          "limit].")],
    ]

    def opt_allow_from(self, network):
        """Network (CIDR) clients must be in, repeatable [default: any]."""
        self._addNetwork("allow-from", network)

    def opt_deny_from(self, network):
        """Network (CIDR) whose clients get 421, repeatable."""
        self._addNetwork("deny-from", network)

    def _addNetwork(self, name, text):
        try:
            network = parseNetwork(text)
        except ValueError as e:
            raise usage.UsageError(f"--{name}: {e}")
        self.setdefault(name, []).append(network)


def writableFile(path):
    """
    @param path: a file to append to.
    @return: C{path}, absolute, once it could be opened for appending
        (created if missing).
    @raise ValueError: saying why it cannot (a FIFO nothing reads among
        the reasons).
    """
    if not path:
        raise ValueError("needs a file to append to: --xferlog PATH")
    path = fromStart(path)
    try:
        # Without waiting: a FIFO nobody reads held the start for ever.
        openForAppending(path)
    except OSError as e:
        if e.errno == errno.ENXIO:
            raise ValueError(f"cannot append to {path!r}: a FIFO nothing "
                             "reads (start its reader first)")
        raise ValueError(f"cannot append to {path!r}: {e.strerror}")
    return path


LEAST_ROTATE_SIZE = 64 << 10
"""The smallest C{--log-rotate-size} but C{0}: Twisted's log file renames
every file rotated before at each rotation, in the reactor's thread, so
C{--log-rotate-size 1} (or a C{1K} meant as C{1M}) made a file per line
or two and froze the server for ever longer (1,500 lines: 1,500 files,
107 seconds of renames)."""


def rotateSize(text):
    """
    @param text: a C{--log-rotate-size} value.
    @return: its bytes, C{0} for never.
    @raise ValueError: saying why it is not a size, or one from 1 byte to
        just under L{LEAST_ROTATE_SIZE}.
    """
    size = parseByteCount(text, least=0)
    if 0 < size < LEAST_ROTATE_SIZE:
        raise ValueError(f"must be 0 (never) or at least 64K, not {text!r}")
    return size


def commandOfWorker(text):
    """
    @param text: a C{--on-upload} value, which the acceptor of
        C{--workers} found usable at start.
    @return: its argument list, its program found (L{parseCommand}), or
        as it is when that program is gone since: its runs then fail,
        each logged, as one process's do.
    """
    try:
        return parseCommand(text)
    except ValueError:
        argv = shlex.split(text)
        return tuple([fromStart(argv[0]) if "/" in argv[0] else argv[0],
                      *argv[1:]])


def metricsEndpoint(description):
    """
    @param description: a Twisted server endpoint string.
    @return: C{description}, its truth values as Twisted reads them
        (L{ftpkit.deploy.endpoints.withTruthValues}), once it parses
        (L{ftpkit.deploy.endpoints.parseServerEndpoint}) and
        C{prometheus_client} is installed.
    @raise ValueError: saying why not.
    """
    description = withTruthValues(description)
    parseServerEndpoint(description)
    metrics.checkAvailable()
    return description


def operationsConfigFields(options):
    """
    Check the operating options and make the L{ServerConfig} arguments
    they describe; with C{--log-format json}, tell C{twistd} to log so.

    @param options: parsed options of a class mixing in
        L{OperationsOptionsMixin}.
    @return: a C{dict} with C{logFormat}, C{xferlog}, C{metrics},
        C{onUpload}, C{maxSessionsPerUser}, C{allowFrom} and C{denyFrom}.
    @raise usage.UsageError: with one line naming the option at fault
        (C{--log-rotate-size} where C{twistd} writes no log file of
        ftpkit's: it would rotate nothing; C{--log-format} under
        C{python -m twisted}, whose own C{--log-format} decides: its
        C{text} was taken, and twist wrote JSON all the same where its
        output was no terminal)
        (C{--deny-from} when it denies every address C{--allow-from}
        allows, or every address while every C{--listen} takes clients
        with one: the server started, and refused every client; a
        C{unix:} listener's clients, which have none, are let in where
        no C{--allow-from} is given).
    """
    # A worker of --workers started again while the transfer log cannot
    # be opened (its directory removed, say), or the --on-upload program
    # is gone, serves all the same, as one process does once started: its
    # acceptor checked them at start.
    worker = checkedByAcceptor()
    values = checkValues(options, {
        "log-format": logFormat,
        "log-rotate-size": rotateSize,
        "xferlog": fromStart if worker else writableFile,
        "metrics": metricsEndpoint,
        "on-upload": commandOfWorker if worker else parseCommand,
        "max-sessions-per-user": positiveInteger})
    allow = tuple(options.get("allow-from", ()))
    deny = tuple(options.get("deny-from", ()))
    if allowsNobody(allow, deny):
        if allow:
            raise usage.UsageError(
                f"--deny-from: denies every address --allow-from allows "
                f"({', '.join(allow)}): no client could connect")
        if all(map(clientsHaveAddresses, options.get("listen") or ())):
            raise usage.UsageError(
                "--deny-from: denies every address (0.0.0.0/0 and ::/0), "
                "and no --listen takes clients without one (unix:): no "
                "client could connect")
    given = values["log-format"]
    if given is not None and underTwist(getattr(options, "parent", None)):
        raise usage.UsageError(
            f"--log-format: python -m twisted writes its log in its own "
            f"format: give {given} to its --log-format, before ftpkit "
            f"(python -m twisted --log-format {given} ftpkit ...)")
    values["log-format"] = given or "text"
    rotateLength = values["log-rotate-size"]
    if rotateLength is not None:
        why = ownLogFile(getattr(options, "parent", None))
        if why is not None:
            raise usage.UsageError(
                f"--log-rotate-size: {why}: there is no log file to rotate")
    else:
        rotateLength = ROTATE_LENGTH
    useFormat(options, values["log-format"], rotateLength)
    return {"logFormat": values["log-format"], "xferlog": values["xferlog"],
            "metrics": values["metrics"], "onUpload": values["on-upload"],
            "maxSessionsPerUser": values["max-sessions-per-user"],
            "allowFrom": allow, "denyFrom": deny}


def makeHub(config, options=None):
    """
    @param config: a L{ftpkit.config.ServerConfig}.
    @param options: the parsed L{ftpkit.deploy.tap.Options}, to find observers
        (L{findObservers}) and the directory the realm serves (its
        C{root}, as an embedded factory's: C{FTPKIT_ROOT}), or C{None}.
    @return: the L{events.EventHub} C{config} asks for
        (L{configuredHub}: the log, the transfer log, metrics,
        C{--on-upload}), with the plugins' observers subscribed too.
    """
    if options is None:
        return configuredHub(config)
    return configuredHub(config, root=servedRoot(options.get("realmObject")),
                         observers=findObservers(options))
