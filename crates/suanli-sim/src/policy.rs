//! Serving policies beside batching: priority classes, admission control and KV offload to
//! host memory.
//!
//! - **Priority classes** (BLIS's priority scheduling; vLLM's `--scheduling-policy priority`):
//!   each request carries a class, 0 the most urgent. A replica admits the oldest waiting
//!   request of the most urgent class first, and when KV blocks run out it preempts the newest
//!   sequence of the least urgent class. Each class has its own latency targets and goodput.
//! - **Admission control**: a replica that already holds `max_queue` requests not yet past
//!   prefill (queued or prefilling) rejects new arrivals (HTTP 429 in a real router), so the admitted ones keep their latency; a
//!   rejected request counts against goodput.
//! - **KV offload** (vLLM v0's swap space, LMCache's CPU tier): a preempted sequence's KV cache
//!   is copied to host memory over the chip's host link instead of being dropped and
//!   recomputed, and copied back when it is admitted again. Both copies take
//!   `tokens × KV bytes per token per GPU ÷ host-link bytes/s` and hold up the replica's next
//!   step (the copy is not overlapped with compute, as in vLLM v0's swap).

use std::collections::VecDeque;

use serde::Serialize;

use crate::metrics::Latency;

/// The host link a GPU swaps KV cache over: one fact, kept with the hardware.
pub use suanli_core::hardware::host_link;

/// Most priority classes.
pub const MAX_CLASSES: usize = 4;

/// A request's class as an index: classes above the last share its queue and targets.
pub(crate) fn class_index(class: u8) -> usize {
    usize::from(class).min(MAX_CLASSES - 1)
}

/// Latency targets (p99 TTFT, p99 TPOT, seconds) per priority class; `None` where a class has
/// none of its own (it then takes the run's targets).
pub type ClassTargets = [Option<(f64, f64)>; MAX_CLASSES];

/// Host memory a replica can swap preempted KV cache into, and how fast.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Offload {
    /// KV tokens host memory holds for one replica.
    pub host_tokens: u64,
    /// KV tokens a second the host link moves (each GPU moves its own shard over its own link).
    pub tokens_per_s: f64,
}

/// A replica's waiting requests, one first-in-first-out queue per priority class.
#[derive(Debug, Default)]
pub(crate) struct Waiting {
    queues: [VecDeque<u32>; MAX_CLASSES],
    len: usize,
}

impl Waiting {
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// A new arrival of `class`, behind the others of its class.
    pub(crate) fn push_back(&mut self, r: u32, class: u8) {
        self.queues[class_index(class)].push_back(r);
        self.len += 1;
    }

    /// A preempted sequence, ahead of the others of its class.
    pub(crate) fn push_front(&mut self, r: u32, class: u8) {
        self.queues[class_index(class)].push_front(r);
        self.len += 1;
    }

    /// The next to admit: the front of the most urgent non-empty class.
    pub(crate) fn front(&self) -> Option<u32> {
        self.queues.iter().find_map(|q| q.front().copied())
    }

    pub(crate) fn pop_front(&mut self) -> Option<u32> {
        let r = self.queues.iter_mut().find_map(VecDeque::pop_front);
        if r.is_some() {
            self.len -= 1;
        }
        r
    }
}

/// One priority class's share of a run.
#[derive(Debug, Clone, Serialize)]
pub struct ClassReport {
    /// Class (0 the most urgent).
    pub class: u8,
    /// Requests of this class.
    pub requests: usize,
    /// Measured (after warm-up, completed).
    pub measured: usize,
    /// Rejected by admission control (after warm-up).
    pub rejected: usize,
    /// The targets goodput used (p99 TTFT, p99 TPOT, seconds), if any.
    pub targets: Option<(f64, f64)>,
    /// Time to first token.
    pub ttft_s: Latency,
    /// Time per output token after the first.
    pub tpot_s: Latency,
    /// Fraction of this class's measured and rejected requests meeting its targets.
    pub goodput: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urgent_class_first_and_fifo_within_a_class() {
        let mut w = Waiting::default();
        w.push_back(1, 2);
        w.push_back(2, 0);
        w.push_back(3, 0);
        w.push_front(4, 2);
        assert_eq!(w.len(), 4);
        let order: Vec<u32> = std::iter::from_fn(|| w.pop_front()).collect();
        assert_eq!(order, [2, 3, 4, 1]);
        assert_eq!(w.len(), 0);
        assert_eq!(w.front(), None);
    }
}
