"""
Tests for L{ftpkit.auth.pgconninfo}: the values of a PostgreSQL
connection string that libpq reads only when it connects, checked when
C{--auth pg:DSN} and C{--realm pg:DSN} are parsed.
"""

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
        Ports from 1 to 65535, one per host (an empty one the default),
        whole numbers, libpq's SSL modes, and parameters it does not judge.
        """
        for parameters in [{}, {"port": "5432"}, {"port": "1,65535"},
                           {"port": "5432,"}, {"port": ""},
                           {"connect_timeout": "0", "keepalives": "1",
                            "keepalives_idle": "60"},
                           {"sslmode": "verify-full"},
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
                ({"port": "+5432"}, "port '+5432' is not a port"),
                ({"port": "9" * 30}, "is not a port from 1 to 65535"),
                ({"connect_timeout": "-5"}, "connect_timeout '-5' is not"),
                ({"connect_timeout": "1.5"}, "connect_timeout '1.5' is not"),
                ({"keepalives": "yes"}, "keepalives 'yes' is not"),
                ({"keepalives_count": "9" * 11}, "keepalives_count "),
                ({"sslmode": "bogus"}, "sslmode 'bogus' is none of")]:
            message = conninfoError(parameters)
            self.assertIn(words, message or "accepted")
            self.assertNotIn("\n", message)


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
