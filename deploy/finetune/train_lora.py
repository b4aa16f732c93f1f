"""Train a LoRA adapter for one schema from ``export_training_set`` output. GPU recipe: NOT run on
docintel's development machines (they have no GPU); see README.md beside this file.

    python deploy/finetune/train_lora.py contract.jsonl --base Qwen/Qwen2.5-7B-Instruct --out contract-lora

Needs ``transformers``, ``peft``, ``trl``, ``datasets`` and ``accelerate`` on the GPU host. The
examples are split by line into train and evaluation sets; each line is one document, so the split
is by document.
"""

from __future__ import annotations

import argparse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset")
    parser.add_argument("--base", required=True, help="the served base model (name or local path)")
    parser.add_argument("--out", required=True)
    parser.add_argument("--rank", type=int, default=16)
    parser.add_argument("--epochs", type=float, default=3.0)
    parser.add_argument("--learning-rate", type=float, default=2e-4)
    parser.add_argument("--eval-share", type=float, default=0.1)
    args = parser.parse_args()

    from datasets import load_dataset
    from peft import LoraConfig
    from trl import SFTConfig, SFTTrainer

    data = load_dataset("json", data_files=args.dataset, split="train").train_test_split(
        test_size=args.eval_share, seed=0)
    lora = LoraConfig(r=args.rank, lora_alpha=2 * args.rank, lora_dropout=0.05, task_type="CAUSAL_LM",
                      target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj",
                                      "down_proj"])
    config = SFTConfig(output_dir=args.out, num_train_epochs=args.epochs, learning_rate=args.learning_rate,
                       per_device_train_batch_size=4, gradient_accumulation_steps=4, bf16=True,
                       logging_steps=10, eval_strategy="epoch", save_strategy="epoch", max_length=8192)
    trainer = SFTTrainer(model=args.base, args=config, train_dataset=data["train"], eval_dataset=data["test"],
                         peft_config=lora)
    trainer.train()
    trainer.save_model(args.out)  # adapter_config.json + adapter_model.safetensors: what vLLM loads


if __name__ == "__main__":
    main()
