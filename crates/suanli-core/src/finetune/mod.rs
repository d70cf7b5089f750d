//! Fine-tuning workloads: full-parameter SFT (the training planner on a fine-tuning dataset),
//! LoRA and QLoRA (adapters on a frozen, possibly 4-bit base), and RLHF with PPO or GRPO
//! (generation, scoring and training phases).

mod lora;
mod rlhf;

pub use lora::{
    BaseWeights, LoraPlan, LoraSpec, Target, lora_params, parse_targets, plan_lora, plan_lora_model_parallel,
};
pub use rlhf::{
    GenerationRun, PAGEABLE_HOST_BYTES_PER_S, Phase, Placement, REFIT_SECONDS_PER_TENSOR, RlAlgorithm,
    RlStepPlan, RlStepSpec, RlhfPlan, RlhfSpec, VLLM_ENGINE_MAX_BATCHED_TOKENS, VLLM_ENGINE_MAX_NUM_SEQS,
    VLLM_MAX_BATCHED_TOKENS, VLLM_MAX_NUM_SEQS, plan_rl_step, plan_rlhf, response_lengths,
    simulate_async_generation, simulate_generation, weight_tensors,
};
