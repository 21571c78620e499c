"""
The operating options of C{twistd ftpkit} (logs, transfer log, metrics,
hooks) and the event hub they describe: L{OperationsOptionsMixin} for the
command line, L{operationsConfigFields} for the
L{ftpkit.config.ServerConfig}, and L{makeHub} to subscribe what the
configuration asks for.
"""

import os

from twisted.python import usage

from ftpkit import events, metrics
from ftpkit.eventlog import EventLog
from ftpkit.logformat import logFormat, useFormat
from ftpkit.xferlog import XferLog


class OperationsOptionsMixin:
    """
    The logging, metrics and hook options, for a L{usage.Options}
    subclass.
    """

    optParameters = [
        ["log-format", None, "text",
         ("text (twistd's lines) or json (one JSON object per line, "
          "field names in the docs' Logging page).")],
        ["xferlog", None, None,
         ("PATH of a transfer log in wu-ftpd's xferlog format (read by "
          "ftpstats and other xferlog tools).")],
        ["metrics", None, None,
         ("Twisted ENDPOINT serving Prometheus metrics at /metrics, e.g. "
          "tcp:9102:interface=127.0.0.1 (needs prometheus-client: pip "
          "install 'ftpkit[metrics]').")],
    ]


def writableFile(path):
    """
    @param path: a file to append to.
    @return: C{path}, absolute, once it could be opened for appending
        (created if missing).
    @raise ValueError: saying why it cannot.
    """
    path = os.path.abspath(path)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT,
                         0o640))
    except OSError as e:
        raise ValueError(f"cannot append to {path!r}: {e.strerror}")
    return path


def metricsEndpoint(description):
    """
    @param description: a Twisted server endpoint string.
    @return: C{description}, once it parses and C{prometheus_client} is
        installed.
    @raise ValueError: saying why not.
    """
    from twisted.internet import endpoints, reactor

    try:
        endpoints.serverFromString(reactor, description)
    except Exception as e:  # noqa: BLE001 (any parse failure is the user's)
        raise ValueError(f"bad endpoint {description!r}: {e}")
    metrics.checkAvailable()
    return description


def operationsConfigFields(options):
    """
    Check the operating options and make the L{ServerConfig} arguments
    they describe; with C{--log-format json}, tell C{twistd} to log so.

    @param options: parsed options of a class mixing in
        L{OperationsOptionsMixin}.
    @return: a C{dict} with C{logFormat}, C{xferlog} and C{metrics}.
    @raise usage.UsageError: with one line naming the option at fault.
    """
    checks = {"log-format": logFormat, "xferlog": writableFile,
              "metrics": metricsEndpoint}
    values = {}
    for name, check in checks.items():
        value = options.get(name)
        if value is not None:
            try:
                value = check(value)
            except ValueError as e:
                raise usage.UsageError(f"--{name}: {e}")
        values[name] = value
    useFormat(options, values["log-format"])
    return {"logFormat": values["log-format"], "xferlog": values["xferlog"],
            "metrics": values["metrics"]}


def makeHub(config):
    """
    @param config: a L{ftpkit.config.ServerConfig}.
    @return: an L{events.EventHub} with the log, and the transfer log
        and metrics if C{config} has them, subscribed.
    """
    hub = events.EventHub()
    EventLog().subscribeTo(hub)
    if config.xferlog is not None:
        XferLog(config.xferlog).subscribeTo(hub)
    if config.metrics is not None:
        metrics.processMetrics().subscribeTo(hub)
    return hub
