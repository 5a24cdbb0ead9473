//! The account commands ([`account`]) and the first contact ([`onboarding`]).

pub(crate) mod account;
pub(crate) mod onboarding;
