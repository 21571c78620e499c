"""
Tests for L{ftpkit.compat.fsspecnames}: every private name of fsspec and
s3fs the fsspec realm relies on is still there (a failure here names what
changed and means ftpkit.compat.fsspecnames must be updated), and each
fallback gives what the private name gives.
"""

import ast
import inspect
import os

from twisted.trial import unittest

import ftpkit
from ftpkit.compat import fsspecnames

try:
    import fsspec
except ImportError:
    fsspec = None

try:
    import s3fs
except ImportError:
    s3fs = None

_CHANGED = ("%s changed in fsspec %s / s3fs %s: update "
            "ftpkit.compat.fsspecnames (the fallback keeps the fsspec realm "
            "working, more slowly or more strictly)")


def changed(what):
    """
    @return: the loud message for a private name that changed.
    """
    return _CHANGED % (what, getattr(fsspec, "__version__", "?"),
                       getattr(s3fs, "__version__", "?"))


class FsspecMixin:
    """
    Skips without fsspec (an optional dependency:
    C{pip install 'ftpkit[s3]'}).
    """

    def setUp(self):
        if fsspec is None:
            raise unittest.SkipTest("fsspec is not installed")

    def classes(self):
        """
        @return: the fsspec filesystem classes the realm serves that are
            installed, by protocol.
        """
        found = {}
        for protocol in ("memory", "file", "sftp", "s3"):
            try:
                found[protocol] = fsspec.get_filesystem_class(protocol)
            except ImportError:
                pass
        return found


PRIVATE_NAMES = frozenset(["_strip_protocol", "_get_kwargs_from_urls",
                           "_iterdir", "_connect"])
"""The private names of fsspec's filesystems L{fsspecnames} reads."""


class OnlyCompatTests(unittest.TestCase):
    """
    Nothing outside L{ftpkit.compat} reads fsspec's private names.
    """

    def test_onlyCompatReads(self):
        """
        No module of ftpkit but L{fsspecnames} reads an attribute named
        as one of them: C{fsspecbackends}, C{fsspeclocal}, C{storageconfig}
        and C{fsspecrealm} read them directly, where a new fsspec would
        have broken them with an C{AttributeError} at a login or a
        listing.
        """
        top = os.path.dirname(ftpkit.__file__)
        compat = os.path.join(top, "compat")
        found = []
        for folder, _, names in os.walk(top):
            if folder == compat:
                continue
            for name in sorted(names):
                if not name.endswith(".py"):
                    continue
                path = os.path.join(folder, name)
                with open(path, encoding="utf-8") as f:
                    tree = ast.parse(f.read())
                found.extend(
                    f"{os.path.relpath(path, top)}:{node.lineno}: {node.attr}"
                    for node in ast.walk(tree)
                    if isinstance(node, ast.Attribute)
                    and node.attr in PRIVATE_NAMES)
        self.assertEqual(found, [])


class PrivateNamesTests(FsspecMixin, unittest.TestCase):
    """
    The installed fsspec and s3fs still have what the realm reads.
    """

    def test_stripProtocol(self):
        """
        Every filesystem class has C{_strip_protocol}, which
        L{fsspecnames.stripProtocol} calls.
        """
        for cls in self.classes().values():
            self.assertTrue(callable(getattr(cls, "_strip_protocol", None)),
                            changed(f"{cls.__name__}._strip_protocol"))
        memory = fsspec.filesystem("memory")
        self.assertEqual(fsspecnames.stripProtocol(memory, "memory://a/b/"),
                         "/a/b", changed("MemoryFileSystem._strip_protocol"))

    def test_urlOptions(self):
        """
        Every filesystem class has C{_get_kwargs_from_urls}, and the SFTP
        one reads the host, port and user from the URL.
        """
        classes = self.classes()
        for cls in classes.values():
            self.assertTrue(
                callable(getattr(cls, "_get_kwargs_from_urls", None)),
                changed(f"{cls.__name__}._get_kwargs_from_urls"))
        if "sftp" not in classes:
            return
        self.assertEqual(
            fsspecnames.urlOptions(classes["sftp"],
                                   "sftp://alice@example.com:2222/srv"),
            {"host": "example.com", "port": 2222, "username": "alice"},
            changed("SFTPFileSystem._get_kwargs_from_urls"))

    def test_keyPages(self):
        """
        s3fs's C{S3FileSystem} has C{_iterdir(bucket, prefix=...)}.
        """
        if s3fs is None:
            raise unittest.SkipTest("s3fs is not installed")
        pages = getattr(s3fs.S3FileSystem, "_iterdir", None)
        self.assertTrue(callable(pages), changed("S3FileSystem._iterdir"))
        parameters = list(inspect.signature(pages).parameters)
        self.assertEqual(parameters[:2], ["self", "bucket"],
                         changed("S3FileSystem._iterdir's arguments"))
        self.assertIn("prefix", parameters,
                      changed("S3FileSystem._iterdir's arguments"))

    def test_reconnect(self):
        """
        fsspec's C{SFTPFileSystem} has C{_connect()}, which makes its
        C{client} and C{ftp} again.
        """
        cls = self.classes().get("sftp")
        if cls is None:
            raise unittest.SkipTest("fsspec's SFTP needs paramiko")
        connect = getattr(cls, "_connect", None)
        self.assertTrue(callable(connect), changed("SFTPFileSystem._connect"))
        self.assertEqual(list(inspect.signature(connect).parameters),
                         ["self"], changed("SFTPFileSystem._connect's arguments"))
        source = inspect.getsource(connect)
        for made in ("self.client =", "self.ftp ="):
            self.assertIn(made, source, changed("SFTPFileSystem._connect"))


    def test_decodeStat(self):
        """
        fsspec's C{SFTPFileSystem} has C{_decode_stat(attributes)}, which
        makes the entry L{fsspecnames.decodedPublicly} makes.
        """
        cls = self.classes().get("sftp")
        if cls is None:
            raise unittest.SkipTest("fsspec's SFTP needs paramiko")
        from paramiko import SFTPAttributes
        attributes = SFTPAttributes.from_stat(os.stat(__file__))
        decode = getattr(cls, "_decode_stat", None)
        self.assertTrue(callable(decode), changed("SFTPFileSystem._decode_stat"))
        self.assertEqual(fsspecnames.decodeStat(cls, attributes),
                         fsspecnames.decodedPublicly(attributes),
                         changed("SFTPFileSystem._decode_stat"))

    def test_sftpRequests(self):
        """
        paramiko's C{SFTPClient} has C{_request(kind, *args)}, giving the
        reply's kind and message, C{_async_request(fileobj, kind, *args)}
        and C{_read_response(num)}, and C{SFTPAttributes} has
        C{_from_msg(message, filename, longname)}: what
        L{ftpkit.compat.sftpnames} reads a directory and a real path
        with.
        """
        if self.classes().get("sftp") is None:
            raise unittest.SkipTest("fsspec's SFTP needs paramiko")
        from paramiko import SFTPAttributes, SFTPClient

        expected = {"_request": ["self", "t", "args"],
                    "_async_request": ["self", "fileobj", "t", "args"],
                    "_read_response": ["self", "waitfor"]}
        for name, parameters in expected.items():
            method = getattr(SFTPClient, name, None)
            self.assertTrue(callable(method), changed(f"SFTPClient.{name}"))
            self.assertEqual(list(inspect.signature(method).parameters),
                             parameters,
                             changed(f"SFTPClient.{name}'s arguments"))
        unpack = getattr(SFTPAttributes, "_from_msg", None)
        self.assertTrue(callable(unpack), changed("SFTPAttributes._from_msg"))
        self.assertEqual(list(inspect.signature(unpack).parameters),
                         ["msg", "filename", "longname"],
                         changed("SFTPAttributes._from_msg's arguments"))


class FallbackTests(FsspecMixin, unittest.TestCase):
    """
    Each fallback, used when the private name is gone, gives what the
    private name gives.
    """

    def test_strippedPublicly(self):
        """
        The paths of URLs and of paths on a filesystem, as the realm asks
        for them, are the same through fsspec's public C{strip_protocol}.
        """
        classes = self.classes()
        memory = fsspec.filesystem("memory")
        local = fsspec.filesystem("file")
        asked = [(memory, "memory://a/b/"), (memory, "/a/b"), (memory, "a/b"),
                 (memory, "/"), (local, "/tmp/x/"), (local, "file:///tmp/x"),
                 (classes["memory"], "memory://"),
                 (classes["file"], "file:///tmp/a/")]
        if "sftp" in classes:
            asked.append((classes["sftp"], "sftp://alice@host:22/srv/ftp/"))
        if "s3" in classes:
            asked.append((classes["s3"], "s3://bucket/prefix/"))
        for fs, path in asked:
            self.assertEqual(fsspecnames.strippedPublicly(fs, path),
                             fs._strip_protocol(path), (fs, path))

    def test_stripWithoutPrivateName(self):
        """
        A filesystem without C{_strip_protocol} gets the fallback.
        """
        memory = fsspec.filesystem("memory")

        class Renamed:
            protocol = memory.protocol
            unstrip_protocol = memory.unstrip_protocol

        self.assertEqual(fsspecnames.stripProtocol(Renamed(), "a/b/"), "/a/b")

    def test_optionsPublicly(self):
        """
        The options of the URLs the realm serves are the same read by
        C{infer_storage_options}: an SFTP URL's host, port, user and
        password, and none for the others.
        """
        classes = self.classes()
        asked = [(classes["memory"], "memory://x"),
                 (classes["file"], "file:///tmp")]
        if "sftp" in classes:
            asked += [(classes["sftp"], "sftp://alice@example.com:2222/srv"),
                      (classes["sftp"], "sftp://alice:pw@example.com/srv"),
                      (classes["sftp"], "sftp://example.com/srv")]
        if "s3" in classes:
            asked.append((classes["s3"], "s3://bucket/prefix"))
        for cls, url in asked:
            self.assertEqual(fsspecnames.optionsPublicly(cls, url),
                             cls._get_kwargs_from_urls(url), (cls, url))

        class Renamed:
            def __init__(self, host, **options):
                pass

        self.assertEqual(
            fsspecnames.urlOptions(Renamed, "sftp://bob@example.org/x"),
            {"host": "example.org", "username": "bob"})

    def test_decodedPubliclyWithoutDecode(self):
        """
        Without C{_decode_stat}, the entry is made here: a directory's
        type, size and times.
        """
        from paramiko import SFTPAttributes
        attributes = SFTPAttributes.from_stat(os.stat(os.path.dirname(__file__)))
        entry = fsspecnames.decodeStat(object(), attributes)
        self.assertEqual((entry["type"], entry["size"], entry["name"]),
                         ("directory", attributes.st_size, ""))
        self.assertAlmostEqual(entry["mtime"].timestamp(),
                               attributes.st_mtime, places=3)

    def test_withoutPagesOrConnect(self):
        """
        Without C{_iterdir} there are no pages (listings are read whole);
        without C{_connect} nothing is asked to connect again.
        """
        self.assertIsNone(fsspecnames.keyPages(object()))
        self.assertFalse(fsspecnames.reconnect(object()))


class RequestOptionsTests(unittest.TestCase):
    """
    L{fsspecnames.requestOptions}: what fsspec's HTTP filesystem may hand
    aiohttp's requests.
    """

    def test_request(self):
        """
        aiohttp's C{ClientSession._request} still takes by name every
        option its reference documents (the fallback's), which
        L{fsspecnames.requestOptions} gives.
        """
        try:
            from aiohttp import ClientSession
        except ImportError:
            raise unittest.SkipTest("aiohttp is not installed")
        self.assertTrue(callable(getattr(ClientSession, "_request", None)),
                        changed("aiohttp's ClientSession._request"))
        self.assertEqual(
            fsspecnames.AIOHTTP_REQUEST_OPTIONS
            - fsspecnames.requestOptions(), frozenset(),
            changed("aiohttp's ClientSession._request's arguments"))

    def test_withoutRequest(self):
        """
        Without C{_request} (or without aiohttp) the documented options
        are taken.
        """
        try:
            from aiohttp import ClientSession
        except ImportError:
            raise unittest.SkipTest("aiohttp is not installed")
        self.patch(ClientSession, "_request", None)
        self.assertEqual(fsspecnames.requestOptions(),
                         fsspecnames.AIOHTTP_REQUEST_OPTIONS)
