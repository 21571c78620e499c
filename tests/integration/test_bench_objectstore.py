"""
A smoke test of C{python -m bench.objectstore}: one round on a 1 MiB
object checks that every figure is made and reported (no number is
judged: the benchmark is run on a quiet machine, not here).
"""


from twisted.trial import unittest

from tests.scratch import scratchDirectory
from tests.storageservers import motoServer


class ObjectStoreBenchTests(unittest.TestCase):
    """
    L{bench.objectstore} runs end to end.
    """

    timeout = 180

    def test_smoke(self):
        """
        One round moves the object each way, through ftpkit and directly,
        and the report gives each figure and the ratios.
        """
        motoServer()  # skips, saying why, when moto or s3fs is missing
        from bench.objectstore import report, run

        workdir = scratchDirectory(self)
        figures = run(1024 * 1024 + 5, 1, workdir)
        self.assertEqual(sorted(figures), [
            "GET direct", "GET direct, same blocks", "PUT direct",
            "RETR via ftpkit", "STOR via ftpkit"])
        self.assertTrue(all(len(values) == 1 and values[0] > 0
                            for values in figures.values()))
        lines = report(figures)
        self.assertEqual(len(lines), 8)
        self.assertTrue(lines[-1].startswith("RETR via ftpkit / GET direct: "))
