//! The phase spans: the stretches of the update cycle that the relay waits on, marked with
//! spans of target [`TARGET`]: a getUpdates poll ([`POLL`]), a relay gate batch ([`GATE`]) and
//! a copyMessage ([`COPY`]). They cost nothing unless a subscriber asks for them; a tracing
//! layer filtered to [`TARGET`] can time them (each span lives from its creation to its close,
//! however often it was polled). Several apps may share a process, so a span may name its app
//! in a `scope` field ([`scope_of`]).

/// The target of the phase spans.
pub const TARGET: &str = "tollgate::phase";
/// A getUpdates request in flight.
pub const POLL: &str = "poll";
/// A relay gate batch (admissions and pairs: its read and its write).
pub const GATE: &str = "gate";
/// A copyMessage into the admin group in flight.
pub const COPY: &str = "copy";

/// What a phase span's `scope` field holds for an app talking to the Bot API at `api`: its
/// port, or 0 when it has none.
pub fn scope_of(api: &url::Url) -> u64 {
    api.port_or_known_default().map_or(0, u64::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_app_is_named_by_its_bot_api_port() {
        assert_eq!(scope_of(&"http://127.0.0.1:8081/".parse().unwrap()), 8081);
        assert_eq!(scope_of(&"https://api.telegram.org".parse().unwrap()), 443);
    }
}
