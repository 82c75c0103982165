//! The one source rewrite npu-emu makes: Ascend C's kernel launch
//! `name<<<blockDim, l2ctrl, stream>>>(args);` becomes
//! `kb_emu::launch((blockDim), [=]() { name(args); });`, which runs `blockDim` blocks of
//! the kernel as emulated AI cores. Comments, string and character literals are left
//! alone; the rewrite keeps every line break, so compiler messages keep their lines.

use thiserror::Error;

/// A launch the rewrite cannot read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("line {line}: {message}")]
pub struct LaunchError {
    /// 1-based line of the `<<<`.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Rewrites every `name<<<config>>>(args)` launch of `source` into the emulator's.
pub fn rewrite_launches(source: &str) -> Result<String, LaunchError> {
    let bytes = source.as_bytes();
    let mut out = String::with_capacity(source.len() + 64);
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        if let Some(end) = skip_comment_or_literal(bytes, i) {
            i = end;
            continue;
        }
        if !bytes[i..].starts_with(b"<<<") {
            i += 1;
            continue;
        }
        let line = source[..i].matches('\n').count() + 1;
        let fail = |message: &str| LaunchError {
            line,
            message: message.to_string(),
        };
        let name_end = source[..i].trim_end().len();
        let name_start = source[..name_end]
            .rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .map_or(0, |p| p + 1);
        let name = &source[name_start..name_end];
        if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(fail("`<<<` without a kernel name before it"));
        }
        let config_start = i + 3;
        let config_end = find_at_depth_zero(bytes, config_start, b">>>")
            .ok_or_else(|| fail("`<<<` without its `>>>`"))?;
        let config = split_top_level(&source[config_start..config_end]);
        let block_dim = config.first().map(|c| c.trim()).unwrap_or_default();
        if block_dim.is_empty() || config.len() > 3 {
            return Err(fail(
                "a launch takes `<<<blockDim, l2ctrl, stream>>>` (blockDim first)",
            ));
        }
        let after = config_end + 3;
        let open = after
            + source[after..]
                .find(|c: char| !c.is_whitespace())
                .ok_or_else(|| fail("a launch without its arguments"))?;
        if bytes[open] != b'(' {
            return Err(fail("a launch's `>>>` must be followed by `(arguments)`"));
        }
        let close = find_at_depth_zero(bytes, open + 1, b")")
            .ok_or_else(|| fail("a launch's arguments without their `)`"))?;
        out.push_str(&source[copied..name_start]);
        out.push_str("kb_emu::launch((");
        out.push_str(block_dim);
        out.push_str("), [=]() { ");
        out.push_str(name);
        out.push_str(&source[open..=close]);
        out.push_str("; })");
        copied = close + 1;
        i = copied;
    }
    out.push_str(&source[copied..]);
    Ok(out)
}

/// Where the comment or literal starting at `i` ends, if one starts there.
fn skip_comment_or_literal(bytes: &[u8], i: usize) -> Option<usize> {
    match bytes[i] {
        b'/' if bytes.get(i + 1) == Some(&b'/') => Some(
            bytes[i..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(bytes.len(), |p| i + p),
        ),
        b'/' if bytes.get(i + 1) == Some(&b'*') => Some(
            bytes[i + 2..]
                .windows(2)
                .position(|w| w == b"*/")
                .map_or(bytes.len(), |p| i + 2 + p + 2),
        ),
        quote @ (b'"' | b'\'') => {
            let mut j = i + 1;
            while j < bytes.len() && bytes[j] != quote && bytes[j] != b'\n' {
                j += if bytes[j] == b'\\' { 2 } else { 1 };
            }
            Some((j + 1).min(bytes.len()))
        }
        _ => None,
    }
}

/// The first `needle` at or after `from` outside parentheses, brackets, braces,
/// comments and literals.
fn find_at_depth_zero(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = from;
    while i < bytes.len() {
        if let Some(end) = skip_comment_or_literal(bytes, i) {
            i = end;
            continue;
        }
        if depth == 0 && bytes[i..].starts_with(needle) {
            return Some(i);
        }
        match bytes[i] {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth = depth.checked_sub(1)?,
            _ => {}
        }
        i += 1;
    }
    None
}

/// `text` split at its top-level commas.
fn split_top_level(text: &str) -> Vec<&str> {
    let bytes = text.as_bytes();
    let mut parts = Vec::new();
    let mut start = 0;
    while let Some(comma) = find_at_depth_zero(bytes, start, b",") {
        parts.push(&text[start..comma]);
        start = comma + 1;
    }
    parts.push(&text[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::rewrite_launches;

    #[test]
    fn a_launch_becomes_the_emulators_and_keeps_its_lines() {
        let src = "int f(uint8_t *x) {\n    add_custom<<<8, nullptr, stream>>>(x,\n        g(1, 2));\n    return 0;\n}\n";
        let out = rewrite_launches(src).expect("rewritten");
        assert_eq!(
            out,
            "int f(uint8_t *x) {\n    kb_emu::launch((8), [=]() { add_custom(x,\n        g(1, 2)); });\n    return 0;\n}\n"
        );
        assert_eq!(out.lines().count(), src.lines().count());
    }

    #[test]
    fn comments_literals_and_expressions_are_read_as_such() {
        let src = "// k<<<1>>>(a)\nconst char *s = \"k<<<1>>>(a)\";\nns::k <<< n / 2 + (m > 1 ? 1 : 0) >>> (a, b);";
        let out = rewrite_launches(src).expect("rewritten");
        assert!(out.starts_with("// k<<<1>>>(a)\nconst char *s = \"k<<<1>>>(a)\";\n"));
        assert!(
            out.ends_with("kb_emu::launch((n / 2 + (m > 1 ? 1 : 0)), [=]() { ns::k(a, b); });")
        );
        assert_eq!(rewrite_launches("no launch").expect("same"), "no launch");
    }

    #[test]
    fn broken_launches_are_refused_with_their_line() {
        for (src, says) in [
            ("x;\n<<<1>>>(a);", "line 2: `<<<` without a kernel name"),
            ("k<<<1, 2;", "line 1: `<<<` without its `>>>`"),
            ("k<<<>>>(a);", "line 1: a launch takes"),
            ("k<<<1>>>;", "line 1: a launch's `>>>` must be followed"),
            ("k<<<1>>>(a;", "line 1: a launch's arguments without"),
        ] {
            let err = rewrite_launches(src).expect_err(src).to_string();
            assert!(err.starts_with(says), "{src}: {err}");
        }
    }
}
