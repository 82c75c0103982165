//! Code normalised for deduplication: comments dropped, whitespace kept only where it
//! separates two words, then hashed.

/// The normalised form of C-family source (C++, CUDA, Ascend C): `//` and `/* */`
/// comments removed (not inside string or character literals), every run of
/// whitespace removed, except one space between two word characters (`int x`, not
/// `intx`). Two sources that differ only in comments, indentation or line breaks
/// normalise alike.
pub fn normalize(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut chars = code.chars().peekable();
    let mut pending_space = false;
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
                pending_space = true;
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut last = '\0';
                for c in chars.by_ref() {
                    if last == '*' && c == '/' {
                        break;
                    }
                    last = c;
                }
                pending_space = true;
            }
            c if c.is_whitespace() => pending_space = true,
            '"' | '\'' => {
                push_word_gap(&mut out, c, pending_space);
                pending_space = false;
                out.push(c);
                let mut escaped = false;
                for inner in chars.by_ref() {
                    out.push(inner);
                    if escaped {
                        escaped = false;
                    } else if inner == '\\' {
                        escaped = true;
                    } else if inner == c || inner == '\n' {
                        break;
                    }
                }
            }
            c => {
                push_word_gap(&mut out, c, pending_space);
                pending_space = false;
                out.push(c);
            }
        }
    }
    out
}

/// Pushes one space when whitespace or a comment separated two word characters.
fn push_word_gap(out: &mut String, next: char, gap: bool) {
    if gap && is_word(next) && out.chars().next_back().is_some_and(is_word) {
        out.push(' ');
    }
}

/// A character of an identifier or a number.
fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The key two duplicate sources share: blake3 of the normalised code (16 bytes).
pub fn code_key(code: &str) -> [u8; 16] {
    let hash = blake3::hash(normalize(code).as_bytes());
    let mut key = [0u8; 16];
    key.copy_from_slice(&hash.as_bytes()[..16]);
    key
}

#[cfg(test)]
mod tests {
    use super::{code_key, normalize};

    #[test]
    fn comments_and_layout_do_not_matter() {
        let a = "int  f(int x) {\n    return x + 1; // one more\n}\n";
        let b = "/* header */ int f(int x){return x+1;}";
        assert_eq!(normalize(a), "int f(int x){return x+1;}");
        assert_eq!(normalize(a), normalize(b));
        assert_eq!(code_key(a), code_key(b));
    }

    #[test]
    fn words_stay_apart_and_code_changes_count() {
        assert_eq!(normalize("unsigned\n\tint x"), "unsigned int x");
        assert_eq!(normalize("a/*x*/b"), "a b");
        assert_ne!(code_key("return x + 1;"), code_key("return x + 2;"));
        assert_ne!(code_key("int ab;"), code_key("int a b;"));
    }

    #[test]
    fn literals_keep_their_contents() {
        assert_eq!(normalize(r#"s = "a  // b";"#), r#"s="a  // b";"#);
        assert_eq!(
            normalize(r#"c = '"'; d = "\" /* x */";"#),
            r#"c='"';d="\" /* x */";"#
        );
        assert_eq!(normalize("x = '/'; // gone"), "x='/';");
        assert_eq!(
            normalize("#include <a.h>\n#include <b.h>"),
            "#include<a.h>#include<b.h>"
        );
    }
}
