//! Compiling a C++ kernel with the system compiler (through `compile_cache`).

use super::FLAGS;
use crate::backend::{BackendError, Compiled};
use crate::compile_cache::{ARTIFACT, BuildRequest, SHIM_FILE, compile as build};
use std::path::Path;

/// The kernel's file name in the build folder.
const SOURCE_FILE: &str = "kernel.cpp";

/// The compiler's arguments after the kernel contract's flags.
fn arguments() -> Vec<String> {
    FLAGS
        .iter()
        .map(|f| f.to_string())
        .chain(
            ["-I", ".", SOURCE_FILE, SHIM_FILE, "-o", ARTIFACT]
                .into_iter()
                .map(str::to_string),
        )
        .collect()
}

/// Compiles `source` into `cache_dir/cpu/<key>/kernel.so`.
pub fn compile(
    compiler: &str,
    compiler_version: &str,
    source: &str,
    cache_dir: &Path,
) -> Result<Compiled, BackendError> {
    build(
        &BuildRequest {
            backend: "cpu",
            compiler,
            compiler_version,
            sources: &[(SOURCE_FILE, source)],
            args: &arguments(),
            extra_key: "",
        },
        cache_dir,
    )
}
