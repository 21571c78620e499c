"""
The values of a PostgreSQL connection string (C{--auth pg:DSN}, C{--realm
pg:DSN}) that libpq, or psycopg on its behalf, reads only when it
connects, checked at start, with those of libpq's C{PG...} environment
variables that stand in for a parameter the string leaves out. The
syntax was checked (psycopg's C{conninfo_to_dict}), not the values: a
server given C{port=99999}, C{port=abc}, C{connect_timeout=x},
C{sslmode=bogus}, C{gssencmode=bogus}, C{host=a,b,c port=1,2} or
C{PGPORT=99999} started, and every login failed with libpq's complaint.
"""

import sys

from ftpkit.protocol.numbertext import isWholeNumber

SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca",
             "verify-full")
"""libpq's C{sslmode} values."""

CHOICES = {
    "sslmode": SSL_MODES,
    "gssencmode": ("disable", "prefer", "require"),
    "channel_binding": ("disable", "prefer", "require"),
    "target_session_attrs": ("any", "read-write", "read-only", "primary",
                             "standby", "prefer-standby"),
    "load_balance_hosts": ("disable", "random"),
    "sslcertmode": ("disable", "allow", "require"),
    "sslnegotiation": ("postgres", "direct"),
}
"""The parameters libpq takes one of a few words for, in its spelling
(it tells case apart: C{sslmode=REQUIRE} is refused); a name the libpq
installed does not know at all is refused by C{conninfo_to_dict}."""

_LEAST = {"connect_timeout": -(2 ** 31), "keepalives": -(2 ** 31),
          "tcp_user_timeout": -(2 ** 31), "keepalives_idle": 0,
          "keepalives_interval": 0, "keepalives_count": 0}
"""libpq's parameters that are whole numbers (of seconds, of probes, or
C{keepalives}' on or off), with the least each takes: libpq reads a sign
(C{+5}); a negative C{connect_timeout} waits without a bound (libpq's
documentation: "zero, negative, or not specified means wait
indefinitely"), a negative C{keepalives} is on and a negative
C{tcp_user_timeout} the system's, while a negative keepalive time,
interval or count failed every connection
(C{setsockopt(TCP_KEEPIDLE) failed: Invalid argument})."""

_MOST_WHOLE = 2 ** 31 - 1
"""libpq reads those numbers as a C C{int}."""

LINUX_MOST = {"keepalives_idle": 32767, "keepalives_interval": 32767,
              "keepalives_count": 127}
"""The largest keepalive time, interval and count Linux's C{setsockopt}
takes, where libpq sets them (C{keepalives} not 0): one more failed
every connection (C{setsockopt(TCP_KEEPIDLE) failed: Invalid
argument})."""

ENVIRONMENT = {
    "PGHOST": "host", "PGHOSTADDR": "hostaddr", "PGPORT": "port",
    "PGCONNECT_TIMEOUT": "connect_timeout", "PGSSLMODE": "sslmode",
    "PGGSSENCMODE": "gssencmode", "PGCHANNELBINDING": "channel_binding",
    "PGTARGETSESSIONATTRS": "target_session_attrs",
    "PGLOADBALANCEHOSTS": "load_balance_hosts",
    "PGSSLCERTMODE": "sslcertmode", "PGSSLNEGOTIATION": "sslnegotiation"}
"""libpq's environment variables for the parameters checked here."""


def conninfoError(parameters, environ=None):
    """
    @param parameters: a connection string's parameters, as psycopg's
        C{conninfo_to_dict} gives them (texts).
    @param environ: the environment libpq reads a parameter the string
        leaves out from (L{ENVIRONMENT}), or C{None} for none.
    @return: why one of them is no value libpq takes, one line naming it
        (and the variable, where the environment gave it), or C{None}:
        each of C{port}'s comma-separated ports (one per host; an empty
        one is the default) from 1 to 65535 (libpq takes C{+5432}), one
        port or as many as there are hosts (and as many hosts as
        C{hostaddr}s), the numbers of L{_LEAST} ASCII digits after an
        optional sign that fit a C C{int} (the keepalives' within
        L{LINUX_MOST} on Linux), a word of L{CHOICES} one of its words
        (and C{sslnegotiation=direct} with an C{sslmode} that requires
        SSL, as libpq wants).
    """
    given = {name: environ[variable]
             for variable, name in ENVIRONMENT.items()
             if environ and environ.get(variable) and name not in parameters}
    name, why = _firstError({**parameters, **given})
    if why is not None and name in given:
        variable = {value: key for key, value in ENVIRONMENT.items()}[name]
        return f"{why} (from {variable} in the environment)"
    return why


def _firstError(parameters):
    """
    @param parameters: see L{conninfoError}, the environment's added.
    @return: C{(name, why)} for the first parameter that is none libpq
        takes, or C{(None, None)}.
    """
    ports = str(parameters.get("port") or "").split(",")
    for port in ports:
        if port and not 1 <= (_wholeNumber(port) or 0) <= 65535:
            return "port", f"port {port[:40]!r} is not a port from 1 to 65535"
    why = _countError(parameters, len(ports) if parameters.get("port") else 0)
    if why is not None:
        return "port", why
    keepalives = _wholeNumber(str(parameters.get("keepalives", "1")))
    for name, least in _LEAST.items():
        value = parameters.get(name)
        if value is None:
            continue
        most = _MOST_WHOLE
        if sys.platform.startswith("linux") and keepalives != 0:
            most = LINUX_MOST.get(name, most)
        number = _wholeNumber(str(value))
        if number is None or not least <= number <= most:
            return name, (f"{name} {str(value)[:40]!r} is not a whole number"
                          f" from {least} to {most}")
    for name, words in CHOICES.items():
        value = parameters.get(name)
        if value is not None and value not in words:
            return name, (f"{name} {str(value)[:40]!r} is none of "
                          f"{', '.join(words)}")
    mode = parameters.get("sslmode") or "prefer"
    if parameters.get("sslnegotiation") == "direct" and mode in SSL_MODES[:3]:
        return "sslmode", (f"sslnegotiation=direct needs sslmode require,"
                           f" verify-ca or verify-full, not {mode!r}")
    return None, None


def _countError(parameters, ports):
    """
    psycopg makes one attempt per host, each with its port: more than one
    port where there are not as many hosts, or host names and
    C{hostaddr}s in different numbers, failed every connection (C{could
    not match 2 port numbers to 3 hosts}).

    @param parameters: see L{_firstError}.
    @param ports: how many ports C{port} lists.
    @return: why they do not match, or C{None}.
    """
    hosts, addresses = (
        len(str(parameters[name]).split(",")) if parameters.get(name) else 0
        for name in ("host", "hostaddr"))
    if hosts and addresses and hosts != addresses:
        return (f"host names ({hosts}) and hostaddr values ({addresses})"
                " must be as many")
    if 1 < ports != max(hosts, addresses):
        return (f"port lists {ports} ports for {max(hosts, addresses)}"
                " hosts: give one, or one per host")
    return None


def _wholeNumber(text):
    """
    @param text: a parameter's value.
    @return: its number, as libpq reads it (ASCII digits after an
        optional sign), or C{None}.
    """
    digits = text[1:] if text[:1] in ("+", "-") else text
    if not isWholeNumber(digits) or len(digits) > 10:
        return None
    return -int(digits) if text.startswith("-") else int(digits)
