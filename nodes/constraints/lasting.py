"""How a user says that a requirement holds from now on, not only for the next answer.

In a conversation a user may ask for something once ("answer in French") or for the rest
of it ("from now on, answer in French"). The difference decides what every later answer
is checked against, so it must be in the text: decif appends one of the sentences below
after the statement of a lasting constraint, and a message that weaves one in must say it
in some recognisable way (`says_lasting`); the LLM's fidelity question then asks whether
the message means exactly that.
"""

from __future__ import annotations

import random
import re

# Said after a lasting constraint's appended sentence; the last is for a list item.
SENTENCES = (
    "Keep to this from now on.",
    "From now on, do this in every answer.",
    "This holds for every answer from here on.",
    "Keep doing this in all your later answers.",
)
ITEM_MARKERS = ("from now on", "in every answer from now on", "from here on")
MARKER = "from now on"  # how a missing one is named (`missing:from now on`)

_ANSWERS = r"(?:answers?|repl(?:y|ies)|responses?|messages?)"
_LASTING = re.compile(
    r"\b(?:from now on|from here on|from this point on|going forward|henceforth|always"
    r"|every time|each time|for the rest of (?:this|our|the) (?:conversation|chat)"
    rf"|(?:all|every|each) (?:of )?(?:your |the |my )?(?:later |future |following "
    rf"|subsequent |remaining |next |other )?{_ANSWERS})\b",
    re.IGNORECASE,
)


def says_lasting(text: str) -> bool:
    """Whether the text says, in any of the common ways, that something holds beyond the
    next answer. Necessary, not sufficient: the fidelity question checks the meaning."""
    return bool(_LASTING.search(text))


def lasting_line(line: str, style: str, rng: random.Random) -> str:
    """An appended statement made to hold from now on: a sentence after it, inside the
    brackets of a parenthetical one, or a short marker after a list item."""
    if style == "item":
        return f"{line} ({rng.choice(ITEM_MARKERS)})"
    sentence = rng.choice(SENTENCES)
    if style == "parenthetical" and line.endswith(")"):
        return f"{line[:-1]} {sentence})"
    return f"{line} {sentence}"
