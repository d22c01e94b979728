"""How many requests one endpoint of a pool may have in flight: additive increase,
multiplicative decrease (AIMD), with latency as well as errors as the congestion signal.

Why latency: a self-hosted vLLM (or SGLang, or llama.cpp's server) never refuses work
with a 429; past its batch size it queues, and a queued request just takes longer. So an
endpoint is congested when its replies come back much slower than its best, not only
when they fail. Why AIMD rather than a model of the server (Vegas' queue estimate,
Gradient2's ratio of averages): it needs one figure per endpoint (its best latency),
it is the rule TCP has shown to converge to a fair share among competing senders (here:
several decif workers on one server), and a wrong guess costs one cut, then a slow climb.

The rule, per endpoint:

- **Slow start**: from `START` in flight, +1 per reply that is not slow while the
  endpoint is busy (at least half its limit in flight): the limit doubles per round
  trip until the first congestion signal, so the best latency is measured before the
  server is loaded.
- **Congestion avoidance**: after that, +1 per round (as many replies as the limit
  was when the round began) in which the endpoint was busy and not congested.
- **Latency cut**: at the end of each round, when the round's median latency is over
  `SLOWER` x the endpoint's floor, the limit is multiplied by `LATENCY_CUT` (0.7, as
  CUBIC does: a slow median is a softer signal than a loss, and halving on a noisy
  median would leave throughput on the table).
- **Error cut**: a transport error, a timeout, a 5xx or a 429 halves the limit at once.
- Always within [1, cap]; `cap` is `--concurrency`.

Latency is compared per completion token, plus `FIXED_TOKENS` for what every request
costs whatever its length (the prefill, the HTTP round trip): a judge's 15-token verdict
and a 500-token answer then cost about the same per token on an idle server, so the mix
of a run's requests is not mistaken for congestion. The floor is the lowest 10th
percentile of the last `WINDOW` such latencies ever seen: a low percentile, not the
minimum, so one lucky reply does not make every later one look slow.
"""

from __future__ import annotations

from collections import deque
from statistics import median

START = 4.0  # in flight before anything is known (TCP starts at 10 packets)
SLOWER = 2.0  # congested: a round's median latency over this many times the floor
LATENCY_CUT = 0.7
ERROR_CUT = 0.5
FIXED_TOKENS = 16  # a request's fixed cost, in tokens' worth of time
WINDOW = 64  # latencies the floor's percentile is taken over
FLOOR_EVERY = 16  # replies between two updates of the floor
ROUND_MIN = 4  # replies per round at least, so a median means something


class Limit:
    """One endpoint's limit on requests in flight. Not thread-safe: the pool calls it
    under its own lock."""

    def __init__(self, cap: int, start: float = START):
        self.cap = max(1, cap)
        self.value = min(float(self.cap), max(1.0, start))
        self.floor: float | None = None  # best seconds per token seen
        self.slow_start = True
        self._recent: deque[float] = deque(maxlen=WINDOW)
        self._seen = 0
        self._round: list[float] = []
        self._round_size = max(ROUND_MIN, self.allowed)  # fixed when a round begins
        self._busy = False  # the endpoint was at half its limit or more this round

    @property
    def allowed(self) -> int:
        """Requests the endpoint may have in flight now."""
        return int(self.value)

    def succeeded(self, latency_s: float, tokens: float, in_flight: int) -> None:
        """A reply came back after `latency_s` with `tokens` completion tokens (per
        sample, for an n > 1 request); `in_flight` requests were out, this one included."""
        latency = latency_s / (max(0.0, tokens) + FIXED_TOKENS)
        self._recent.append(latency)
        self._seen += 1
        first = self.floor is None and self._seen >= FLOOR_EVERY // 2
        if first or self._seen % FLOOR_EVERY == 0:
            low = sorted(self._recent)[len(self._recent) // 10]
            self.floor = low if self.floor is None else min(self.floor, low)
        busy = 2 * in_flight >= self.value
        self._busy |= busy
        if self.slow_start and busy and not self._slow(latency):
            self._grow()
        self._round.append(latency)
        if len(self._round) < self._round_size:
            return
        if self._slow(median(self._round)):
            self._cut(LATENCY_CUT)
            return
        if self._busy and not self.slow_start:
            self._grow()
        self._new_round()

    def failed(self) -> None:
        """A try failed on the endpoint (transport error, timeout, 5xx, 429)."""
        self._cut(ERROR_CUT)

    def _slow(self, latency: float) -> bool:
        return self.floor is not None and latency > SLOWER * self.floor

    def _grow(self) -> None:
        self.value = min(float(self.cap), self.value + 1)

    def _cut(self, factor: float) -> None:
        self.value = max(1.0, self.value * factor)
        self.slow_start = False
        self._new_round()

    def _new_round(self) -> None:
        self._round.clear()
        self._round_size = max(ROUND_MIN, self.allowed)
        self._busy = False
