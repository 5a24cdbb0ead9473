use super::DomainError;

/// The parameter of a `t.me/<bot>?start=<payload>` deep link: at most 64 characters of
/// `[A-Za-z0-9_-]` (Telegram's rule). Referral codes and product links travel in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartPayload(String);

impl StartPayload {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let ok = (1..=64).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(DomainError::InvalidStartPayload)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_link_payloads_follow_telegrams_rule() {
        assert!(StartPayload::parse("ref_abc-123").is_ok());
        assert!(StartPayload::parse(&"a".repeat(64)).is_ok());
        for bad in ["", "has space", "ünï", "a/b", &"a".repeat(65)] {
            assert_eq!(
                StartPayload::parse(bad),
                Err(DomainError::InvalidStartPayload),
                "{bad}"
            );
        }
    }
}
