"""
Tests for L{ftpkit.auth.pgconninfo}: the values of a PostgreSQL
connection string that libpq reads only when it connects, checked when
C{--auth pg:DSN} and C{--realm pg:DSN} are parsed.
"""

import os
import sys

from twisted.python import usage
from twisted.trial import unittest

from ftpkit.auth.pgconninfo import conninfoError
from tests.tapoptions import parse


class ConninfoErrorTests(unittest.TestCase):
    """
    L{conninfoError} as a pure function of the parsed parameters.
    """

    def test_accepted(self):
        """
        Ports from 1 to 65535, one, or one per host (an empty one the
        default), whole numbers with a sign where libpq takes one (a
        negative C{connect_timeout} waits without a bound, as its
        documentation says), libpq's words for its modes, and parameters
        it does not judge.
        """
        for parameters in [{}, {"port": "5432"}, {"port": "+5432"},
                           {"port": "000005432"},
                           {"host": "a,b", "port": "1,65535"},
                           {"host": "a,b", "port": "5432,"}, {"port": ""},
                           {"connect_timeout": "0", "keepalives": "1",
                            "keepalives_idle": "60"},
                           {"sslmode": "verify-full"},
                           {"connect_timeout": "-1"},
                           {"connect_timeout": "+5", "keepalives": "-1",
                            "keepalives_idle": "+60",
                            "tcp_user_timeout": "-5"},
                           {"gssencmode": "prefer", "channel_binding": "require",
                            "target_session_attrs": "prefer-standby",
                            "load_balance_hosts": "random",
                            "sslcertmode": "allow", "sslnegotiation": "direct",
                            "sslmode": "require"},
                           {"host": "a,b,c", "port": "1,2,3"},
                           {"host": "a,b,c", "port": "5432"},
                           {"host": "a,b", "hostaddr": "127.0.0.1,::1",
                            "port": "1,2"},
                           {"dbname": "ftp", "application_name": "x y"}]:
            self.assertIsNone(conninfoError(parameters), parameters)

    def test_refused(self):
        """
        Anything else is one line naming the parameter.
        """
        for parameters, words in [
                ({"port": "99999"}, "port '99999' is not a port"),
                ({"port": "0"}, "port '0' is not a port"),
                ({"port": "5432,abc"}, "port 'abc' is not a port"),
                ({"port": "-1"}, "port '-1' is not a port"),
                ({"port": "+0"}, "port '+0' is not a port"),
                ({"port": "9" * 30}, "is not a port from 1 to 65535"),
                ({"connect_timeout": "1.5"}, "connect_timeout '1.5' is not"),
                ({"connect_timeout": "--5"}, "connect_timeout '--5' is not"),
                ({"keepalives_idle": "-5"}, "keepalives_idle '-5' is not a"
                 " whole number from 0"),
                ({"keepalives_count": "-1"}, "keepalives_count '-1' is not"),
                ({"gssencmode": "bogus"}, "gssencmode 'bogus' is none of"
                 " disable, prefer, require"),
                ({"target_session_attrs": "bogus"},
                 "target_session_attrs 'bogus' is none of any, read-write"),
                ({"channel_binding": "bogus"}, "channel_binding 'bogus' is"),
                ({"sslmode": "REQUIRE"}, "sslmode 'REQUIRE' is none of"),
                ({"sslnegotiation": "direct"}, "sslnegotiation=direct needs"
                 " sslmode require, verify-ca or verify-full, not 'prefer'"),
                ({"host": "a,b,c", "port": "1,2"},
                 "port lists 2 ports for 3 hosts"),
                ({"port": "1,2"}, "port lists 2 ports for 0 hosts"),
                ({"host": "a,b", "hostaddr": "127.0.0.1"},
                 "host names (2) and hostaddr values (1) must be as many"),
                ({"keepalives": "yes"}, "keepalives 'yes' is not"),
                ({"keepalives_count": "9" * 11}, "keepalives_count "),
                ({"sslmode": "bogus"}, "sslmode 'bogus' is none of")]:
            message = conninfoError(parameters)
            self.assertIn(words, message or "accepted")
            self.assertNotIn("\n", message)


    def test_linuxKeepalives(self):
        """
        On Linux, a keepalive time or interval past 32767 seconds, or a
        count past 127, is refused where libpq sets them (C{keepalives}
        not 0): Linux's C{setsockopt} refused it at every connection.
        """
        if not sys.platform.startswith("linux"):
            raise unittest.SkipTest("Linux's bounds")
        for name, most in [("keepalives_idle", 32767),
                           ("keepalives_interval", 32767),
                           ("keepalives_count", 127)]:
            self.assertIsNone(conninfoError({name: str(most)}))
            self.assertEqual(
                conninfoError({name: str(most + 1)}),
                f"{name} '{most + 1}' is not a whole number from 0 to {most}")
            self.assertIsNone(conninfoError(
                {name: str(most + 1), "keepalives": "0"}))

    def test_environment(self):
        """
        libpq's C{PG...} variables are checked where the string leaves
        their parameter out (C{PGPORT=99999} failed every connection),
        the message naming the variable; the string's own value wins.
        """
        for environ, words in [
                ({"PGPORT": "99999"}, "port '99999' is not a port from 1 to"
                 " 65535 (from PGPORT in the environment)"),
                ({"PGSSLMODE": "bogus"}, "(from PGSSLMODE in the"),
                ({"PGCONNECT_TIMEOUT": "x"}, "(from PGCONNECT_TIMEOUT in"),
                ({"PGGSSENCMODE": "bogus"}, "(from PGGSSENCMODE in")]:
            self.assertIn(words, conninfoError({}, environ) or "accepted")
        self.assertIn("port lists 2 ports for 3 hosts", conninfoError(
            {"port": "1,2"}, {"PGHOST": "a,b,c"}) or "accepted")
        for parameters, environ in [
                ({"port": "5432"}, {"PGPORT": "99999"}),
                ({}, {"PGPORT": "5432", "PGHOST": "a", "HOME": "x"}),
                ({}, {"PGSSLMODE": ""})]:
            self.assertIsNone(conninfoError(parameters, environ), environ)


class OptionsTests(unittest.TestCase):
    """
    C{--auth pg:} and C{--realm pg:} refuse such a value at start: the
    server started, and every login failed with libpq's complaint.
    """

    def setUp(self):
        try:
            import psycopg  # noqa: F401 (only whether it is there)
        except ImportError:
            raise unittest.SkipTest("psycopg is not installed") from None

    def test_refused(self):
        """
        In either form of connection string, for either option.
        """
        for option in ["--auth", "--realm"]:
            for dsn, why in [
                    ("host=127.0.0.1 port=99999",
                     "port '99999' is not a port from 1 to 65535"),
                    ("postgresql://u@127.0.0.1:0/ftp",
                     "port '0' is not a port from 1 to 65535"),
                    ("host=127.0.0.1 sslmode=bogus", "sslmode 'bogus' is")]:
                e = self.assertRaises(usage.UsageError, parse, option,
                                      "pg:" + dsn)
                self.assertTrue(str(e).startswith(
                    f"{option}: pg: bad connection string: {why}"), e)

    def test_environment(self):
        """
        The environment libpq reads is checked as the string is.
        """
        self.patch(os, "environ", {**os.environ, "PGPORT": "99999"})
        for option in ["--auth", "--realm"]:
            e = self.assertRaises(usage.UsageError, parse, option,
                                  "pg:host=127.0.0.1 dbname=ftp")
            self.assertIn("(from PGPORT in the environment)", str(e))
