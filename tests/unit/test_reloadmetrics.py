"""
A C{SIGHUP} reload's outcome in C{--metrics}: C{ftpkit_reloads_total}
by result and C{ftpkit_last_reload_successful}
(L{ftpkit.ops.metrics.ServerMetrics.reloaded}, counted by
L{ftpkit.deploy.hangup.ReloadOnHangup.reloadAll}). A certificate or
users file that could not be used was one error line in the log, and
nothing a monitoring system could alert on.
"""

from twisted.internet import defer
from twisted.trial import unittest

from ftpkit.deploy.hangup import ReloadOnHangup
from ftpkit.deploy.workerrelay import Reloads
from ftpkit.ops import metrics
from ftpkit.ops.metrics import RELOAD_RESULTS, ServerMetrics

try:
    from prometheus_client import CollectorRegistry
except ImportError:
    CollectorRegistry = None


class ServerMetricsTests(unittest.TestCase):
    """
    L{ServerMetrics.reloaded}.
    """

    def setUp(self):
        if CollectorRegistry is None:
            raise unittest.SkipTest("needs prometheus-client")
        self.registry = CollectorRegistry()
        self.metrics = ServerMetrics(self.registry)

    def value(self, name, **labels):
        return self.registry.get_sample_value(name, labels)

    def test_fromStart(self):
        """
        Both results are there at 0 from the start, and the last reload
        counts as successful (none failed).
        """
        for result in RELOAD_RESULTS:
            self.assertEqual(
                self.value("ftpkit_reloads_total", result=result), 0)
        self.assertEqual(self.value("ftpkit_last_reload_successful"), 1)

    def test_outcomes(self):
        """
        A failed reload counts as one and sets the gauge to 0; the next
        successful one sets it back to 1.
        """
        self.metrics.reloaded(False)
        self.assertEqual(
            self.value("ftpkit_reloads_total", result="failure"), 1)
        self.assertEqual(self.value("ftpkit_last_reload_successful"), 0)
        self.metrics.reloaded(True)
        self.assertEqual(
            self.value("ftpkit_reloads_total", result="success"), 1)
        self.assertEqual(self.value("ftpkit_last_reload_successful"), 1)


class Recorder:
    """
    Stands for this process's metrics: keeps what L{reloaded} is told.
    """

    def __init__(self):
        self.outcomes = []

    def reloaded(self, succeeded):
        self.outcomes.append(succeeded)


class ReloadAllTests(unittest.TestCase):
    """
    L{ReloadOnHangup.reloadAll} counts the outcome in the process's
    metrics.
    """

    def setUp(self):
        self.recorder = Recorder()
        self.patch(metrics, "_metrics", self.recorder)

    def outcome(self, *targets, workers=None):
        """
        @return: what the metrics were told of one reload of C{targets}.
        """
        ReloadOnHangup(list(targets), workers=workers).reloadAll()
        return self.recorder.outcomes

    def test_success(self):
        """
        Targets that replaced their files, or had nothing to replace
        (C{None}: a PostgreSQL user database), succeed.
        """
        self.assertEqual(self.outcome(lambda: True, lambda: None), [True])

    def test_fileNotUsed(self):
        """
        A target that kept its old file (C{False}) fails the reload.
        """
        self.assertEqual(self.outcome(lambda: True, lambda: False), [False])

    def test_raised(self):
        """
        A target that raised fails the reload (and is logged).
        """
        def broken():
            raise RuntimeError("bad")

        self.assertEqual(self.outcome(broken, lambda: True), [False])
        self.assertEqual(len(self.flushLoggedErrors(RuntimeError)), 1)

    def test_deferred(self):
        """
        A target returning a Deferred (a file parsed in a thread) is
        counted once its result is in, as its result says: a failed one,
        or one firing C{False}, fails the reload; L{reloadAll}'s
        Deferred fires then.
        """
        parsed, broken = defer.Deferred(), defer.Deferred()
        done = ReloadOnHangup([lambda: parsed, lambda: True]).reloadAll()
        self.assertEqual(self.recorder.outcomes, [])
        self.assertNoResult(done)
        parsed.callback(True)
        self.successResultOf(done)
        self.assertEqual(self.recorder.outcomes, [True])
        ReloadOnHangup([lambda: broken, lambda: defer.succeed(False)]
                       ).reloadAll()
        broken.errback(RuntimeError("bad"))
        self.assertEqual(self.recorder.outcomes, [True, False])
        self.assertEqual(len(self.flushLoggedErrors(RuntimeError)), 1)

    def test_nothing(self):
        """
        A process with nothing to reload counts no reload.
        """
        self.assertEqual(self.outcome(), [])

    def test_acceptor(self):
        """
        The acceptor of C{--workers} counts nothing: each worker counts
        its own reload.
        """
        self.assertEqual(
            self.outcome(lambda: Reloads(2, 0), workers=2), [])

    def test_withoutMetrics(self):
        """
        Without C{--metrics} nothing is counted, and nothing fails.
        """
        self.patch(metrics, "_metrics", None)
        ReloadOnHangup([lambda: False]).reloadAll()
