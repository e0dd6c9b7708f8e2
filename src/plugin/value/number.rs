//! Number helpers shared by the msgpack and JSON codecs: parsing decimal text,
//! exact conversion from floats, the int / float / string choice go-cty makes when
//! writing a number, and the size limits that keep hostile numbers (such as
//! `1e999999999`) from costing unbounded memory or time.

use std::str::FromStr;

use bigdecimal::{BigDecimal, Zero};

/// The most decimal digits a number's unscaled integer may have.
const MAX_DIGITS: u64 = 4096;
/// The largest magnitude of a number's decimal exponent (its scale).
const MAX_SCALE: i64 = 4096;
/// The longest number text that is parsed at all.
const MAX_TEXT_LEN: usize = 2 * MAX_DIGITS as usize + 64;

/// Checks that `n` is within the sizes these codecs handle: at most
/// [`MAX_DIGITS`] digits and a decimal exponent of at most [`MAX_SCALE`] either way.
/// Every f64 (even subnormal) and every number Terraform produces in practice fits.
pub(crate) fn check_range(n: &BigDecimal) -> Result<(), String> {
    let (_, scale) = n.as_bigint_and_scale();
    if n.digits() > MAX_DIGITS || !(-MAX_SCALE..=MAX_SCALE).contains(&scale) {
        return Err(format!(
            "number is too large or too precise (more than {MAX_DIGITS} digits or a decimal exponent beyond {MAX_SCALE})"
        ));
    }
    Ok(())
}

/// Parses decimal number text: an optional sign, digits with an optional
/// fraction, and an optional exponent, as in `-12.5e3`. No spaces, no `inf` or
/// `nan`.
pub(crate) fn parse(text: &str) -> Result<BigDecimal, String> {
    if text.len() > MAX_TEXT_LEN {
        return Err(format!(
            "number text is too long ({} bytes, at most {MAX_TEXT_LEN})",
            text.len()
        ));
    }
    if !is_decimal_syntax(text.as_bytes()) {
        return Err(format!("{} is not a decimal number", preview(text)));
    }
    let n = BigDecimal::from_str(text)
        .map_err(|e| format!("{} is not a decimal number: {e}", preview(text)))?;
    check_range(&n)?;
    Ok(n)
}

/// Whether `b` is `[+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?`.
fn is_decimal_syntax(b: &[u8]) -> bool {
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let int_start = i;
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    let mut digits = i - int_start;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let frac_start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        digits += i - frac_start;
    }
    if digits == 0 {
        return false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exp_start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == exp_start {
            return false;
        }
    }
    i == b.len()
}

/// The first few characters of `text`, quoted, for error messages.
fn preview(text: &str) -> String {
    const MAX: usize = 40;
    if text.chars().count() <= MAX {
        format!("{text:?}")
    } else {
        let head: String = text.chars().take(MAX).collect();
        format!("{head:?}...")
    }
}

/// The exact decimal value of a finite float.
pub(crate) fn from_f64(f: f64) -> Result<BigDecimal, String> {
    if !f.is_finite() {
        return Err(format!("{f} is not a finite number"));
    }
    let n = BigDecimal::try_from(f).map_err(|e| format!("cannot convert {f} to a decimal: {e}"))?;
    check_range(&n)?;
    Ok(n)
}

/// `n` as an `i64`, if it is a whole number in range.
pub(crate) fn exact_i64(n: &BigDecimal) -> Option<i64> {
    check_range(n).ok()?;
    let (_, scale) = n.as_bigint_and_scale();
    if scale < -19 {
        // |n| >= 10^19 > i64::MAX, unless n is zero.
        return if n.is_zero() { Some(0) } else { None };
    }
    if !n.is_integer() {
        return None;
    }
    let (whole, _) = n.with_scale(0).into_bigint_and_scale();
    i64::try_from(&whole).ok()
}

/// `n` as an `f64`, if the float holds exactly the same value.
pub(crate) fn exact_f64(n: &BigDecimal) -> Option<f64> {
    check_range(n).ok()?;
    // A float has at most 767 significant decimal digits; more cannot be exact.
    if n.digits() > 800 {
        return None;
    }
    let (digits, scale) = n.as_bigint_and_scale();
    // Rust's float parsing rounds correctly, so if any float equals `n`, this is it.
    let f: f64 = format!("{digits}e{}", -scale).parse().ok()?;
    if !f.is_finite() {
        return None;
    }
    let back = BigDecimal::try_from(f).ok()?;
    (back == *n).then_some(f)
}

/// The canonical decimal text of `n`: plain notation (never an exponent), no
/// trailing fractional zeros, as go-cty's `Text('f', -1)` writes it.
pub(crate) fn canonical_string(n: &BigDecimal) -> Result<String, String> {
    check_range(n)?;
    Ok(n.normalized().to_plain_string())
}
