"""
L{tests.serverprocess.ServerProcess.log}: a test reading a running
server's log sees whole lines only. A JSON record caught half written
(the reader saw the first page of the server's write) failed a test
parsing the log in CI (C{test_ops_signals}, stop 56).
"""

from twisted.trial import unittest

from tests.serverprocess import ServerProcess


class _Process:
    """
    A child process as C{subprocess.Popen} reports it.

    @ivar code: what C{poll} returns (C{None} while it runs).
    """

    def __init__(self, code):
        self.code = code

    def poll(self):
        """
        @return: C{code}.
        """
        return self.code


def written(testCase, text, code):
    """
    @param testCase: the running test (for C{mktemp}).
    @param text: what the server wrote, as bytes.
    @param code: its exit code, or C{None} while it runs.
    @return: a L{ServerProcess} whose log holds C{text}, not started.
    """
    server = ServerProcess.__new__(ServerProcess)
    server.logPath = testCase.mktemp()
    with open(server.logPath, "wb") as f:
        f.write(text)
    server.process = _Process(code)
    return server


class LogTests(unittest.TestCase):
    """
    What C{log} returns of the file the server writes to.
    """

    def test_runningPartialLine(self):
        """
        While the server runs, a last line without its line break is left
        out.
        """
        server = written(self, b'{"a": 1}\n{"b": "hal', None)
        self.assertEqual(server.log(), '{"a": 1}\n')

    def test_runningNothingWhole(self):
        """
        While the server runs, a first line being written is nothing yet.
        """
        self.assertEqual(written(self, b'{"a"', None).log(), "")

    def test_exited(self):
        """
        Once the server has exited, its last line is whole even without a
        line break (an interpreter's last words, say).
        """
        server = written(self, b"one\ntwo", 1)
        self.assertEqual(server.log(), "one\ntwo")

    def test_undecodable(self):
        """
        Bytes that are not UTF-8 are replaced, not raised.
        """
        server = written(self, b"caf\xe9\n", None)
        self.assertEqual(server.log(), "caf\ufffd\n")
