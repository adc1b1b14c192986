//! WTO notification symbols: `G/TBT/N/TUR/123` -> the notifying member.
pub fn wto_member(_text: &str) -> Option<&'static str> {
    None
}
