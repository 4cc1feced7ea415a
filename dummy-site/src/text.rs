//! Messages that quote what they were given, kept short: a quoted value (between `'` or
//! `"`) longer than [`MAX_QUOTE`] characters is cut to that length and says how long it
//! was, so a 10 MB field never comes back whole in an error.

/// Most characters of an offending value an error message quotes.
pub const MAX_QUOTE: usize = 100;

/// `msg` with every quoted value of more than [`MAX_QUOTE`] characters shortened (and an
/// unclosed quote's rest, when that is longer).
pub fn shorten(msg: &str) -> String {
    let mut out = String::with_capacity(msg.len().min(4096));
    let mut rest = msg;
    while let Some(open) = rest.find(['\'', '"']) {
        let q = rest[open..].chars().next().expect("found");
        out.push_str(&rest[..=open]);
        let inner_start = open + q.len_utf8();
        let after = &rest[inner_start..];
        let (inner, tail, closed) = match after.find(q) {
            Some(close) => (&after[..close], &after[close + q.len_utf8()..], true),
            None => (after, "", false),
        };
        let n = inner.chars().count();
        if n > MAX_QUOTE {
            out.extend(inner.chars().take(MAX_QUOTE));
            out.push('…');
            if closed {
                out.push(q);
            }
            out.push_str(&format!(" ({n} characters)"));
        } else {
            out.push_str(inner);
            if closed {
                out.push(q);
            }
        }
        rest = tail;
    }
    out.push_str(rest);
    out
}

/// Prints a command-line parse error (shortened) or the help/version text, and gives
/// clap's exit code (2 for errors, 0 for help).
pub fn clap_exit(e: &clap::Error) -> std::process::ExitCode {
    let text = e.render().to_string();
    if e.use_stderr() {
        eprint!("{}", shorten(&text));
    } else {
        print!("{text}");
    }
    std::process::ExitCode::from(e.exit_code().clamp(0, 255) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_quoted_values_are_cut_and_short_ones_kept() {
        let long = "x".repeat(10_000);
        let s = shorten(&format!("--param size: '{long}' is not a size"));
        assert!(s.len() < 200, "{s}");
        assert!(s.starts_with("--param size: 'xxx"), "{s}");
        assert!(s.ends_with("…' (10000 characters) is not a size"), "{s}");
        assert_eq!(
            shorten("bad 'short' and \"also\""),
            "bad 'short' and \"also\""
        );
        let s = shorten(&format!("invalid type: string \"{long}"));
        assert!(s.ends_with("… (10000 characters)"), "{s}");
        assert_eq!(shorten("it's fine"), "it's fine");
        assert_eq!(shorten("ünïcödé 'ä'"), "ünïcödé 'ä'");
    }
}
