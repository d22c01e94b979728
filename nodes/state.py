"""The sample graph's state schema and run settings.

State stays small and JSON-serialisable (it is checkpointed at every step); list fields
that several steps or parallel branches append to use the `add` reducer.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass
from operator import add
from typing import Annotated, Any, Literal, NotRequired, TypedDict

from nodes.constraints import Constraint, ConstraintType, known, types_of
from nodes.constraints.base import Kwargs
from nodes.constraints.scopes import Scope
from nodes.constraints.stating import Stated
from nodes.llm import Sampling

Mode = Literal["constrained", "wild"]
Phrasing = Literal["woven", "appended"]
Status = Literal["accepted", "rejected", "failed"]


class LLMCall(TypedDict):
    node: str
    prompt_tokens: int
    completion_tokens: int
    latency_s: float


class Fidelity(TypedDict):
    id: str  # the woven constraint's type
    question: str  # the yes/no question that pins what it must mean
    answer: str  # YES or NO


class ConsistencyCheck(TypedDict):
    round: int  # 0 is the original instruction, n the n-th check after it
    instruction: str
    conflict: bool
    explanation: str
    fidelity: NotRequired[list[Fidelity]]  # one per woven constraint, when there are any


class Check(TypedDict):
    id: str  # the constraint type
    by: Literal["code", "judge"]  # its checker, or the judge's verdict on its question
    passed: bool


class Attempt(TypedDict):
    attempt: int
    response: str
    checks: list[Check]  # one per constraint; code checks run before the judge is asked
    verdicts: list[str]  # the judge's, one per criterion (none when a code check failed)
    passed: bool
    # passed | check_failed:<type id> | criteria_failed | response_empty | judge_malformed
    reason: str
    judge_reply: NotRequired[str]  # the unreadable reply, when judge_malformed
    candidate: NotRequired[int]  # which of the round's --candidates responses, when several


class Held(TypedDict):
    """A constraint in force at a turn of a conversation: how long it holds, and since
    which turn (0: the system message)."""

    id: str
    kwargs: Kwargs
    scope: Scope
    since: int


class SystemPrompt(TypedDict):
    """A conversation's system message and the constraints it states (held every turn)."""

    text: str
    constraints: list[Constraint]
    stated: list[Stated]


class Turn(TypedDict, total=False):
    """A verified turn of a conversation: the per-turn fields of the state as they stood
    when it passed (`checkpoints.turns.TURN_FIELDS`), and its number."""

    turn: int
    instruction: str
    constraints: list[Constraint]
    stated: list[Stated]
    scopes: dict[str, Scope]
    held: list[Held]
    dropped_constraints: list[Constraint]
    consistency: list[ConsistencyCheck]
    unresolved_conflict: bool
    criteria: list[str]
    restated_criteria: list[str]
    attempts: list[Attempt]
    response: str


class SampleState(TypedDict, total=False):
    domain: str
    request: str
    scenario: str
    personas: list[str]  # who might be asking: the scenario's own, or written for it
    persona: str  # the one drawn: the instruction is written in this person's voice
    constraints: list[Constraint]  # stated in the instruction and checked: IFEval's shape
    stated: list[Stated]  # how each of `constraints` is stated (woven or appended), same order
    dropped_constraints: list[Constraint]  # drawn, but no longer stated after a refinement
    instruction: str  # the current instruction (refined when a conflict was found)
    consistency: Annotated[list[ConsistencyCheck], add]
    unresolved_conflict: bool  # refinement rounds ran out with a conflict left
    response: str  # the latest response; once one passes, the one that passed
    responses: list[str]  # the latest round's candidate responses (--candidates)
    criteria: list[str]
    restated_criteria: list[str]  # decompose's questions dropped: they restate a code check
    attempts: Annotated[list[Attempt], add]
    llm_calls: Annotated[list[LLMCall], add]
    status: Status
    reason: str
    malformed_reply: str  # the model's unreadable reply that failed the sample
    # A conversation (--turns, --system-constraints): the fields above are the turn being
    # worked on; these say which turn, and hold what came before it.
    turn: int  # 1, 2, ... up to --turns
    system: SystemPrompt  # the system message, when the run states constraints there
    scopes: dict[str, Scope]  # per constraint type of this turn: turn or from_now_on
    held: list[Held]  # in force from before this turn: the system's, earlier lasting ones
    turns: list[Turn]  # the turns verified before this one
    stopped: dict[str, Any]  # --keep-prefix: the turn that could not pass, and why


# Temperatures of the reference: 0.6 where an instruction is written or checked.
_TEMPERATURE = {"make_instruction": 0.6, "check_consistency": 0.6, "refine": 0.6}
_TEMPERATURE["write_turn"] = 0.6  # a conversation's next user message
_TEMPERATURE["write_personas"] = 0.9  # people who differ from each other
# Tokens a structured reply needs at most: an instruction, or a verdict on consistency (its
# explanation is bounded at 300 characters). A small model that rambles inside a JSON
# string stops here instead of at the run's max_tokens. Judge and decompose are capped by
# their number of items where they are called.
# check_consistency: its verdict, and YES/NO per woven constraint (at most five).
_MAX_TOKENS = {"make_instruction": 320, "refine": 480, "check_consistency": 200}
_MAX_TOKENS["write_turn"] = 320
_MAX_TOKENS["write_personas"] = 640
TOKENS_PER_CRITERION = 48
TOKENS_PER_VERDICT = 6


# Which constraint types a sample may draw: DecIF's own catalogue (IFEval's 25 types,
# start phrase, output formats, and the 4 judged by the LLM), or that plus open-instruct's
# 29 training-only IF-RLVR types. IFBench's types are evaluation data: never drawn.
CATALOGUES = {
    "decif": ("ifeval", "decif", "llm"),
    "all": ("ifeval", "decif", "llm", "ifevalg"),
}


@dataclass(frozen=True)
class SampleSettings:
    """Everything about a run that changes what the graph does; saved with the run."""

    mode: Mode = "constrained"
    phrasing: Phrasing = "woven"  # the model weaves the constraints in; or decif appends them
    personas: int = 0  # personas written per scenario without its own; one drawn per sample
    catalogue: Literal["decif", "all"] = "all"
    types: tuple[str, ...] = ()  # draw only these constraint types (default: the catalogue)
    seed: int = 0
    max_refine_rounds: int = 2
    max_attempts: int = 3
    candidates: int = 1  # responses sampled per round; the first that passes is kept
    turns: int = 1  # user turns per conversation (1: an instruction and its answer)
    system_constraints: int = 0  # constraints a system message states for every turn
    keep_prefix: bool = False  # a later turn that cannot pass: keep the verified turns
    max_constraints: int | None = None  # cap on the constraints drawn per instruction
    instruction_tries: int = 1  # writes of a task before a degenerate one fails the sample
    max_criteria: int = 12
    max_tokens: int = 1024
    top_p: float = 0.8
    top_k: int = 20

    def sampling(self, node: str, sample_key: str, *call: object) -> Sampling:
        """Sampling for one call, seeded by run seed, sample and call, so reruns repeat."""
        base = Sampling(
            temperature=_TEMPERATURE.get(node, 0.7),
            top_p=self.top_p,
            top_k=self.top_k,
            max_tokens=min(self.max_tokens, _MAX_TOKENS.get(node, self.max_tokens)),
        )
        return base.with_seed(self.seed, sample_key, node, *call)

    def drawable_types(self) -> list[ConstraintType]:
        """The constraint types a sample draws from."""
        if self.types:
            return [known(t) for t in self.types]
        return types_of(CATALOGUES[self.catalogue])

    def rng(self, sample_key: str) -> random.Random:
        """The per-sample RNG for constraint draws."""
        return random.Random(f"{self.seed}/{sample_key}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"types": list(self.types)}

    @classmethod
    def from_dict(cls, saved: dict[str, Any]) -> SampleSettings:
        """The settings a run recorded (fields it did not record keep their defaults)."""
        known = {k: v for k, v in saved.items() if k in cls.__dataclass_fields__}
        known.setdefault("phrasing", "appended")  # how a run made before the option stated
        return cls(**known | {"types": tuple(known.get("types", ()))})


MAX_KEPT_REPLY = 2000  # characters of an unreadable reply kept as evidence


def failed(reason: str, reply: str | None = None) -> dict:
    """The update that ends a sample as failed, with the reply that caused it."""
    update: dict = {"status": "failed", "reason": reason}
    if reply is not None:
        update["malformed_reply"] = reply[:MAX_KEPT_REPLY]
    return update


def next_round(state: SampleState) -> int:
    """The round being answered and judged: 1, 2, ... up to --max-attempts."""
    attempts = state.get("attempts", [])
    return attempts[-1]["attempt"] + 1 if attempts else 1


def sample_key(state: SampleState, turn: int | None = None) -> str:
    """The sample's stable identity for seeding: its thread id (from the config of the
    graph run this node is part of), else its content; with the turn's number from a
    conversation's second turn on (this one's, or `turn`), so each turn draws and samples
    afresh."""
    from langgraph.config import get_config  # here: LangGraph is slow to import

    thread_id = get_config().get("configurable", {}).get("thread_id")
    key = str(thread_id) if thread_id else f"{state.get('request')}\n{state.get('scenario')}"
    turn = turn or state.get("turn", 1)
    return key if turn == 1 else f"{key}/turn/{turn}"


class DomainTask(TypedDict):
    iteration: int  # which of the stage's prompts


class RequestTask(TypedDict):
    domain: str


class ScenarioTask(TypedDict):
    domain: str
    request: str


class ItemBatch(TypedDict):
    key: Any  # the fan-out task: iteration number, domain, or [domain, request]
    items: list[str]
    kept: int
    dropped: dict[str, int]  # reason -> count, for this call


class MetaState(TypedDict, total=False):
    domain_batches: Annotated[list[ItemBatch], add]
    domains: list[str]
    request_batches: Annotated[list[ItemBatch], add]
    requests: list[dict]  # {domain, request}
    scenario_batches: Annotated[list[ItemBatch], add]
    scenarios: list[dict]  # {id, domain, request, scenario}
    duplicates: Annotated[list[dict], add]  # per stage: items dropped as repeats of others
    llm_calls: Annotated[list[LLMCall], add]


@dataclass(frozen=True)
class MetaSettings:
    """Sizes of the meta stages; the reference's defaults, which suit a GPU."""

    seed: int = 0
    iterations: int = 1000
    domains_per_prompt: int = 25
    requests_per_domain: int = 50
    scenarios_per_request: int = 30
    max_domains: int | None = None  # cap (a seeded sample) on domains taken to stage 2
    max_requests: int | None = None  # cap on requests taken to stage 3
    max_tokens: int = 2048
    top_p: float = 0.8
    top_k: int = 20

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# Small enough for the embedded CPU model to finish in a minute or two.
SMALL_META = MetaSettings(
    iterations=1,
    domains_per_prompt=8,
    requests_per_domain=4,
    scenarios_per_request=3,
    max_domains=3,
    max_requests=6,
    max_tokens=512,
)
