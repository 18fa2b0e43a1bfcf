//! Receipts, shared by review accounts and pulse comments: their format, how a typed one is
//! read, how it is stored (a keyed hash, never the receipt), and the instance-wide throttle
//! on wrong ones. This file is pure (no database, no request); `throttle` holds the budget's
//! row and the one guarded lookup every receipt endpoint goes through.
//!
//! THREAT-MODEL G8: at least 128 random bits, shown once, never in a URL, stored as a keyed
//! hash, guesses rate-limited across the instance.

pub mod throttle;

use time::PrimitiveDateTime;

use crate::secret::Keys;

/// Random bytes in a receipt: 160 bits, above the 128 that THREAT-MODEL G8 asks for, and a
/// whole number of base32 characters (32).
pub const RECEIPT_BYTES: usize = 20;
/// Crockford's base32: no I, L, O or U, so a hand-copied receipt has no look-alikes.
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
pub const RECEIPT_CHARS: usize = RECEIPT_BYTES * 8 / 5;

/// A new receipt: 32 Crockford base32 characters in groups of four, for writing down.
pub fn new_receipt() -> String {
    format_receipt(&crate::secret::random_bytes(RECEIPT_BYTES))
}

pub fn format_receipt(bytes: &[u8]) -> String {
    let mut chars = Vec::with_capacity(RECEIPT_CHARS);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            chars.push(CROCKFORD[((acc >> bits) & 31) as usize] as char);
        }
        acc &= (1 << bits) - 1;
    }
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// The canonical form of a receipt as a person typed it: case, spaces and dashes do not
/// count, and the letters people confuse with digits read as those digits. `None` when it
/// cannot be a receipt; callers answer that exactly as they answer a wrong one.
pub fn normalize_receipt(input: &str) -> Option<String> {
    if input.len() > 4 * RECEIPT_CHARS {
        return None;
    }
    let mut out = String::with_capacity(RECEIPT_CHARS);
    for c in input.chars() {
        let c = match c.to_ascii_uppercase() {
            ' ' | '-' | '\t' | '\n' | '\r' | '\u{a0}' => continue,
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        };
        if !c.is_ascii() || !CROCKFORD.contains(&(c as u8)) {
            return None;
        }
        out.push(c);
    }
    (out.len() == RECEIPT_CHARS).then_some(out)
}

/// What is stored for a receipt: the HMAC of its canonical form under the instance secret,
/// separated by `purpose` (each feature its own), so a dump without the secret cannot test a
/// guess and a review receipt never matches a comment's row. Whatever was typed is hashed,
/// even when it cannot be a receipt, so a malformed receipt takes the same path as a wrong
/// one; the empty string never matches a stored hash.
pub fn receipt_hash(keys: &Keys, purpose: &str, typed: &str) -> String {
    let normalized = normalize_receipt(typed).unwrap_or_default();
    keys.keyed_hash(purpose, normalized.as_bytes())
}

// ---------------------------------------------------------------- receipt throttle

/// Wrong receipts the whole instance accepts per window before every receipt lookup waits.
///
/// What an attacker can do: receipts carry 160 random bits, so guessing one is hopeless
/// whatever the rate; the throttle is there so nobody can turn the receipt endpoints into a
/// free oracle or a flood. Anonymous routes must not look at an address or a cookie (G4, G5),
/// so the budget is global: one attacker can use it up, and then every writer, honest or
/// not, waits out the rest of the window (at most a minute). That denial is the price of not
/// identifying anyone, and it is bounded. A correct receipt is refused too while the budget
/// is spent: letting it through would let guesses continue at full speed. Receipts name no
/// review or comment, so there is no narrower key to throttle on. Review and comment receipts
/// share the one budget: a guesser gains nothing by switching endpoints.
pub const WRONG_RECEIPT_BUDGET: i32 = 20;
pub const RECEIPT_WINDOW_SECONDS: i64 = 60;

/// The throttle's state: wrong receipts in the current window and when the window ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReceiptWindow {
    pub failures: i32,
    pub ends: PrimitiveDateTime,
}

/// Seconds to wait before any receipt is looked at, if the budget is spent.
pub fn receipt_wait(window: Option<ReceiptWindow>, now: PrimitiveDateTime) -> Option<u64> {
    let w = window?;
    (w.ends > now && w.failures >= WRONG_RECEIPT_BUDGET)
        .then(|| (w.ends - now).whole_seconds().max(1) as u64)
}

/// The window after one more wrong receipt.
pub fn after_wrong_receipt(window: Option<ReceiptWindow>, now: PrimitiveDateTime) -> ReceiptWindow {
    match window {
        Some(w) if w.ends > now => ReceiptWindow {
            failures: w.failures.saturating_add(1),
            ends: w.ends,
        },
        _ => ReceiptWindow {
            failures: 1,
            ends: now + time::Duration::seconds(RECEIPT_WINDOW_SECONDS),
        },
    }
}
