"""The dataset as a whole: near-duplicate instructions (MinHash LSH, datasketch) and
overlap with evaluation prompts (n-gram matching as open-instruct decontaminates), written
to each accepted sample's `curation` column; exports leave flagged samples out
(`graph/export/selection.py`).

    evalsets.py        reading evaluation prompt files (IFEval's, IFBench's, any JSONL,
                       JSON or parquet)
    dedup.py           signatures, LSH, first-by-position near-duplicates
    decontaminate.py   open-instruct's n-gram match score, spans, template attribution
    templates.py       decif's constraint sentences in an instruction
    curator.py         the incremental, resumable pass that writes the records
"""

from graph.curate.curator import Curated, CurateSettings, curate
from graph.curate.evalsets import EvalFileError, EvalSet, read_eval_set

__all__ = ["CurateSettings", "Curated", "EvalFileError", "EvalSet", "curate", "read_eval_set"]
