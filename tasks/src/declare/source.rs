//! The size constants of a task's PyTorch source, and the source rewritten with a size
//! profile's values.
//!
//! A size constant is a top-level line `name = <integer>` (an optional comment after
//! it). The `paper` profile is the source as written; another profile replaces the
//! values of the constants it overrides, nothing else, so the source a model sees always
//! shows the sizes it is evaluated at.

use super::expr::Sizes;

/// The top-level integer constants of `source`, in order of appearance.
pub fn constants(source: &str) -> Sizes {
    source.lines().filter_map(constant).collect()
}

/// `(name, value)` when `line` is a top-level integer constant.
fn constant(line: &str) -> Option<(String, i64)> {
    let (name, rest) = line.split_once('=')?;
    let name = name.trim_end();
    let first = name.chars().next()?;
    if !(first.is_ascii_alphabetic() || first == '_')
        || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return None;
    }
    let value = rest.split('#').next()?.trim().replace('_', "");
    value.parse().ok().map(|v| (name.to_string(), v))
}

/// `source` with every constant named in `overrides` set to its value there.
pub fn render(source: &str, overrides: &Sizes) -> String {
    let mut out = String::with_capacity(source.len());
    for line in source.split_inclusive('\n') {
        match constant(line.trim_end_matches(['\n', '\r'])) {
            Some((name, _)) if overrides.contains_key(&name) => {
                let comment = line
                    .split_once('#')
                    .map(|(_, c)| format!("  # {}", c.trim()))
                    .unwrap_or_default();
                out.push_str(&format!("{name} = {}{comment}", overrides[&name]));
                if line.ends_with('\n') {
                    out.push('\n');
                }
            }
            _ => out.push_str(line),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: &str = "import torch\n\nbatch_size = 16\ndim = 16_384  # columns\nalpha = 1.0\n    inner = 3\n\ndef get_inputs():\n    return [torch.randn(batch_size, dim)]\n";

    #[test]
    fn finds_top_level_integer_constants_only() {
        let found = constants(SOURCE);
        assert_eq!(found.get("batch_size"), Some(&16));
        assert_eq!(found.get("dim"), Some(&16384));
        assert_eq!(found.len(), 2, "{found:?}");
    }

    #[test]
    fn rewrites_only_the_overridden_values() {
        let overrides: Sizes = [("dim".to_string(), 393216)].into();
        let rendered = render(SOURCE, &overrides);
        assert!(rendered.contains("dim = 393216  # columns\n"), "{rendered}");
        assert!(rendered.contains("batch_size = 16\n"));
        assert_eq!(constants(&rendered).get("dim"), Some(&393216));
        assert_eq!(render(SOURCE, &Sizes::new()), SOURCE);
    }
}
