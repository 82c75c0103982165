//! Confining a worker's file-system writes to its job folder with Landlock, before any
//! untrusted code is loaded. Best effort: a kernel without Landlock leaves the worker
//! unconfined, and the report says so.

use landlock::{
    ABI, Access, AccessFs, Ruleset, RulesetAttr, RulesetCreatedAttr, RulesetStatus,
    path_beneath_rules,
};
use std::path::Path;

/// Allows reading and executing everywhere and writing only below `job_dir`. Returns
/// whether the rule is enforced.
pub fn confine_writes(job_dir: &Path) -> bool {
    let abi = ABI::V3;
    let status = Ruleset::default()
        .handle_access(AccessFs::from_all(abi))
        .and_then(|r| r.create())
        .and_then(|r| r.add_rules(path_beneath_rules(["/"], AccessFs::from_read(abi))))
        .and_then(|r| r.add_rules(path_beneath_rules([job_dir], AccessFs::from_all(abi))))
        .and_then(|r| r.restrict_self());
    matches!(
        status.map(|s| s.ruleset),
        Ok(RulesetStatus::FullyEnforced | RulesetStatus::PartiallyEnforced)
    )
}
