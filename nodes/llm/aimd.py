"""How many requests one endpoint of a pool may have in flight: additive increase,
multiplicative decrease (AIMD), with latency as well as errors as the congestion signal.

Why latency: a self-hosted vLLM (or SGLang, or llama.cpp's server) never refuses work
with a 429; past its batch size it queues, and a queued request just takes longer. So an
endpoint is congested when its replies come back much slower than its best, not only
when they fail. Why AIMD rather than a model of the server (Vegas' queue estimate,
Gradient2's ratio of averages): it needs one figure per endpoint and kind of request (its
best latency), it is the rule TCP has shown to converge to a fair share among competing
senders (here: several decif workers on one server), and a wrong guess costs one cut,
then a slow climb.

What "slower than its best" compares: a reply's latency against the floor of replies of
its own size on the same endpoint. How latency grows with a reply's length is the
server's business: a GPU server's grows with every token, a server behind a slow network
or with a long prefill hardly at all. Any one rule per token (latency per token, with a
fixed cost per request added) fits one kind and misreads the other: the short replies
(verdicts, consistency checks) of a server whose latency is fixed look many times slower
per token than its long answers, and the limit is cut for ever. Replies are therefore
put in size classes, a factor of two apart in `work` (completion tokens plus the prompt
tokens a prefill costs as much as one of them, `PREFILL_TOKENS`), each with its own
floor, and a reply speaks as the ratio of its latency to its class's floor: 1 on an idle
server, whatever the mix of lengths; more when the server queues or slows every request
down. (The time to the first token, where a server streams, would measure the queue more
directly; decif does not stream.) A class's floor is the lowest 10th percentile of its
last `WINDOW` latencies ever seen: a low percentile, not the minimum, so one lucky reply
does not make every later one look slow.

The rule, per endpoint:

- **Slow start**: from `START` in flight, +1 per reply that is not slow while the
  endpoint is busy (at least half its limit in flight): the limit doubles per round
  trip until the first congestion signal, so the floors are measured before the server
  is loaded.
- **Congestion avoidance**: after that, +1 per round (as many replies as the limit
  was when the round began) in which the endpoint was busy and not congested.
- **Latency cut**: at the end of each round, when the round's median ratio is over
  `SLOWER`, the limit is multiplied by `LATENCY_CUT` (0.7, as CUBIC does: a slow median
  is a softer signal than a loss, and halving on a noisy median would leave throughput
  on the table).
- **Error cut**: a transport error, a timeout, a 5xx or a 429 halves the limit at once.
- Always within [1, cap]; `cap` is what the whole pool may have in flight.
"""

from __future__ import annotations

from collections import deque
from statistics import median

START = 4.0  # in flight before anything is known (TCP starts at 10 packets)
SLOWER = 2.0  # congested: a round's median latency over this many times its floor
LATENCY_CUT = 0.7
ERROR_CUT = 0.5
PREFILL_TOKENS = 16  # prompt tokens a server reads in the time it writes one
WINDOW = 64  # latencies a floor's percentile is taken over
FLOOR_EVERY = 16  # replies of a class between two updates of its floor
ROUND_MIN = 4  # replies per round at least, so a median means something


def size_class(completion_tokens: float, prompt_tokens: float = 0) -> int:
    """Which replies a reply is compared with: those of about the same work, within a
    factor of two."""
    work = max(0.0, completion_tokens) + max(0.0, prompt_tokens) / PREFILL_TOKENS
    return int(work).bit_length()


class Floor:
    """The best latency of one class of replies on one endpoint, lowered as better ones
    come, never raised; None until `FLOOR_EVERY / 2` replies have been seen."""

    def __init__(self) -> None:
        self.value: float | None = None
        self._recent: deque[float] = deque(maxlen=WINDOW)
        self._seen = 0

    def add(self, latency_s: float) -> None:
        self._recent.append(latency_s)
        self._seen += 1
        first = self.value is None and self._seen >= FLOOR_EVERY // 2
        if first or self._seen % FLOOR_EVERY == 0:
            low = sorted(self._recent)[len(self._recent) // 10]
            self.value = low if self.value is None else min(self.value, low)


class Limit:
    """One endpoint's limit on requests in flight. Not thread-safe: the pool calls it
    under its own lock."""

    def __init__(self, cap: int, start: float = START):
        self.cap = max(1, cap)
        self.value = min(float(self.cap), max(1.0, start))
        self.floors: dict[int, Floor] = {}
        self.slow_start = True
        self._ratios: list[float] = []  # this round's replies whose class has a floor
        self._replies = 0  # this round's replies
        self._round_size = max(ROUND_MIN, self.allowed)  # fixed when a round begins
        self._busy = False  # the endpoint was at half its limit or more this round

    @property
    def allowed(self) -> int:
        """Requests the endpoint may have in flight now."""
        return int(self.value)

    def succeeded(
        self, latency_s: float, tokens: float, in_flight: int, prompt_tokens: float = 0
    ) -> None:
        """A reply came back after `latency_s` with `tokens` completion tokens (per
        sample, for an n > 1 request) for a prompt of `prompt_tokens`; `in_flight`
        requests were out, this one included."""
        floor = self.floors.setdefault(size_class(tokens, prompt_tokens), Floor())
        ratio = latency_s / floor.value if floor.value else None
        floor.add(latency_s)
        busy = 2 * in_flight >= self.value
        self._busy |= busy
        slow = ratio is not None and ratio > SLOWER
        if self.slow_start and busy and not slow:
            self._grow()
        if ratio is not None:
            self._ratios.append(ratio)
        self._replies += 1
        if self._replies < self._round_size:
            return
        if self._ratios and median(self._ratios) > SLOWER:
            self._cut(LATENCY_CUT)
            return
        if self._busy and not self.slow_start:
            self._grow()
        self._new_round()

    def failed(self) -> None:
        """A try failed on the endpoint (transport error, timeout, 5xx, 429)."""
        self._cut(ERROR_CUT)

    def _grow(self) -> None:
        self.value = min(float(self.cap), self.value + 1)

    def _cut(self, factor: float) -> None:
        self.value = max(1.0, self.value * factor)
        self.slow_start = False
        self._new_round()

    def _new_round(self) -> None:
        self._ratios.clear()
        self._replies = 0
        self._round_size = max(ROUND_MIN, self.allowed)
        self._busy = False
