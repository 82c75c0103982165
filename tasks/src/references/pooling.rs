//! The pooling category's references.

use crate::spec::ReferenceFn;

pub(super) const REFERENCES: &[(&str, ReferenceFn)] = &[];
