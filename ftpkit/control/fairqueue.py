"""
L{FairQueue}: what waits, taken in turn by whom it is for.

Waiting first come, first served, one client that queues much work (a
burst of uploads, each with its C{--on-upload} command) puts everyone
else's behind all of its own. A L{FairQueue} keeps a queue for each key
(a client, as L{ftpkit.protocol.limitkeys.limitKey} names it) and takes
from them in turn: first the keys that have had no item taken since they
last had nothing waiting or running, in the order they came; then the
others, the one whose last item was taken longest ago first. A key's
items keep their order, and a key that starts waiting waits for at most
one item of each key ahead of it. A key is remembered while it has an
item waiting or running (L{FairQueue.finished} says one ended), so its
memory is bounded by those.

Pure bookkeeping; no reactor.
"""

from collections import Counter, OrderedDict, deque


class FairQueue:
    """
    Items waiting, by key, taken one key at a time in turn.
    """

    def __init__(self):
        """
        Nothing waits yet.
        """
        self._fresh = OrderedDict()
        self._served = OrderedDict()
        self._running = Counter()
        self._length = 0

    def put(self, key, item):
        """
        Queue C{item} behind the others of C{key}.

        @param key: whom it is for (hashable).
        @param item: anything.
        """
        queue = self._served.get(key)
        if queue is None:
            queue = self._fresh.get(key)
        if queue is None:
            queue = self._fresh[key] = deque()
        queue.append(item)
        self._length += 1

    def take(self):
        """
        Take the next item, counted as running until L{finished}.

        @return: C{(key, item)}: the oldest item of the key whose turn it
            is; that key's turn then comes after every other key's.
        @raise IndexError: when nothing waits.
        """
        if not self._length:
            raise IndexError("take from an empty FairQueue")
        if self._fresh:
            key, queue = self._fresh.popitem(last=False)
        else:
            key, queue = self._served.popitem(last=False)
            while not queue:
                # A key whose items all run: its turn passes.
                self._served[key] = queue
                key, queue = self._served.popitem(last=False)
        item = queue.popleft()
        self._served[key] = queue
        self._running[key] += 1
        self._length -= 1
        return key, item

    def finished(self, key):
        """
        An item L{take} gave for C{key} is done: the key is forgotten
        once it has none waiting or running.

        @param key: the key L{take} gave with it.
        """
        self._running[key] -= 1
        if self._running[key] > 0:
            return
        del self._running[key]
        if not self._served.get(key, True):
            del self._served[key]

    def __len__(self):
        """
        @return: how many items wait, over every key.
        """
        return self._length
