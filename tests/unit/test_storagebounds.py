"""
Tests for L{ftpkit.shells.storagebounds}: the values of a store's options
checked at start (C{--realm fsspec:URL?NAME=VALUE} and the config file),
through L{ftpkit.shells.storageconfig.resolve} as the server does.
"""

from twisted.trial import unittest

from ftpkit.shells.storagebounds import (
    BOUNDS,
    S3_BOUNDS,
    boundedValue,
    urlPortError,
)
from ftpkit.shells.storageconfig import parseArgument, resolve
from tests.unit.test_storageconfig import files


def _needs(module):
    """
    Skip a test whose store's package is not installed.

    @param module: the package's module name.
    """
    try:
        __import__(module)
    except ImportError:
        raise unittest.SkipTest(f"{module} is not installed") from None


def refused(url, config=None):
    """
    @param url: the argument of C{--realm fsspec:}.
    @param config: the config file's bytes, named C{/etc/s.toml} by
        C{?config=/etc/s.toml} in C{url}, or C{None}.
    @return: the message of the L{ValueError} resolving it raised, or
        C{"accepted"}.
    """
    readFile = files({"/etc/s.toml": config}) if config else None
    try:
        resolve(parseArgument(url, readFile))
    except ValueError as e:
        return str(e)
    return "accepted"


def optionsOf(url, config=None):
    """
    @param url: see L{refused}.
    @param config: see L{refused}.
    @return: the options the store is made with.
    """
    readFile = files({"/etc/s.toml": config}) if config else None
    return resolve(parseArgument(url, readFile))[2]


PORT = "must be a port from 1 to 65535"
SECONDS = "must be seconds, more than 0 and at most 31536000"


class SFTPBoundsTests(unittest.TestCase):
    """
    An SFTP store's port and paramiko's timeouts are checked at start:
    C{port=99999} and C{port=0} started a server whose every login then
    failed (paramiko's C{connect}), C{timeout=-5} and C{timeout=0} made
    each connection fail at once, and C{timeout=1.5}, no option's number,
    reached paramiko as a text.
    """

    def setUp(self):
        _needs("paramiko")

    def test_portOption(self):
        """
        C{port=} is a whole number from 1 to 65535, in the query or the
        config file (not a TOML float or truth value).
        """
        for port in ["99999", "0", "-1", "abc", "22.0", "", "65536"]:
            self.assertEqual(
                refused(f"sftp://u@h/x?port={port}"),
                f"sftp:// option port={port!r}: {PORT}")
        for toml in [b"port = 99999", b"port = 0", b"port = 22.0",
                     b"port = true", b'port = "x"']:
            self.assertIn(f": {PORT}", refused(
                "sftp://u@h/x?config=/etc/s.toml", b"[options]\n" + toml))
        self.assertEqual(optionsOf("sftp://u@h/x?port=65535")["port"], 65535)
        self.assertEqual(optionsOf("sftp://u@h/x?config=/etc/s.toml",
                                   b"[options]\nport = 2222")["port"], 2222)

    def test_urlPort(self):
        """
        The URL's own port too: Python's C{urlsplit} said only C{Port out
        of range 0-65535} for 99999, and fsspec dropped a port of 0 (the
        store connected to 22).
        """
        for port in ["0", "99999", "abc", "+22", "-1"]:
            self.assertEqual(
                refused(f"sftp://u@h:{port}/x"),
                f"sftp:// URL port {port!r}: {PORT}")
        self.assertEqual(refused("sftp://u@[::1]:0/x"),
                         f"sftp:// URL port '0': {PORT}")
        self.assertEqual(optionsOf("sftp://u@[::1]:2222/x")["port"], 2222)
        self.assertNotIn("port", optionsOf("sftp://u@h:/x"))

    def test_timeouts(self):
        """
        paramiko's timeouts are seconds, more than 0, a fraction allowed.
        """
        for name in ["timeout", "banner_timeout", "auth_timeout",
                     "channel_timeout"]:
            for value in ["0", "-5", "x", "1e3", "inf", "31536001", ""]:
                self.assertEqual(
                    refused(f"sftp://u@h/x?{name}={value}"),
                    f"sftp:// option {name}={value!r}: {SECONDS}")
            self.assertIn(f": {SECONDS}", refused(
                "sftp://u@h/x?config=/etc/s.toml",
                f"[options]\n{name} = inf".encode()))
            options = optionsOf(f"sftp://u@h/x?{name}=1.5")
            self.assertEqual((options[name], type(options[name])),
                             (1.5, float))
            self.assertEqual(optionsOf(f"sftp://u@h/x?{name}=20")[name], 20)


class S3BoundsTests(unittest.TestCase):
    """
    S3's counts and block size are checked at start: C{max_concurrency=0}
    was refused by s3fs as each login made the store, and a block size
    under 5 MiB at each upload's open.
    """

    def setUp(self):
        _needs("s3fs")

    def test_refused(self):
        """
        Out of their ranges, each is one line naming the range.
        """
        for name, value, what in [
                ("max_concurrency", "0", "a whole number from 1 to "),
                ("batch_size", "0", "a whole number from 1 to "),
                ("default_block_size", "1M", "bytes from 5M to 5G"),
                ("default_block_size", "6G", "bytes from 5M to 5G"),
                ("default_block_size", "-1", "bytes from 5M to 5G")]:
            message = refused(f"s3://b/x?{name}={value}")
            self.assertTrue(message.startswith(
                f"s3:// option {name}={value!r}: must be {what}"), message)

    def test_accepted(self):
        """
        Within them, a size is read with K, M, G suffixes.
        """
        options = optionsOf("s3://b/x?default_block_size=50M"
                            "&max_concurrency=4")
        self.assertEqual(
            (options["default_block_size"], options["max_concurrency"]),
            (50 << 20, 4))


class TruthSpellingsTests(unittest.TestCase):
    """
    Every truth-valued option of every store takes the spellings of
    L{ftpkit.protocol.truthtext}: C{global_store=TRUE} was taken and
    C{global_store=1} refused.
    """

    def test_spellings(self):
        """
        1/0, true/false, yes/no, on/off in any case, in the query and the
        config file, become C{bool}s.
        """
        rows = [("memory://?global_store={}", "global_store"),
                ("file:///srv?auto_mkdir={}", "auto_mkdir"),
                ("memory://?use_listings_cache={}", "use_listings_cache")]
        try:
            __import__("paramiko")
            rows.append(("sftp://u@h/x?compress={}", "compress"))
        except ImportError:
            pass
        for url, name in rows:
            for words, truth in [("1 true YES On", True),
                                 ("0 False no OFF", False)]:
                for word in words.split():
                    self.assertIs(optionsOf(url.format(word))[name], truth,
                                  (url, word))
        for toml, truth in [(b"1", True), (b'"yes"', True), (b"0", False),
                            (b'"off"', False)]:
            self.assertIs(optionsOf(
                "memory://?config=/etc/s.toml",
                b"[options]\nglobal_store = " + toml)["global_store"], truth)

    def test_asynchronous(self):
        """
        C{asynchronous} is refused in any spelling of true, and taken in
        any of false; another text is no truth value (it was told
        C{asynchronous=true cannot be used}).
        """
        _needs("s3fs")
        for word in ["true", "1", "yes", "ON"]:
            self.assertIn("asynchronous=true cannot be used",
                          refused(f"s3://b/x?asynchronous={word}"))
        self.assertIs(optionsOf("s3://b/x?asynchronous=off")["asynchronous"],
                      False)
        self.assertEqual(refused("s3://b/x?asynchronous=maybe"),
                         "s3:// option asynchronous='maybe': must be 1/0,"
                         " true/false, yes/no or on/off")


class BoundedValueTests(unittest.TestCase):
    """
    L{boundedValue} and L{urlPortError} as pure functions.
    """

    def test_kinds(self):
        """
        A whole bound takes C{int}s and digits, not C{bool}s nor floats; a
        bound of seconds fractions too; a bound of bytes suffixes.
        """
        port, timeout = BOUNDS["port"], BOUNDS["timeout"]
        self.assertEqual([boundedValue(port, v) for v in
                          [22, "22", True, 22.0, "0", 70000, "9" * 30]],
                         [22, 22, None, None, None, None, None])
        self.assertEqual([boundedValue(timeout, v) for v in
                          [0.5, "0.5", "2", 0, float("nan"), False]],
                         [0.5, 0.5, 2, None, None, None])
        self.assertEqual(
            boundedValue(S3_BOUNDS["default_block_size"], "5M"), 5 << 20)

    def test_urlPortError(self):
        """
        Only a port the URL names is judged; an empty one is the store's
        default.
        """
        self.assertIsNone(urlPortError("sftp", "sftp://u@h/x"))
        self.assertIsNone(urlPortError("sftp", "sftp://u@h:/x"))
        self.assertIsNone(urlPortError("sftp", "sftp://u@h:22/x"))
        self.assertEqual(urlPortError("ftp", "ftp://h:0/x"),
                         f"ftp:// URL port '0': {PORT}")


class AliasTests(unittest.TestCase):
    """
    What a store takes is asked of its class, whatever the URL calls it:
    C{deadline=} was allowed by the URL's protocol name, so an alias
    fsspec knows for SFTP was refused it, and got none of the timeouts
    that bound its connecting.
    """

    def test_sftpAlias(self):
        """
        An alias of the SFTP store takes C{deadline=}, and its connecting
        is bounded by it, as C{sftp://}'s is.
        """
        _needs("paramiko")
        import fsspec

        sftp = fsspec.get_filesystem_class("sftp")
        found = fsspec.get_filesystem_class
        self.patch(fsspec, "get_filesystem_class",
                   lambda protocol: sftp if protocol == "ftpkitsftp"
                   else found(protocol))
        for url in ["sftp://u@h/x?deadline=7", "ftpkitsftp://u@h/x?deadline=7"]:
            cls, _, options = resolve(parseArgument(url))
            self.assertEqual((options["timeout"], options["banner_timeout"]),
                             (7, 7), url)
            self.assertTrue(issubclass(cls, sftp))
            self.assertIsNot(cls, sftp)

    def test_s3Alias(self):
        """
        An alias of the S3 store takes C{deadline=} and botocore's session
        options (C{profile}), as C{s3://} does.
        """
        _needs("s3fs")
        import fsspec

        s3 = fsspec.get_filesystem_class("s3")
        found = fsspec.get_filesystem_class
        self.patch(fsspec, "get_filesystem_class",
                   lambda protocol: s3 if protocol == "ftpkits3"
                   else found(protocol))
        for url in ["s3://b/x?deadline=7&profile=p",
                    "ftpkits3://b/x?deadline=7&profile=p"]:
            _, _, options = resolve(parseArgument(url))
            self.assertEqual(options["config_kwargs"]["read_timeout"], 7, url)


class TwiceTests(unittest.TestCase):
    """
    A name the query gives twice is refused, as an endpoint's argument or
    a command-line option given twice is: the last silently replaced the
    first (C{size=1M&size=2M} bound the store to 2M).
    """

    def test_twice(self):
        """
        ftpkit's own keys and the store's options alike.
        """
        for url, name in [("memory://?size=1M&size=2M", "size"),
                          ("memory://?global_store=1&global_store=0",
                           "global_store"),
                          ("sftp://u@h/x?deadline=5&port=22&deadline=6",
                           "deadline"),
                          ("memory://?users=/a&users=/b", "users")]:
            e = self.assertRaises(ValueError, parseArgument, url)
            self.assertEqual(str(e), f"fsspec realm: {name}= given twice"
                                     " (the last would replace the first)")


class ShapeTests(unittest.TestCase):
    """
    Options the store would refuse once a login made it (or a download
    opened a file) are refused at start: S3's C{endpoint_url=notaurl}
    (botocore's C{Invalid endpoint} at every login), a C{config_kwargs}
    that is no table (a C{TypeError} at every login; with C{deadline=}
    a start error quoting Python's C{dict}), C{default_cache_type=bogus},
    an SFTP C{key_filename} that is not there.
    """

    def test_s3(self):
        """
        S3's endpoint, tables and cache type.
        """
        _needs("s3fs")
        for query, why in [
                ("endpoint_url=notaurl", "must be an http:// or https:// URL"),
                ("endpoint_url=5", "must be an http:// or https:// URL"),
                ("endpoint_url=http://[::1:9000",
                 "must be an http:// or https:// URL"),
                ("config_kwargs=x&deadline=5",
                 "must be a table of the config file ([options.config_kwargs])"),
                ("client_kwargs=5",
                 "must be a table of the config file ([options.client_kwargs])"),
                ("default_cache_type=bogus", "must be one of none, ")]:
            message = refused(f"s3://b/x?{query}")
            self.assertIn(f": {why}", message)
            self.assertNotIn("\n", message)
        options = optionsOf(
            "s3://b/x?config=/etc/s.toml&endpoint_url=http://127.0.0.1:9000"
            "&default_cache_type=none",
            b"[options.config_kwargs]\nconnect_timeout = 5\n")
        self.assertEqual(options["config_kwargs"], {"connect_timeout": 5})
        self.assertEqual(optionsOf("s3://b/x?endpoint_url=https://[::1]:9000")[
            "endpoint_url"], "https://[::1]:9000")

    def test_encoding(self):
        """
        An FTP store's C{encoding} is a codec Python has (it failed each
        login's listing with a C{LookupError}).
        """
        self.assertIn(": must be a text encoding Python knows",
                      refused("ftp://h/x?encoding=bogus"))
        self.assertEqual(optionsOf("ftp://h/x?encoding=latin-1")["encoding"],
                         "latin-1")

    def test_sftpKeyFile(self):
        """
        An SFTP key file, or each of a list of them, must exist.
        """
        _needs("paramiko")
        key = self.mktemp()
        with open(key, "w") as f:
            f.write("not read here")
        why = "must name a key file, or a list of them, that exists"
        self.assertIn(why, refused(f"sftp://u@h/x?key_filename={key}.no"))
        self.assertIn(why, refused(
            "sftp://u@h/x?config=/etc/s.toml",
            f'[options]\nkey_filename = ["{key}", "{key}.no"]\n'.encode()))
        self.assertEqual(optionsOf(f"sftp://u@h/x?key_filename={key}")[
            "key_filename"], key)


class ConfiguredTests(unittest.TestCase):
    """
    What fsspec's own configuration (C{FSSPEC_<PROTOCOL>_<NAME>}
    variables, C{~/.config/fsspec}) gives a store is checked at start as
    the options are, where no option replaces it: fsspec added it as it
    made the store, at each login.
    """

    def configure(self, conf):
        """
        Give fsspec a configuration until the test ends.

        @param conf: C{{protocol: {name: value}}}.
        """
        import fsspec.config

        self.patch(fsspec.config, "conf", conf)

    def test_refused(self):
        """
        A value out of its range is refused, saying where it came from,
        unless an option replaces it.
        """
        _needs("paramiko")
        self.configure({"sftp": {"port": 99999}})
        self.assertEqual(
            refused("sftp://u@h/x"),
            f"sftp:// option port='99999': {PORT} (given by fsspec's"
            " configuration: an FSSPEC_SFTP_... variable or ~/.config/fsspec)")
        self.assertEqual(optionsOf("sftp://u@h/x?port=22")["port"], 22)

    def test_read(self):
        """
        A truth value is given to the store as a C{bool}: fsspec handed on
        C{FSSPEC_S3_ANON=off} as a text, which s3fs took as true. What
        ftpkit sets itself (S3's listings cache off) still wins.
        """
        _needs("s3fs")
        self.configure({"s3": {"anon": "off", "use_listings_cache": True}})
        options = optionsOf("s3://b/x")
        self.assertEqual((options["anon"], options["use_listings_cache"]),
                         (False, False))


class TextOptionsTests(unittest.TestCase):
    """
    An option a store takes as a text stays a text when written as
    digits: C{username=1000} reached paramiko as an C{int} and every
    login got C{421} (C{object of type 'int' has no len()}). Only the
    options of a numeric or truth kind are converted.
    """

    def test_sftp(self):
        """
        paramiko's user name, key file and passphrase-less texts, and the
        SFTP filesystem's C{temppath}, keep the query's text, leading
        zeros and all; a TOML number for one is its digits.
        """
        _needs("paramiko")
        self.patch(__import__("os").path, "isfile", lambda path: True)
        options = optionsOf("sftp://h/x?username=1000&key_filename=007"
                            "&temppath=42&port=2222")
        self.assertEqual(
            [options[name] for name in ("username", "key_filename",
                                        "temppath", "port")],
            ["1000", "007", "42", 2222])
        self.assertEqual(optionsOf("sftp://h/x?config=/etc/s.toml",
                                   b"[options]\nusername = 1000")["username"],
                         "1000")

    def test_s3(self):
        """
        S3's profile stays a text; its numbers are still numbers.
        """
        _needs("s3fs")
        options = optionsOf("s3://b?profile=2024&max_concurrency=4")
        self.assertEqual((options["profile"], options["max_concurrency"]),
                         ("2024", 4))

    def test_ftp(self):
        """
        FTP's user name and account stay texts, its port and block size
        numbers.
        """
        options = optionsOf("ftp://h/x?username=1000&acct=12&port=2121"
                            "&block_size=4096")
        self.assertEqual(
            [options[name] for name in ("username", "acct", "port",
                                        "block_size")],
            ["1000", "12", 2121, 4096])


class LiteralHostTests(unittest.TestCase):
    """
    A URL's IPv6 literal host is handed to the store without its brackets:
    fsspec kept them (C{sftp://u@[::1]:22/d} gave C{host='[::1]'}) and
    every login got C{421}, C{gaierror: Name or service not known}; with
    no port it cut the address at its last colon (C{host='[:'}).
    """

    def test_sftp(self):
        """
        An SFTP URL's literal, with and without a port, and a zone
        (C{%25} in the URL, C{%} to the resolver).
        """
        _needs("paramiko")
        for url, host in [("sftp://u@[::1]:22522/d", "::1"),
                          ("sftp://u@[::1]/d", "::1"),
                          ("sftp://[fe80::1%25eth0]:22/d", "fe80::1%eth0"),
                          ("sftp://u@h:22/d", "h")]:
            self.assertEqual(optionsOf(url)["host"], host, url)
        self.assertEqual(optionsOf("sftp://u@[::1]:22522/d")["port"], 22522)

    def test_ftp(self):
        """
        An FTP URL's literal too.
        """
        for url, host in [("ftp://u@[::1]:2121/d", "::1"),
                          ("ftp://u@[::1]/d", "::1"),
                          ("ftp://[fe80::1%25eth0]/d", "fe80::1%eth0")]:
            self.assertEqual(optionsOf(url)["host"], host, url)

    def test_unclosed(self):
        """
        An unclosed literal is a usage error naming the URL, not Python's
        bare C{Invalid IPv6 URL}.
        """
        self.assertEqual(
            refused("sftp://u@[::1/d"),
            "fsspec realm: 'sftp://u@[::1/d' is no URL: Invalid IPv6 URL (an"
            " IPv6 address is written [::1])")
