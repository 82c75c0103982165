//! Extracting kernel code from a model's answer.
//!
//! Rules, in order:
//! 1. Fenced blocks (```` ``` ```` or `~~~`, with an optional language tag) are
//!    candidates when their tag is one of the backend's languages or absent; blocks
//!    tagged with another language (`python`, `bash`, ...) never are.
//! 2. Among candidates, those that define the entry point (`kb_forward`) win; among
//!    those, the last block of the answer is taken (models tend to end with the final
//!    version).
//! 3. An answer without any fence is taken whole when it defines the entry point.
//! 4. Otherwise there is no code: the sample is stored as `no_code` and counts as not
//!    compiled.

/// The entry point a kernel must define.
pub const ENTRY_POINT: &str = "kb_forward";

#[derive(Debug)]
struct Block<'a> {
    tag: String,
    body: &'a str,
}

fn fenced_blocks(answer: &str) -> Vec<Block<'_>> {
    let mut blocks = Vec::new();
    let mut rest = answer;
    let mut offset = 0;
    while let Some((i, fence)) = ["```", "~~~"]
        .iter()
        .filter_map(|f| rest.find(f).map(|i| (i, *f)))
        .min_by_key(|&(i, _)| i)
    {
        let after = &rest[i + 3..];
        let line_end = after.find('\n').unwrap_or(after.len());
        let tag = after[..line_end].trim().to_lowercase();
        let body_start = i + 3 + (line_end + 1).min(after.len());
        let body_region = &rest[body_start..];
        let (body, consumed) = match body_region.find(fence) {
            Some(end) => (&body_region[..end], body_start + end + 3),
            None => (body_region, rest.len()),
        };
        blocks.push(Block { tag, body });
        offset += consumed;
        rest = &answer[offset..];
    }
    blocks
}

/// The kernel code in `answer`, by the rules above, for a backend accepting `languages`.
pub fn extract_code(answer: &str, languages: &[&str]) -> Option<String> {
    let blocks = fenced_blocks(answer);
    if blocks.is_empty() {
        return answer
            .contains(ENTRY_POINT)
            .then(|| answer.trim().to_string());
    }
    let candidates: Vec<&Block> = blocks
        .iter()
        .filter(|b| b.tag.is_empty() || languages.contains(&b.tag.as_str()))
        .filter(|b| !b.body.trim().is_empty())
        .collect();
    candidates
        .iter()
        .rev()
        .find(|b| b.body.contains(ENTRY_POINT))
        .or_else(|| candidates.last())
        .map(|b| b.body.trim_end().to_string() + "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    const LANGUAGES: [&str; 5] = ["cpp", "c++", "cxx", "cc", "c"];

    #[test]
    fn takes_the_tagged_block_with_the_entry_point() {
        let answer = "Plan:\n```python\nprint(1)\n```\n```cpp\nint helper();\n```\n\
                      Final:\n```cpp\nextern \"C\" int kb_forward() { return 0; }\n```\nDone.";
        let code = extract_code(answer, &LANGUAGES).expect("code");
        assert!(code.starts_with("extern \"C\" int kb_forward"));
    }

    #[test]
    fn untagged_and_tilde_fences_count() {
        let code = extract_code("~~~\nint kb_forward();\n~~~", &LANGUAGES).expect("code");
        assert_eq!(code, "int kb_forward();\n");
    }

    #[test]
    fn last_candidate_without_entry_point_and_no_fence_rules() {
        let code = extract_code("```c++\nint a;\n```\n```c++\nint b;\n```", &LANGUAGES);
        assert_eq!(code.as_deref(), Some("int b;\n"));
        assert!(extract_code("int kb_forward() {}", &LANGUAGES).is_some());
        assert!(extract_code("I cannot help with that.", &LANGUAGES).is_none());
        assert!(extract_code("```python\nx = 1\n```", &LANGUAGES).is_none());
    }

    #[test]
    fn unterminated_fence_takes_the_rest() {
        let code = extract_code("```cpp\nint kb_forward();", &LANGUAGES).expect("code");
        assert_eq!(code, "int kb_forward();\n");
    }
}
