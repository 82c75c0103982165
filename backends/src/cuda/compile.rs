//! Compiling a CUDA source with nvcc (through `compile_cache`): SASS for one exact
//! architecture (a driver cannot run PTX from a newer toolkit), the exception guard
//! linked in, any undefined symbol an error.

use crate::backend::{BackendError, Compiled};
use crate::compile_cache::{ARTIFACT, BuildRequest, SHIM_FILE, compile as build};
use std::path::Path;

/// The kernel's file name in the build folder.
const SOURCE_FILE: &str = "kernel.cu";

/// The kernel contract's flags for `arch` (without files and include paths).
pub fn flags(arch: &str) -> Vec<String> {
    [
        "-O3",
        "-std=c++17",
        &format!("-arch={arch}"),
        "-shared",
        "-Xcompiler",
        "-fPIC",
        "-Xlinker",
        "--no-undefined",
    ]
    .into_iter()
    .map(str::to_string)
    .collect()
}

fn arguments(arch: &str) -> Vec<String> {
    let mut args = flags(arch);
    args.extend(
        ["-I", ".", SOURCE_FILE, SHIM_FILE, "-o", ARTIFACT]
            .into_iter()
            .map(str::to_string),
    );
    args
}

/// Compiles `source` for `arch` with `nvcc` (whose release line is `nvcc_version`) into `cache_dir/cuda/<key>/kernel.so`.
pub fn compile(
    nvcc: &Path,
    nvcc_version: &str,
    arch: &str,
    source: &str,
    cache_dir: &Path,
) -> Result<Compiled, BackendError> {
    let nvcc = nvcc.to_string_lossy();
    build(
        &BuildRequest {
            backend: "cuda",
            compiler: &nvcc,
            compiler_version: nvcc_version,
            sources: &[(SOURCE_FILE, source)],
            args: &arguments(arch),
            extra_key: arch,
        },
        cache_dir,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_build_sass_for_the_exact_architecture() {
        let f = flags("sm_90");
        assert!(f.contains(&"-arch=sm_90".to_string()));
        for needed in ["-O3", "-std=c++17", "-shared", "-fPIC"] {
            assert!(f.iter().any(|x| x == needed), "{needed}");
        }
        assert!(
            !f.iter().any(|x| x.contains("compute_")),
            "no PTX-only target"
        );
    }
}
