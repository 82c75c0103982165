//! Integer expressions over a task's size constants: `batch_size * (dim - 2) / 2 + 1`.
//!
//! Shapes, FLOP counts and fan-ins are written once, in terms of the `.py`'s module
//! constants, and evaluated per size profile. Integers only: `+ - * / %` (division
//! floors, as Python's `//` on the non-negative sizes used here), parentheses and names.
//! Every step is checked: an overflow, a division by zero or an unknown name is an error.

use std::collections::BTreeMap;

/// The values of a profile's size constants.
pub type Sizes = BTreeMap<String, i64>;

/// Evaluates `text` with the constants `sizes`.
pub fn eval(text: &str, sizes: &Sizes) -> Result<i64, String> {
    let tokens = tokenize(text)?;
    let mut parser = Parser {
        tokens: &tokens,
        at: 0,
        sizes,
    };
    let value = parser.sum()?;
    match parser.tokens.get(parser.at) {
        None => Ok(value),
        Some(t) => Err(format!("unexpected `{t}` in `{text}`")),
    }
}

/// The names an expression uses.
pub fn names(text: &str) -> Result<Vec<String>, String> {
    Ok(tokenize(text)?
        .into_iter()
        .filter_map(|t| match t {
            Token::Name(n) => Some(n),
            _ => None,
        })
        .collect())
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Number(i64),
    Name(String),
    Op(char),
}

impl std::fmt::Display for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Token::Number(n) => write!(f, "{n}"),
            Token::Name(n) => f.write_str(n),
            Token::Op(c) => write!(f, "{c}"),
        }
    }
}

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c.is_ascii_digit() {
            let mut digits = String::new();
            while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit() || **d == '_') {
                if d != '_' {
                    digits.push(d);
                }
                chars.next();
            }
            let n = digits
                .parse()
                .map_err(|_| format!("number `{digits}` too large in `{text}`"))?;
            tokens.push(Token::Number(n));
        } else if c.is_ascii_alphabetic() || c == '_' {
            let mut name = String::new();
            while let Some(&d) = chars
                .peek()
                .filter(|d| d.is_ascii_alphanumeric() || **d == '_')
            {
                name.push(d);
                chars.next();
            }
            tokens.push(Token::Name(name));
        } else if "+-*/%()".contains(c) {
            tokens.push(Token::Op(c));
            chars.next();
        } else {
            return Err(format!("unexpected character `{c}` in `{text}`"));
        }
    }
    Ok(tokens)
}

struct Parser<'a> {
    tokens: &'a [Token],
    at: usize,
    sizes: &'a Sizes,
}

impl Parser<'_> {
    fn peek_op(&self) -> Option<char> {
        match self.tokens.get(self.at) {
            Some(Token::Op(c)) => Some(*c),
            _ => None,
        }
    }

    fn sum(&mut self) -> Result<i64, String> {
        let mut value = self.product()?;
        while let Some(op @ ('+' | '-')) = self.peek_op() {
            self.at += 1;
            let rhs = self.product()?;
            value = if op == '+' {
                value.checked_add(rhs)
            } else {
                value.checked_sub(rhs)
            }
            .ok_or("overflow")?;
        }
        Ok(value)
    }

    fn product(&mut self) -> Result<i64, String> {
        let mut value = self.atom()?;
        while let Some(op @ ('*' | '/' | '%')) = self.peek_op() {
            self.at += 1;
            let rhs = self.atom()?;
            value = match op {
                '*' => value.checked_mul(rhs).ok_or("overflow")?,
                _ if rhs == 0 => return Err("division by zero".into()),
                '/' => value.div_euclid(rhs),
                _ => value.rem_euclid(rhs),
            };
        }
        Ok(value)
    }

    fn atom(&mut self) -> Result<i64, String> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        match token {
            Some(Token::Number(n)) => Ok(n),
            Some(Token::Name(name)) => self
                .sizes
                .get(&name)
                .copied()
                .ok_or_else(|| format!("unknown size `{name}`")),
            Some(Token::Op('-')) => Ok(-self.atom()?),
            Some(Token::Op('(')) => {
                let value = self.sum()?;
                match self.tokens.get(self.at) {
                    Some(Token::Op(')')) => {
                        self.at += 1;
                        Ok(value)
                    }
                    _ => Err("missing `)`".into()),
                }
            }
            Some(t) => Err(format!("unexpected `{t}`")),
            None => Err("expression ends too early".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sizes() -> Sizes {
        [("n".to_string(), 10), ("k".to_string(), 3)].into()
    }

    #[test]
    fn precedence_parentheses_and_floor_division() {
        assert_eq!(eval("2 + n * k", &sizes()), Ok(32));
        assert_eq!(eval("(n - k) / 2 + 1", &sizes()), Ok(4));
        assert_eq!(eval("-n % k", &sizes()), Ok(2));
        assert_eq!(eval("16_384", &sizes()), Ok(16384));
    }

    #[test]
    fn errors_name_the_problem() {
        assert_eq!(
            eval("n / (k - 3)", &sizes()),
            Err("division by zero".into())
        );
        assert_eq!(eval("m + 1", &sizes()), Err("unknown size `m`".into()));
        assert!(eval("n * ", &sizes()).is_err());
        assert!(eval("n k", &sizes()).is_err());
        assert!(eval("9223372036854775807 + 1", &sizes()).is_err());
        assert_eq!(names("a * (b + 2)"), Ok(vec!["a".into(), "b".into()]));
    }
}
