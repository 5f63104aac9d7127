//! Avatars: a sender's initials on a colour derived from their name, so that who is who can be
//! told at a glance. Every colour carries white initials with a contrast of at least 4.5:1
//! (WCAG AA for normal text); the avatar is decoration (`aria-hidden`), the name is written
//! beside it.

/// Background colours, all dark enough for white text (checked by a test).
pub const PALETTE: [&str; 10] = [
    "#b42318", "#b54708", "#027a48", "#026aa2", "#175cd3", "#5925dc", "#9e165f", "#c11574",
    "#3e4784", "#4e5ba6",
];

/// The initials: the first letters of the first two parts of the name (split at `_ - .` or
/// a lower-to-upper case change), upper-cased; one letter for a one-part name.
pub fn initials(name: &str) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in name.chars() {
        if matches!(c, '_' | '-' | '.' | ' ') {
            if !current.is_empty() {
                parts.push(std::mem::take(&mut current));
            }
            previous_lower = false;
            continue;
        }
        if c.is_uppercase() && previous_lower && !current.is_empty() {
            parts.push(std::mem::take(&mut current));
        }
        previous_lower = c.is_lowercase();
        current.push(c);
    }
    if !current.is_empty() {
        parts.push(current);
    }
    let letters: String = parts
        .iter()
        .take(2)
        .filter_map(|part| part.chars().next())
        .flat_map(char::to_uppercase)
        .collect();
    if letters.is_empty() {
        "?".to_owned()
    } else {
        letters
    }
}

/// The colour of a name: the same for every way of writing it (`Bob`, `bob`), and spread over
/// the palette (FNV-1a of the lowercase name).
pub fn colour(name: &str) -> &'static str {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in name.to_lowercase().bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    PALETTE[hash as usize % PALETTE.len()]
}

/// WCAG relative luminance of a `#rrggbb` colour.
pub fn luminance(hex: &str) -> f64 {
    let channel = |i: usize| {
        let value = u8::from_str_radix(&hex[1 + 2 * i..3 + 2 * i], 16).unwrap_or(0);
        let c = f64::from(value) / 255.0;
        if c <= 0.039_28 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2)
}

/// The WCAG contrast ratio between two `#rrggbb` colours.
pub fn contrast(a: &str, b: &str) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    let (light, dark) = if la > lb { (la, lb) } else { (lb, la) };
    (light + 0.05) / (dark + 0.05)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initials_take_the_first_letters_of_the_parts() {
        assert_eq!(initials("alice"), "A");
        assert_eq!(initials("bob_smith"), "BS");
        assert_eq!(initials("mary-jane.watson"), "MJ");
        assert_eq!(initials("JohnDoe"), "JD");
        assert_eq!(initials("ALICE"), "A");
        assert_eq!(initials("x2"), "X");
        assert_eq!(initials("__"), "?");
        assert_eq!(initials("élodie"), "É");
        assert_eq!(initials("王芳"), "王");
    }

    #[test]
    fn a_name_always_gets_the_same_colour_whatever_its_case() {
        assert_eq!(colour("Bob"), colour("bob"));
        assert_eq!(colour("alice"), colour("alice"));
        assert!(PALETTE.contains(&colour("carol")));
    }

    #[test]
    fn names_spread_over_the_palette() {
        let names = [
            "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi",
        ];
        let mut used: Vec<&str> = names.iter().map(|n| colour(n)).collect();
        used.sort_unstable();
        used.dedup();
        assert!(used.len() >= 4, "only {} colours for 8 names", used.len());
    }

    #[test]
    fn every_colour_carries_white_text_at_wcag_aa() {
        assert!((contrast("#ffffff", "#000000") - 21.0).abs() < 0.01);
        assert!((contrast("#777777", "#ffffff") - 4.48).abs() < 0.01);
        for background in PALETTE {
            let ratio = contrast(background, "#ffffff");
            assert!(ratio >= 4.5, "{background} gives {ratio:.2}:1");
        }
    }
}
