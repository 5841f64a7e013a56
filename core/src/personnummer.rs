//! Spotting Swedish personal identity numbers (personnummer, samordningsnummer) in free
//! text. Lägesbild records places and situations, not people: such text is stored only
//! after the user confirms it.

/// Whether `text` contains something shaped like a personnummer: a plausible date
/// (YYMMDD or YYYYMMDD; day + 60 for a samordningsnummer), optionally `-`, `+` or a
/// space, then four digits. The check digit is not required: a mistyped number is still
/// a number about a person.
pub fn looks_like_personnummer(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() || (i > 0 && bytes[i - 1].is_ascii_digit()) {
            i += 1;
            continue;
        }
        let run = digit_run(bytes, i);
        let candidate = match run {
            10 | 12 => Some((&bytes[i..i + run - 4], i + run)),
            6 | 8 => {
                let sep = i + run;
                let after = sep + 1;
                let separated = matches!(bytes.get(sep), Some(b'-' | b'+' | b' '))
                    && digit_run(bytes, after) == 4;
                separated.then(|| (&bytes[i..i + run], after + 4))
            }
            _ => None,
        };
        if let Some((date, _)) = candidate
            && plausible_date(date)
        {
            return true;
        }
        i += run.max(1);
    }
    false
}

fn digit_run(bytes: &[u8], start: usize) -> usize {
    bytes.get(start..).map_or(0, |rest| {
        rest.iter().take_while(|b| b.is_ascii_digit()).count()
    })
}

fn number(digits: &[u8]) -> u32 {
    digits.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0'))
}

fn plausible_date(date: &[u8]) -> bool {
    let (century_ok, rest) = match date.len() {
        8 => (matches!(number(&date[..2]), 18..=20), &date[2..]),
        6 => (true, date),
        _ => return false,
    };
    let month = number(&rest[2..4]);
    let day = number(&rest[4..6]);
    century_ok && (1..=12).contains(&month) && ((1..=31).contains(&day) || (61..=91).contains(&day))
}

#[cfg(test)]
mod tests {
    use super::looks_like_personnummer;

    #[test]
    fn personnummer_shapes_are_spotted() {
        for text in [
            "pojke 050612-1234 sågs",
            "200506121234",
            "19900101-1234",
            "0506121234",
            "samordningsnummer 701063-2391",
            "050612+1234",
            "050612 1234",
        ] {
            assert!(
                looks_like_personnummer(text),
                "{text} looks like a personnummer"
            );
        }
    }

    #[test]
    fn ordinary_numbers_are_not_personnummer() {
        for text in [
            "ca 15 ungdomar vid 21:30",
            "070-123 45 67",
            "buss 742, hållplats 12",
            "051312-1234",
            "12345678901234",
            "2026-11-24",
            "050612-123",
        ] {
            assert!(
                !looks_like_personnummer(text),
                "{text} is not a personnummer"
            );
        }
    }
}
