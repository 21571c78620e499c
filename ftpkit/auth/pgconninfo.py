"""
The values of a PostgreSQL connection string (C{--auth pg:DSN}, C{--realm
pg:DSN}) that libpq reads only when it connects, checked at start. The
syntax was checked (psycopg's C{conninfo_to_dict}), not the values: a
server given C{port=99999}, C{port=abc}, C{connect_timeout=x} or
C{sslmode=bogus} started, and every login failed with libpq's complaint.
"""

from ftpkit.protocol.numbertext import isWholeNumber

SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca",
             "verify-full")
"""libpq's C{sslmode} values."""

_WHOLE_NUMBERS = ("connect_timeout", "keepalives", "keepalives_idle",
                  "keepalives_interval", "keepalives_count",
                  "tcp_user_timeout")
"""libpq's parameters that are whole numbers (of seconds, of probes, or
C{keepalives}' 1 or 0); libpq also takes a sign, where a negative number
means no bound or is refused when connecting."""

_MOST_WHOLE = 2 ** 31 - 1
"""libpq reads those numbers as a C C{int}."""


def conninfoError(parameters):
    """
    @param parameters: a connection string's parameters, as psycopg's
        C{conninfo_to_dict} gives them (texts).
    @return: why one of them is no value libpq takes, one line naming it,
        or C{None}: each of C{port}'s comma-separated ports (one per
        host; an empty one is the default) from 1 to 65535, the numbers of
        L{_WHOLE_NUMBERS} ASCII digits that fit a C C{int}, C{sslmode} one
        of L{SSL_MODES}.
    """
    for port in str(parameters.get("port", "")).split(","):
        if port and not (isWholeNumber(port) and len(port) <= 5
                         and 1 <= int(port) <= 65535):
            return f"port {port[:40]!r} is not a port from 1 to 65535"
    for name in _WHOLE_NUMBERS:
        value = parameters.get(name)
        if value is not None and not (
                isWholeNumber(str(value)) and len(str(value)) <= 10
                and int(value) <= _MOST_WHOLE):
            return (f"{name} {str(value)[:40]!r} is not a whole number from"
                    f" 0 to {_MOST_WHOLE}")
    mode = parameters.get("sslmode")
    if mode is not None and mode not in SSL_MODES:
        return (f"sslmode {str(mode)[:40]!r} is none of "
                f"{', '.join(SSL_MODES)}")
    return None
