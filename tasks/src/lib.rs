//! The kbench task registry.
//!
//! Host tensors ([`HostTensor`]), the documented generator ([`generator`]), the task
//! contract ([`Task`]), fresh inputs for timed calls ([`perturb`]), the reference op library ([`ops`]) and every registered task
//! ([`registry`]). This crate knows nothing of models, prompts or storage.

pub mod error;
pub mod export;
pub mod generator;
pub mod ops;
pub mod perturb;
pub mod registry;
pub mod spec;
pub mod tensor;

pub use error::{Result, TaskError};
pub use generator::Init;
pub use spec::{Category, Cost, InputCondition, OutputSpec, Task, TensorSpec, Tolerance};
pub use tensor::{DType, HostData, HostTensor};
