"""Response language: the whole response in one given language.

The check is IFEval's: langdetect's verdict on the whole response equals the ISO 639-1
code. As in IFEval, a response in which langdetect finds nothing to judge (no letters at
all) passes; decif's other stages (the judge) still see such a response.

decif draws only widely spoken languages that a good model writes well and langdetect
tells apart reliably, and only among the codes open-instruct's verifier knows
(`open_instruct.LANGUAGE_CODES`: a row with another code crashes its reward), so Dutch,
Swedish and Turkish are not drawn; Chinese is left out because langdetect answers
"zh-cn"/"zh-tw", never IFEval's plain "zh". `check` accepts any code.
"""

from __future__ import annotations

import random

from nodes.constraints.base import ConstraintType, DrawContext, Kwargs, register
from nodes.constraints.phrasing import Phrasings
from nodes.constraints.text import detect_language
from nodes.constraints.values import language

LANGUAGES = {
    "es": "Spanish",
    "fr": "French",
    "de": "German",
    "it": "Italian",
    "pt": "Portuguese",
    "ru": "Russian",
    "pl": "Polish",
    "ja": "Japanese",
    "ko": "Korean",
    "ar": "Arabic",
    "hi": "Hindi",
    "vi": "Vietnamese",
}
# Names for the other codes IFEval's data uses, so any IFEval row can be stated.
OTHER_LANGUAGES = {
    "en": "English",
    "bn": "Bengali",
    "uk": "Ukrainian",
    "th": "Thai",
    "ur": "Urdu",
    "ta": "Tamil",
    "te": "Telugu",
    "bg": "Bulgarian",
    "he": "Hebrew",
    "fa": "Persian",
    "ne": "Nepali",
    "sw": "Swahili",
    "kn": "Kannada",
    "mr": "Marathi",
    "gu": "Gujarati",
    "pa": "Punjabi",
    "ml": "Malayalam",
    "fi": "Finnish",
}


def draw_language(rng: random.Random, context: DrawContext) -> Kwargs:
    return {"language": rng.choice(sorted(LANGUAGES))}


def language_name(kw: Kwargs) -> str:
    code = kw["language"]
    return LANGUAGES.get(code) or OTHER_LANGUAGES.get(code) or f"the language with code {code}"


def check_language(response: str, kw: Kwargs) -> bool:
    found = detect_language(response)
    return found is None or found == kw["language"]


register(
    ConstraintType(
        id="language:response_language",
        name="response_language",
        source="ifeval",
        description="answer entirely in a given language",
        draw=draw_language,
        phrasings=Phrasings(
            plain="The whole response must be in {name}, with no other language.",
            imperative="Reply only in {name}; use no other language.",
            make_sure="Make sure every part of your reply is in {name} and in no other language.",
            parenthetical="(Answer in {name} only.)",
            item="only {name}, no other language",
            fields=lambda kw: {"name": language_name(kw)},
        ),
        values=lambda kw: [language(language_name(kw))],
        check=check_language,
        # open-instruct's table, plus: a start phrase is given in English.
        conflicts=frozenset(
            {
                "detectable_format:multiple_sections",
                "keywords:existence",
                "keywords:frequency",
                "keywords:forbidden_words",
                "startend:end_checker",
                "change_case:english_capital",
                "change_case:english_lowercase",
                "decif:start_phrase",
            }
        ),
    ),
)
