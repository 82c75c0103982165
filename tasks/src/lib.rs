//! The kbench task registry.
//!
//! Host tensors ([`HostTensor`]), the documented generator ([`generator`]), the task
//! contract ([`Task`]), fresh inputs for timed calls ([`perturb`]), the reference op
//! library ([`ops`]), the reference functions ([`references`]) and every registered
//! task, declared as data ([`declare`], [`registry`]). This crate knows nothing of
//! models, prompts or storage.

pub mod declare;
pub mod error;
pub mod export;
pub mod generator;
pub mod ops;
pub mod perturb;
pub mod references;
pub mod registry;
pub mod spec;
pub mod tensor;

pub use declare::SizeProfile;
pub use declare::schema::Args;
pub use error::{Result, TaskError};
pub use generator::Init;
pub use spec::{Category, Cost, InputCondition, OutputSpec, Task, TensorSpec, Tolerance};
pub use tensor::{DType, HostData, HostTensor};
