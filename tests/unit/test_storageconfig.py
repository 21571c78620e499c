"""
Tests for L{ftpkit.shells.storageconfig}: what C{--realm fsspec:...} accepts.
"""

from twisted.trial import unittest

from ftpkit.shells.storagebounds import optionValue
from ftpkit.shells.storageconfig import (
    filesystemClass,
    isSecretName,
    parseArgument,
    protocolOf,
    readConfig,
    resolve,
    sendingWithin,
)


def files(mapping):
    """
    @param mapping: path to bytes.
    @return: a C{readFile} serving C{mapping}, raising C{OSError} for any
        other path.
    """

    def readFile(path):
        if path not in mapping:
            raise FileNotFoundError(2, "No such file or directory")
        return mapping[path]

    return readFile


class ParseArgumentTests(unittest.TestCase):
    """
    L{parseArgument} splits the URL from ftpkit's query.
    """

    def test_plainURL(self):
        """
        A URL alone has no options, no users file.
        """
        config = parseArgument("s3://bucket/prefix")
        self.assertEqual((config.url, config.protocol, config.options,
                          config.users), ("s3://bucket/prefix", "s3", {}, None))

    def test_bareLocalPath(self):
        """
        A path is on the local disk.
        """
        self.assertEqual(parseArgument("/srv/ftp").protocol, "file")
        self.assertEqual(protocolOf("file:///srv/ftp"), "file")
        self.assertEqual(protocolOf("S3://b"), "s3")

    def test_queryOptions(self):
        """
        Query pairs become backend options, as written (L{resolve} reads
        them by what the store takes); C{users} names the users file.
        """
        config = parseArgument(
            "s3://b?endpoint_url=http://127.0.0.1:9000&anon=false&port=2222"
            "&users=/etc/u.toml")
        self.assertEqual(config.options, {
            "endpoint_url": "http://127.0.0.1:9000", "anon": "false",
            "port": "2222"})
        self.assertEqual(config.users, "/etc/u.toml")

    def test_secretsRefused(self):
        """
        A secret's name in the query, or a password in the URL, is refused
        with a message pointing at the config file and not repeating the
        secret.
        """
        for argument in ("s3://b?secret=hunter2", "s3://b?key=hunter2",
                         "sftp://h/p?password=hunter2",
                         "s3://b?aws_session_token=hunter2",
                         "sftp://bob:hunter2@host/path"):
            e = self.assertRaises(ValueError, parseArgument, argument)
            self.assertIn("config", str(e))
            self.assertNotIn("hunter2", str(e))

    def test_secretNames(self):
        """
        Secrets are told by name.
        """
        for name in ("key", "secret", "password", "token", "passphrase",
                     "account_key", "sas_token", "client_secret", "pkey"):
            self.assertTrue(isSecretName(name), name)
        for name in ("endpoint_url", "region_name", "profile", "port",
                     "username", "key_filename", "anon"):
            self.assertFalse(isSecretName(name), name)

    def test_optionValue(self):
        """
        Only C{true}, C{false} and whole numbers are converted.
        """
        self.assertEqual([optionValue(v) for v in ("TRUE", "false", "12", "1.5", "x")],
                         [True, False, 12, "1.5", "x"])

    def test_empty(self):
        """
        No URL is a usage error saying what to give.
        """
        e = self.assertRaises(ValueError, parseArgument, "")
        self.assertIn("needs a URL", str(e))

    def test_badQuery(self):
        """
        A query that does not parse is refused.
        """
        self.assertRaises(ValueError, parseArgument, "s3://b?novalue")
        self.assertRaises(ValueError, parseArgument, "s3://b?config=")

    def test_configFile(self):
        """
        The config file gives options (secrets allowed) and the users file;
        the query's options win over it.
        """
        readFile = files({"/c.toml": (
            b'users = "/u.toml"\n[options]\nkey = "AK"\nsecret = "S"\n'
            b'endpoint_url = "http://a"\n[options.client_kwargs]\n'
            b'region_name = "eu"\n')})
        config = parseArgument(
            "s3://b?config=/c.toml&endpoint_url=http://b", readFile)
        self.assertEqual(config.options, {
            "key": "AK", "secret": "S", "endpoint_url": "http://b",
            "client_kwargs": {"region_name": "eu"}})
        self.assertEqual(config.users, "/u.toml")
        self.assertEqual(config.configFile, "/c.toml")

    def test_configFileErrors(self):
        """
        A config file that is missing, not TOML, or has unknown keys is
        refused, without quoting its values.
        """
        readFile = files({
            "/bad.toml": b"secret = [",
            "/unknown.toml": b'secret = "hunter2"\n',
            "/options.toml": b'options = "hunter2"\n',
            "/users.toml": b"users = 3\n",
        })
        for path, words in (("/missing.toml", "cannot read"),
                            ("/bad.toml", "not a valid TOML"),
                            ("/unknown.toml", "unknown key 'secret'"),
                            ("/options.toml", "options must be a table"),
                            ("/users.toml", "users must be")):
            e = self.assertRaises(ValueError, readConfig, path, readFile)
            self.assertIn(words, str(e))
            self.assertNotIn("hunter2", str(e))


class ResolveTests(unittest.TestCase):
    """
    L{resolve} asks fsspec which class serves the URL.
    """

    def setUp(self):
        try:
            import fsspec  # noqa: F401
        except ImportError:
            raise unittest.SkipTest("fsspec is not installed")

    def test_memory(self):
        """
        C{memory://} is served from its root.
        """
        cls, root, options = resolve(parseArgument("memory://"))
        self.assertEqual((cls.protocol, root, options), ("memory", "", {}))

    def test_sftpURL(self):
        """
        An SFTP URL's host, port and user become options; the config's
        options come on top.
        """
        try:
            import paramiko  # noqa: F401
        except ImportError:
            raise unittest.SkipTest("paramiko is not installed")
        cls, root, options = resolve(parseArgument(
            "sftp://bob@127.0.0.1:2222/srv/data?timeout=5"))
        self.assertEqual(root, "/srv/data")
        self.assertEqual(options, {"host": "127.0.0.1", "port": 2222,
                                   "username": "bob", "timeout": 5,
                                   "banner_timeout": 30.0,
                                   "auth_timeout": 30.0,
                                   "channel_timeout": 30.0})

    def test_sftpDeadlineBoundsConnecting(self):
        """
        C{deadline=} bounds each step of opening an SFTP connection too
        (paramiko's own timeouts), where the options do not: the first
        login waited for ever on a server that stopped answering.
        """
        try:
            import paramiko  # noqa: F401
        except ImportError:
            raise unittest.SkipTest("paramiko is not installed")
        cls, root, options = resolve(parseArgument(
            "sftp://bob@127.0.0.1/srv?deadline=7&auth_timeout=9"))
        self.assertEqual(
            [options[name] for name in ("timeout", "banner_timeout",
                                        "auth_timeout", "channel_timeout")],
            [7, 7, 9, 7])
        self.assertNotIn("deadline", options)

    def test_s3(self):
        """
        An S3 URL is served from its bucket and prefix, without a listings
        cache unless asked; without a bucket it is refused.
        """
        try:
            import s3fs  # noqa: F401
        except ImportError:
            raise unittest.SkipTest("s3fs is not installed")
        cls, root, options = resolve(parseArgument("s3://bucket/pre/fix"))
        self.assertEqual(root, "bucket/pre/fix")
        self.assertEqual(options, {"use_listings_cache": False})
        e = self.assertRaises(ValueError, resolve, parseArgument("s3://"))
        self.assertIn("needs a bucket", str(e))

    def refusedOption(self, library, url):
        """
        @param library: the module the URL's storage needs; the test is
            skipped without it.
        @param url: an fsspec realm argument.
        @return: the text of the error L{resolve} raises for it.
        """
        try:
            __import__(library)
        except ImportError:
            raise unittest.SkipTest(f"{library} is not installed")
        return str(self.assertRaises(ValueError, resolve, parseArgument(url)))

    def test_s3UnknownOption(self):
        """
        An S3 option no part of s3fs takes (a misspelt C{endpoint_url}),
        in the URL or the config file, is refused when the realm is
        built: s3fs handed it to botocore's session, which refused it at
        each request, so that the server started and answered every
        command C{451}. s3fs's own (C{endpoint_url}, C{client_kwargs}),
        the session's (C{profile}) and fsspec's (C{max_paths}) are taken.
        """
        self.assertEqual(
            self.refusedOption("s3fs",
                               "s3://bucket?endpont_url=http://127.0.0.1:9"),
            "s3:// takes no option 'endpont_url' (s3fs and botocore's "
            "session do not know it: misspelt?)")
        config = parseArgument("s3://bucket?config=/etc/s3.toml", files({
            "/etc/s3.toml": b"[options]\nkey = 'k'\nregion = 'x'\n"}))
        e = self.assertRaises(ValueError, resolve, config)
        self.assertIn("no option 'region'", str(e))
        options = resolve(parseArgument(
            "s3://bucket?endpoint_url=http://127.0.0.1:9&profile=p"
            "&max_paths=3&use_ssl=false"))[2]
        self.assertEqual(options["profile"], "p")

    def test_sftpUnknownOption(self):
        """
        An SFTP option neither the SFTP filesystem nor paramiko's
        C{connect} takes is refused when the realm is built (it was given
        to C{connect} at each connection, which refused it: every command
        got C{451}); theirs are taken.
        """
        self.assertEqual(
            self.refusedOption("paramiko", "sftp://u@h/x?look_for_key=false"),
            "sftp:// takes no option 'look_for_key' (the SFTP filesystem "
            "and paramiko do not know it: misspelt?)")
        options = resolve(parseArgument(
            "sftp://u@h:2222/x?look_for_keys=false&temppath=/t"))[2]
        self.assertEqual((options["port"], options["look_for_keys"]),
                         (2222, False))

    def test_otherStoresUnknownOption(self):
        """
        On every other store too an option it would not take is refused
        when the realm is built, in the URL or the config file: fsspec
        ignored it (C{memory://}, C{file://}, C{ftp://}) or, on HTTP,
        handed it to aiohttp's requests, which refused each one. The
        parameters of the store's class and of those it inherits, and on
        HTTP aiohttp's request options, are taken.
        """
        for url, name, owner in [
                ("memory://?globl_store=false", "globl_store",
                 "fsspec's MemoryFileSystem does not know it"),
                ("file:///srv?auto_mkdr=true", "auto_mkdr",
                 "fsspec's LocalFileSystem does not know it"),
                ("ftp://h/x?tiemout=5", "tiemout",
                 "fsspec's FTPFileSystem does not know it")]:
            self.assertEqual(
                self.refusedOption("fsspec", url),
                f"{url.partition(':')[0]}:// takes no option {name!r}"
                f" ({owner}: misspelt?)")
        self.assertIn(
            "takes no option 'headrs' (fsspec's HTTP filesystem and aiohttp's"
            " requests do not know it",
            self.refusedOption("aiohttp", "https://h/x?headrs=1"))
        config = parseArgument("memory://?config=/etc/m.toml", files({
            "/etc/m.toml": b"[options]\nglobal_stor = false\n"}))
        e = self.assertRaises(ValueError, resolve, config)
        self.assertIn("no option 'global_stor'", str(e))
        for url, name, value in [
                ("memory://?global_store=false", "global_store", False),
                ("file:///srv?auto_mkdir=true", "auto_mkdir", True),
                ("ftp://h/x?timeout=5&max_paths=3", "timeout", 5),
                ("https://h/x?allow_redirects=false&block_size=0",
                 "allow_redirects", False)]:
            self.assertEqual(resolve(parseArgument(url))[2][name], value)

    def test_wrongKinds(self):
        """
        A truth value in none of the spellings of
        L{ftpkit.protocol.truthtext} (C{1}/C{0}, C{true}/C{false},
        C{yes}/C{no}, C{on}/C{off}, any case), or a number that is not
        one, is refused when the realm is built, in the URL or the config
        file, for the store's own options, those it hands on (paramiko's,
        botocore's session's) and fsspec's: C{global_store=maybe} was
        taken as true (a text that is not empty), C{port=x} failed at each
        login.
        """
        spellings = ": must be 1/0, true/false, yes/no or on/off"
        for url, wrong in [
                ("memory://?global_store=maybe", "global_store='maybe'"),
                ("memory://?global_store=2", "global_store='2'"),
                ("memory://?use_listings_cache=", "use_listings_cache="),
                ("file:///srv?auto_mkdir=y", "auto_mkdir='y'"),
                ("sftp://u@h/x?look_for_keys=-1", "look_for_keys='-1'"),
                ("sftp://u@h/x?compress=onn", "compress='onn'"),
                ("s3://b/x?anon=maybe", "anon='maybe'"),
                ("s3://b/x?include_builtin_handlers=x",
                 "include_builtin_handlers=")]:
            e = self.assertRaises(ValueError, resolve, parseArgument(url))
            self.assertIn(wrong, str(e))
            self.assertTrue(str(e).endswith(spellings), e)
        for url in ["sftp://u@h/x?port=abc", "sftp://u@h/x?port=true",
                    "s3://b/x?max_concurrency=many",
                    "memory://?max_paths=lots"]:
            e = self.assertRaises(ValueError, resolve, parseArgument(url))
            self.assertIn(": must be a ", str(e))
        config = parseArgument("memory://?config=/etc/m.toml", files({
            "/etc/m.toml": b'[options]\nglobal_store = "maybe"\n'}))
        e = self.assertRaises(ValueError, resolve, config)
        self.assertEqual(str(e), "memory:// option global_store='maybe'"
                                 + spellings)
        for url, name, value in [
                ("memory://?global_store=TRUE", "global_store", True),
                ("memory://?global_store=False", "global_store", False),
                ("sftp://u@h/x?port=2222&compress=true", "port", 2222)]:
            self.assertEqual(resolve(parseArgument(url))[2][name], value)
        config = parseArgument("ftp://h/x?config=/etc/f.toml", files({
            "/etc/f.toml": b"[options]\ntimeout = 2.5\n"}))
        self.assertEqual(resolve(config)[2]["timeout"], 2.5)

    def test_notInstalled(self):
        """
        A store fsspec knows whose package is not installed is refused
        with the package to install, as fsspec's registry names it (the
        error said "install its fsspec package").
        """
        from fsspec.registry import known_implementations

        for protocol in ("gcs", "abfs", "oci", "webdav", "hf"):
            try:
                __import__(known_implementations[protocol]["class"]
                           .rpartition(".")[0])
            except ImportError:
                break
        else:
            raise unittest.SkipTest("every store tried is installed")
        e = self.assertRaises(ValueError, resolve,
                              parseArgument(f"{protocol}://bucket/x"))
        self.assertEqual(
            str(e), f"{protocol}:// storage is not installed: "
            + known_implementations[protocol]["err"])

    def test_asynchronousRefused(self):
        """
        An asynchronous filesystem instance is refused: its synchronous
        methods would not work, and ftpkit makes its calls from threads.
        """
        e = self.assertRaises(ValueError, resolve,
                              parseArgument("memory://?asynchronous=true"))
        self.assertIn("asynchronous=true cannot be used", str(e))

    def test_unknownProtocol(self):
        """
        A protocol fsspec does not know is refused.
        """
        e = self.assertRaises(ValueError, resolve, parseArgument("nope://x"))
        self.assertIn("unknown storage protocol 'nope'", str(e))


class WithoutFsspecTests(unittest.TestCase):
    """
    Without fsspec installed, the usage error says what to install.
    """

    def test_hints(self):
        """
        C{memory://} and C{file://}, which fsspec itself serves, need
        C{pip install fsspec} (the error said "install its fsspec
        package", as for a protocol served by a package of its own);
        C{s3://} and C{sftp://} need ftpkit's extra.
        """
        import sys

        imported = sys.modules.pop("fsspec", None)

        def restore():
            sys.modules.pop("fsspec", None)
            if imported is not None:
                sys.modules["fsspec"] = imported

        self.addCleanup(restore)
        sys.modules["fsspec"] = None  # import fsspec: ImportError
        for protocol, hint in [("memory", "pip install fsspec"),
                               ("file", "pip install fsspec"),
                               ("s3", "pip install 'ftpkit[s3]'"),
                               ("sftp", "pip install 'ftpkit[sftp]'")]:
            e = self.assertRaises(ValueError, filesystemClass, protocol)
            self.assertEqual(str(e), f"the fsspec realm needs fsspec: {hint}")


class SizeTests(unittest.TestCase):
    """
    C{size=} bounds a C{memory://} tree.
    """

    def test_memory(self):
        """
        C{size=} is read with K, M, G suffixes and is no backend option;
        without it nothing is said.
        """
        config = parseArgument("memory://srv?size=64K")
        self.assertEqual((config.maxBytes, config.options), (65536, {}))
        self.assertIsNone(parseArgument("memory://").maxBytes)

    def test_refused(self):
        """
        A size that is not one, and a size for a store not in memory
        (once its class is known), are one-line errors.
        """
        for argument, words in (
                ("memory://?size=lots", "size=lots: must be a number"),
                ("memory://?size=0", "size=0: must be at least 1 byte"),
                ("memory://?size=", "size= needs a size")):
            e = self.assertRaises(ValueError, parseArgument, argument)
            self.assertIn(words, str(e))
            self.assertNotIn("\n", str(e))
        e = self.assertRaises(ValueError, resolve,
                              parseArgument("s3://bucket?size=1G"))
        self.assertEqual(str(e), "fsspec realm: size= bounds memory:// only,"
                                 " not s3:// (whose room is its own)")


class DeadlineTests(unittest.TestCase):
    """
    C{deadline=} bounds each call on an SFTP store, each request on S3.
    """

    def test_s3(self):
        """
        On S3, C{deadline=} becomes botocore's connect and read timeouts
        and one try of each request (botocore's and s3fs's), where the
        options do not say otherwise; without it nothing changes.
        """
        try:
            import s3fs
        except ImportError:
            raise unittest.SkipTest("s3fs is not installed")
        cls, root, options = resolve(parseArgument(
            "s3://bucket/pre?deadline=7&endpoint_url=http://h"))
        botocore = dict(options["config_kwargs"])
        botocore.pop("connector_args", None)  # sendingWithin's
        self.assertEqual(botocore, {
            "connect_timeout": 7, "read_timeout": 7,
            "retries": {"total_max_attempts": 1}})
        self.assertTrue(issubclass(cls, s3fs.S3FileSystem))
        self.assertEqual(cls.retries, 1)
        self.assertNotIn("deadline", options)
        self.assertNotEqual(s3fs.S3FileSystem.retries, 1)
        config = parseArgument("s3://bucket/pre?deadline=7")
        config.options["config_kwargs"] = {"read_timeout": 30}
        self.assertEqual(resolve(config)[2]["config_kwargs"]["read_timeout"],
                         30)
        cls, root, options = resolve(parseArgument("s3://bucket/pre"))
        self.assertIs(cls, s3fs.S3FileSystem)
        self.assertNotIn("config_kwargs", options)

    def test_s3Sending(self):
        """
        On S3, C{deadline=} also bounds sending: each request's socket
        gives up on data unacknowledged that long (C{TCP_USER_TIMEOUT}):
        botocore has no write timeout. A C{socket_factory} the options
        give wins.
        """
        import socket

        try:
            import s3fs  # noqa: F401
        except ImportError:
            raise unittest.SkipTest("s3fs is not installed")
        factory = sendingWithin(7)
        if factory is None:
            raise unittest.SkipTest("no TCP_USER_TIMEOUT, or an aiobotocore"
                                    " without socket_factory")
        options = resolve(parseArgument("s3://bucket/pre?deadline=7"))[2]
        made = options["config_kwargs"]["connector_args"]["socket_factory"](
            (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "",
             ("127.0.0.1", 0)))
        self.addCleanup(made.close)
        self.assertEqual(made.getsockopt(socket.IPPROTO_TCP,
                                         socket.TCP_USER_TIMEOUT), 7000)
        config = parseArgument("s3://bucket/pre?deadline=7")
        config.options["config_kwargs"] = {
            "connector_args": {"socket_factory": len, "keepalive_timeout": 3}}
        self.assertEqual(
            resolve(config)[2]["config_kwargs"]["connector_args"],
            {"socket_factory": len, "keepalive_timeout": 3})

    def test_sftp(self):
        """
        C{deadline=} is whole seconds and no backend option; without it
        nothing is said (the backend's default applies).
        """
        config = parseArgument("sftp://bob@h/srv?deadline=12")
        self.assertEqual((config.callDeadline, config.options), (12, {}))
        self.assertIsNone(parseArgument("sftp://bob@h/srv").callDeadline)

    def test_refused(self):
        """
        A deadline that is not whole seconds from 1 to a day, and one for
        another store (once its class is known), are one-line errors.
        """
        for argument, words in (
                ("sftp://h/?deadline=soon", "deadline=soon: not whole seconds"),
                ("sftp://h/?deadline=0", "deadline=0: not whole seconds"),
                ("sftp://h/?deadline=1.5", "deadline=1.5: not whole seconds"),
                ("sftp://h/?deadline=" + "9" * 5000, "not whole seconds"),
                ("sftp://h/?deadline=86401", "from 1 to 86400"),
                ("sftp://h/?deadline=", "deadline= needs a number of seconds")):
            e = self.assertRaises(ValueError, parseArgument, argument)
            self.assertIn(words, str(e))
            self.assertNotIn("\n", str(e))
        e = self.assertRaises(ValueError, resolve,
                              parseArgument("memory://?deadline=5"))
        self.assertEqual(str(e), "fsspec realm: deadline= bounds sftp:// and"
                                 " s3:// only, not memory://")
