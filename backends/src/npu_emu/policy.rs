//! What an npu-emu kernel may not write. The emulation runs in the kernel's own process,
//! so its counters and checks are plain C++ the kernel could reach: this policy keeps
//! the kernel to the Ascend C programming model. It rejects, outside comments and
//! literals, the emulator's internal names (`kb_emu`, the guard's entry points), token
//! pasting (`##`, which could spell them), inline assembly, dynamic symbol lookup and
//! exceptions (no Ascend C kernel throws or catches; a handler could swallow a broken
//! rule, which the emulator also remembers per block). A guard against tampering, not a
//! proof: the estimate is further checked against the roofline like any time.

/// Identifiers a kernel may not use, each with the reason given back.
const FORBIDDEN: [(&str, &str); 12] = [
    ("kb_emu", "the emulator's internals"),
    ("kb_emu_take_estimate", "the emulator's internals"),
    ("kbench_guarded_forward", "the harness's guard"),
    ("asm", "inline assembly"),
    ("__asm", "inline assembly"),
    ("__asm__", "inline assembly"),
    ("dlsym", "dynamic symbol lookup"),
    ("dlopen", "dynamic symbol lookup"),
    ("dlvsym", "dynamic symbol lookup"),
    ("try", "exceptions (Ascend C kernels have none)"),
    ("catch", "exceptions (Ascend C kernels have none)"),
    ("throw", "exceptions (Ascend C kernels have none)"),
];

/// The first thing `source` does that the policy forbids, with its line, as a compiler
/// would word it; `None` when the source keeps to the programming model.
pub fn policy_violation(source: &str) -> Option<String> {
    let code = strip_comments_and_literals(source);
    for (index, line) in code.lines().enumerate() {
        if line.contains("##") {
            return Some(format!(
                "kernel.cpp:{}: error: npu-emu policy: token pasting (##) is not allowed",
                index + 1
            ));
        }
        for word in line.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
            if let Some((name, why)) = FORBIDDEN.iter().find(|(name, _)| *name == word) {
                return Some(format!(
                    "kernel.cpp:{}: error: npu-emu policy: `{name}` is not allowed ({why})",
                    index + 1
                ));
            }
        }
    }
    None
}

/// `source` with comments and string and character literals blanked (newlines kept, so
/// line numbers stay right).
fn strip_comments_and_literals(source: &str) -> String {
    #[derive(PartialEq)]
    enum State {
        Code,
        LineComment,
        BlockComment,
        Literal(char),
    }
    let mut out = String::with_capacity(source.len());
    let mut state = State::Code;
    let mut chars = source.chars().peekable();
    while let Some(c) = chars.next() {
        match state {
            State::Code => match (c, chars.peek()) {
                ('/', Some('/')) => {
                    chars.next();
                    state = State::LineComment;
                    out.push(' ');
                }
                ('/', Some('*')) => {
                    chars.next();
                    state = State::BlockComment;
                    out.push(' ');
                }
                ('"' | '\'', _) => {
                    state = State::Literal(c);
                    out.push(' ');
                }
                _ => out.push(c),
            },
            State::LineComment => {
                if c == '\n' {
                    state = State::Code;
                    out.push('\n');
                }
            }
            State::BlockComment => {
                if c == '*' && chars.peek() == Some(&'/') {
                    chars.next();
                    state = State::Code;
                } else if c == '\n' {
                    out.push('\n');
                }
            }
            State::Literal(quote) => {
                if c == '\\' {
                    chars.next();
                } else if c == quote {
                    state = State::Code;
                } else if c == '\n' {
                    out.push('\n');
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::policy_violation;

    #[test]
    fn kernels_in_the_programming_model_pass() {
        let kernel = "// kb_emu in a comment, \"try\" in a string\n\
                      const char *s = \"catch ## asm\"; char q = '\\'';\n\
                      int trying = 0; int kb_emulated = 1; /* throw */\n\
                      LocalTensor<float> x = q.AllocTensor<float>();";
        assert_eq!(policy_violation(kernel), None);
    }

    #[test]
    fn reaching_the_emulator_is_rejected_with_its_line() {
        for (source, line, word) in [
            ("int a;\nkb_emu::estimate().store(0);", 2, "kb_emu"),
            ("namespace e = kb_emu;", 1, "kb_emu"),
            ("#define J(a, b) a##b\nJ(kb_, emu)::core();", 1, "##"),
            ("void f() { try { g(); } catch (...) {} }", 1, "try"),
            ("\n\n__asm__(\"nop\");", 3, "__asm__"),
            ("void *p = dlsym(0, \"x\");", 1, "dlsym"),
        ] {
            let said = policy_violation(source).expect("rejected");
            assert!(
                said.starts_with(&format!("kernel.cpp:{line}: error")),
                "{said}"
            );
            assert!(said.contains(word), "{said}");
        }
    }
}
