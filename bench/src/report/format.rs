//! Figures as the report writes them: thousands separators, units that fit the size, three
//! significant digits for ratios.

use crate::proc::Busy;

/// "x× better" when `good / bad` ≥ 1, "x× worse" otherwise.
pub(super) fn ratio_text(good: f64, bad: f64) -> String {
    if good <= 0.0 || bad <= 0.0 || !good.is_finite() || !bad.is_finite() {
        return "–".to_owned();
    }
    let r = good / bad;
    if r >= 1.0 {
        format!("{}× better", sig(r))
    } else {
        format!("{}× worse", sig(1.0 / r))
    }
}

/// Three significant digits, no exponent.
pub(super) fn sig(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// An integer with thousands separators.
pub(super) fn thousands(v: f64) -> String {
    let n = v.round() as i64;
    let digits = n.abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        out.insert(0, '-');
    }
    out
}

pub(super) fn per_s(v: f64) -> String {
    format!("{}/s", thousands(v))
}

pub(super) fn ms(v: f64) -> String {
    if v >= 10_000.0 {
        format!("{:.1} s", v / 1e3)
    } else if v >= 100.0 {
        format!("{v:.0} ms")
    } else if v >= 1.0 {
        format!("{v:.1} ms")
    } else {
        format!("{v:.2} ms")
    }
}

pub(super) fn secs(v: f64) -> String {
    if v >= 10.0 {
        format!("{v:.0} s")
    } else {
        format!("{v:.1} s")
    }
}

pub(super) fn us(v: f64) -> String {
    if v >= 1000.0 {
        format!("{} ms", sig(v / 1e3))
    } else {
        format!("{} µs", sig(v))
    }
}

pub(super) fn count(v: f64) -> String {
    thousands(v)
}

pub(super) fn bytes(v: f64) -> String {
    if v >= 1e6 {
        format!("{:.1} MB", v / 1e6)
    } else if v >= 1e4 {
        format!("{:.1} KB", v / 1e3)
    } else {
        format!("{} B", thousands(v))
    }
}

/// Frames per socket write, or a dash where the server does not count them (the peer).
pub(super) fn per_write(frames: Option<f64>) -> String {
    frames.map_or_else(|| "–".to_owned(), |f| format!("{f:.1}"))
}

pub(super) fn busy_text(b: &Busy) -> String {
    format!(
        "{:.2} (1 min), {:.2} (5 min), {} rustc processes",
        b.load_1m, b.load_5m, b.compilers
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(thousands(1_234_567.4), "1,234,567");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(ratio_text(500.0, 40.0), "12.5× better");
        assert_eq!(ratio_text(1.0, 2.0), "2.00× worse");
        assert_eq!(bytes(3700.0), "3,700 B");
        assert_eq!(ms(0.5), "0.50 ms");
    }
}
