"""The command that trains on the RLVR export with verl's GRPO, written beside the data.

verl is configured by Hydra overrides on its command line; the script holds the ones the
export decides (the data, the prompt column, decif's reward function, the base model) and
passes on whatever else the user adds (`bash NAME.grpo.sh trainer.n_gpus_per_node=8`).
"""

from __future__ import annotations

import shlex
from pathlib import Path

from graph.export import reward


def reward_path() -> Path:
    """Where verl finds the reward function: this installation's reward.py."""
    return Path(reward.__file__).resolve()


def grpo_script(parquet: Path, base_model: str) -> str:
    data = shlex.quote(str(parquet.resolve()))
    return f"""\
#!/usr/bin/env bash
# verl GRPO on decif's RLVR prompts, written by decif. Run: bash {{this file}} [more overrides]
# verl imports the reward function by its file path; that file imports decif's checkers, so
# install decif in verl's environment (pip install decif). The path below is this
# installation's; elsewhere print it with:
#   python -c "import graph.export.reward as r; print(r.__file__)"
# The reward is the share of the prompt's constraints the response follows; for 1 only when
# all hold, add: +custom_reward_function.reward_kwargs.all_or_nothing=true
# Also validated on the training prompts: give data.val_files a held-out file of your own.
set -euo pipefail
python3 -m verl.trainer.main_ppo \\
  algorithm.adv_estimator=grpo \\
  data.train_files={data} \\
  data.val_files={data} \\
  data.prompt_key=prompt \\
  custom_reward_function.path={shlex.quote(str(reward_path()))} \\
  custom_reward_function.name=compute_score \\
  actor_rollout_ref.model.path={shlex.quote(base_model)} \\
  actor_rollout_ref.rollout.n=8 \\
  "$@"
"""
