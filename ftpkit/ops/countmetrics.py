"""
Counters by one label that a process keeps as plain numbers where it
logs what it counts (a C{dict} from each of a known set of keys to a
count), so that the metric and the log agree, and that the code counting
needs no C{prometheus_client}: the cut uploads dropped
(L{ftpkit.ops.dropmetrics}) and the disk calls found stuck
(L{ftpkit.ops.stuckmetrics}).

In one process a L{CountsCollector} reads the counts when scraped; under
C{--workers} each process's L{CountsFiles} copies them into
C{prometheus_client}'s multiprocess files every
L{ftpkit.ops.cachemetrics.COPY_INTERVAL} seconds and at each session's
end, and the acceptor adds them up. Every key's series is there from the
start, at zero.
"""

from ftpkit.ops.cachemetrics import SessionCopies


class LabelledCounts:
    """
    What one such counter is: its name, help, label and the label's value
    of each key.

    @ivar name: the counter's name (C{_total} is added when exposed).
    @ivar text: its help.
    @ivar label: its label's name.
    @ivar labels: C{{key: label value}}, every key counted.
    """

    def __init__(self, name, text, label, labels):
        """
        @param name: see L{name}.
        @param text: see L{text}.
        @param label: see L{label}.
        @param labels: see L{labels}.
        """
        self.name = name
        self.text = text
        self.label = label
        self.labels = dict(labels)

    def family(self, counts):
        """
        @param counts: C{{key: count}}, as they are now.
        @return: the counter's metric family, a series for every key
            (at zero where C{counts} has none).
        """
        from prometheus_client.core import CounterMetricFamily

        family = CounterMetricFamily(self.name, self.text,
                                     labels=[self.label])
        for key, value in self.labels.items():
            family.add_metric([value], counts.get(key, 0))
        return family


class CountsCollector:
    """
    A C{prometheus_client} collector of this process's counts, read when
    scraped (one process).
    """

    def __init__(self, kind, counts):
        """
        @param kind: the L{LabelledCounts}.
        @param counts: C{{key: count}}, updated as they are logged.
        """
        self._kind = kind
        self._counts = counts

    def collect(self):
        """
        @return: an iterator of the counter's metric family.
        """
        return iter([self._kind.family(self._counts)])


class CountsFiles(SessionCopies):
    """
    In a process of C{--workers}: copy its counts into the multiprocess
    files, by what they grew (L{SessionCopies}).
    """

    def __init__(self, kind, counts):
        """
        @param kind: the L{LabelledCounts}.
        @param counts: C{{key: count}}, updated as they are logged.
        """
        from prometheus_client import Counter

        SessionCopies.__init__(self)
        self._counts = counts
        counter = Counter(kind.name, kind.text, [kind.label], registry=None)
        self._children = {key: counter.labels(value)
                          for key, value in kind.labels.items()}
        self._copied = {}

    def copy(self):
        """
        Copy what was counted since the last copy.
        """
        for key, child in self._children.items():
            value = self._counts.get(key, 0)
            grown = value - self._copied.get(key, 0)
            if grown > 0:
                child.inc(grown)
            self._copied[key] = value
