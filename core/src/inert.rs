//! Text that leaves Lägesbild for another program — a spreadsheet opening a CSV file, a
//! terminal printing a report — made inert there: what someone typed into a report is
//! shown as text and never runs as a formula or moves the terminal's cursor. Every CSV
//! writer and every terminal printer goes through these functions.

use std::borrow::Cow;
use std::fmt;

/// What a spreadsheet reads as the start of a formula (OWASP's list): `=`, `+`, `-`,
/// `@`, tab and carriage return.
const FORMULA_START: &[char] = &['=', '+', '-', '@', '\t', '\r'];

/// A text cell for CSV that no spreadsheet evaluates: a cell that would start a formula
/// gets a single quote in front (OWASP's advice), which spreadsheets show as text.
///
/// A cell that starts with quotes followed by a formula start gets one more quote, so
/// `csv_text_read` gives back exactly what was written: text cells round-trip. Numbers
/// (a negative change, a longitude west of Greenwich) are not text: write them as they
/// are, not through this function.
pub fn csv_text(cell: &str) -> Cow<'_, str> {
    if quoted_formula(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// A text cell as `csv_text` wrote it: the quote it added taken off again. Other cells,
/// a quote in a file someone else wrote before a word included, are left as they are.
pub fn csv_text_read(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if quoted_formula(rest) => rest,
        _ => cell,
    }
}

/// Whether `cell`, after any single quotes, starts a formula.
fn quoted_formula(cell: &str) -> bool {
    cell.trim_start_matches('\'').starts_with(FORMULA_START)
}

/// Whether a terminal would act on `c` instead of printing it: C0 and C1 controls
/// (escape sequences, carriage return, backspace…), DEL, and the Unicode marks that
/// move or reorder text (line and paragraph separators, bidirectional overrides and
/// isolates) so that printed text could pass for other text.
fn acts_on_terminal(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

/// One line of text for a terminal: every control character (newlines too) written as
/// an escape (`\n`, `\r`, `\t`, `\u{1b}`), so the text cannot start a line of its own,
/// overwrite one, or send escape sequences. `format!("{}", terminal_line(text))`.
pub fn terminal_line(text: &str) -> TerminalText<'_> {
    TerminalText {
        text,
        continuation: None,
    }
}

/// Text of several lines for a terminal, printed on purpose over several lines (a
/// description): newlines are kept and each following line starts with `indent`, so
/// it reads as a continuation and never as a record of its own; every other control
/// character is escaped as in `terminal_line`.
pub fn terminal_block<'a>(text: &'a str, indent: &'a str) -> TerminalText<'a> {
    TerminalText {
        text,
        continuation: Some(indent),
    }
}

/// Text escaped for a terminal as it is formatted; see `terminal_line`.
#[derive(Debug, Clone, Copy)]
pub struct TerminalText<'a> {
    text: &'a str,
    /// Where newlines are kept: what starts each following line.
    continuation: Option<&'a str>,
}

impl fmt::Display for TerminalText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use fmt::Write as _;
        let mut rest = self.text;
        while let Some(at) = rest.find(acts_on_terminal) {
            f.write_str(&rest[..at])?;
            let c = rest[at..].chars().next().unwrap_or_default();
            match (c, self.continuation) {
                ('\n', Some(indent)) => {
                    f.write_char('\n')?;
                    f.write_str(indent)?;
                }
                ('\n', None) => f.write_str("\\n")?,
                ('\r', _) => f.write_str("\\r")?,
                ('\t', _) => f.write_str("\\t")?,
                (c, _) => write!(f, "\\u{{{:x}}}", u32::from(c))?,
            }
            rest = &rest[at + c.len_utf8()..];
        }
        f.write_str(rest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_that_would_start_a_formula_are_quoted() {
        for cell in [
            "=HYPERLINK(\"http://x\",\"y\")",
            "@SUM(1)",
            "+46 70 123",
            "-2+3",
            "\tsum",
            "\rsum",
        ] {
            assert_eq!(
                csv_text(cell),
                format!("'{cell}"),
                "a spreadsheet would evaluate {cell:?}"
            );
        }
    }

    #[test]
    fn ordinary_text_is_written_as_it_is() {
        for cell in [
            "Grupp vid perrongen",
            "",
            "'tis",
            "a=b",
            " =1",
            "Flaskor, glas",
        ] {
            assert_eq!(csv_text(cell), cell, "{cell:?} starts no formula");
        }
    }

    #[test]
    fn text_cells_read_back_as_they_were_written() {
        for cell in [
            "=1+1", "'=1+1", "''@x", "'tis", "''", "-", "plain", "", "'", "+",
        ] {
            assert_eq!(
                csv_text_read(&csv_text(cell)),
                cell,
                "{cell:?} must survive export and import unchanged"
            );
        }
        assert_eq!(
            csv_text_read("'tis"),
            "'tis",
            "a quote before a word is the writer's own"
        );
    }

    #[test]
    fn controls_are_escaped_on_one_line() {
        let shown = terminal_line("a\u{1b}[2Jb\rc\nd\u{7}\u{9b}e\u{202e}f\tg").to_string();
        assert_eq!(shown, "a\\u{1b}[2Jb\\rc\\nd\\u{7}\\u{9b}e\\u{202e}f\\tg");
        assert_eq!(
            terminal_line("Rönninge – 12 år").to_string(),
            "Rönninge – 12 år"
        );
    }

    #[test]
    fn a_block_keeps_its_lines_indented_under_the_field() {
        let shown = terminal_block("first\nSTATUS fake\r\u{1b}[1A", "    ").to_string();
        assert_eq!(shown, "first\n    STATUS fake\\r\\u{1b}[1A");
    }
}
