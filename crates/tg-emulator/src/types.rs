//! Public data types of the emulator.

use std::net::SocketAddr;
use std::sync::Arc;

use serde_json::Value;

/// How to start an [`crate::Emulator`].
#[derive(Clone, Debug)]
pub struct EmulatorConfig {
    /// Bot token, e.g. `123456:TEST`; the part before `:` becomes the bot id.
    pub token: String,
    pub bot_username: String,
    /// Address to bind; port 0 picks a free port.
    pub addr: SocketAddr,
    /// Answer 429 like Telegram when the bot sends too fast.
    pub enforce_rate_limits: bool,
    /// The flood limits applied when [`Self::enforce_rate_limits`] is on.
    pub limits: EmulatorLimits,
    /// Serve on a runtime of this many threads of the emulator's own instead of the caller's.
    /// The real Bot API runs on someone else's machine: with its own threads a busy emulator
    /// (its one lock held by a request while another waits for it) can't park a worker of the
    /// bot under test, which is what a benchmark wants. `None` serves as a task of the
    /// caller's runtime (tests: nothing to set up or stop).
    pub server_threads: Option<usize>,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            token: "123456:TEST".to_owned(),
            bot_username: "tollgate_test_bot".to_owned(),
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            enforce_rate_limits: false,
            limits: EmulatorLimits::default(),
            server_threads: None,
        }
    }
}

/// Flood limits of the emulator, as token buckets: a bucket holds up to `*_burst` messages
/// and refills at its rate. A message the bot sends takes one token from the global bucket,
/// the bucket of its chat and, in a group, supergroup or channel, that chat's per-minute
/// bucket; when one of them is empty the answer is 429 with the `retry_after` of the emptiest.
/// The default is Telegram's documented advice: 30 messages a second overall, about one a
/// second per chat (bursts of 3) and 20 a minute per group. Rates must be positive.
///
/// A message sent with `allow_paid_broadcast` takes its token from the paid bucket
/// (Telegram's ceiling for paid broadcasts: 1,000 a second) instead of the global one; its
/// chat's buckets still apply.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EmulatorLimits {
    /// Messages per second over all chats.
    pub global_per_sec: f64,
    /// Messages the global bucket holds.
    pub global_burst: u32,
    /// Messages per second into one chat.
    pub chat_per_sec: f64,
    /// Messages one chat's bucket holds.
    pub chat_burst: u32,
    /// Messages per minute into one group (a chat with a negative id).
    pub group_per_min: f64,
    /// Messages one group's per-minute bucket holds.
    pub group_burst: u32,
    /// Paid broadcast messages (`allow_paid_broadcast`) per second over all chats.
    pub paid_per_sec: f64,
    /// Paid broadcast messages the paid bucket holds.
    pub paid_burst: u32,
}

impl Default for EmulatorLimits {
    fn default() -> Self {
        Self {
            global_per_sec: 30.0,
            global_burst: 30,
            chat_per_sec: 1.0,
            chat_burst: 3,
            group_per_min: 20.0,
            group_burst: 20,
            paid_per_sec: 1000.0,
            paid_burst: 1000,
        }
    }
}

/// A person to add to the world.
#[derive(Clone, Debug)]
pub struct UserSpec {
    pub first_name: String,
    pub last_name: Option<String>,
    pub username: Option<String>,
    pub language_code: Option<String>,
    pub is_premium: bool,
}

impl Default for UserSpec {
    fn default() -> Self {
        Self {
            first_name: "Alice".to_owned(),
            last_name: None,
            username: None,
            language_code: Some("en".to_owned()),
            is_premium: false,
        }
    }
}

/// Status of a chat member, as in `ChatMember.status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MemberStatus {
    Creator,
    Administrator,
    Member,
    Restricted,
    Left,
    Kicked,
}

impl MemberStatus {
    /// The Bot API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            MemberStatus::Creator => "creator",
            MemberStatus::Administrator => "administrator",
            MemberStatus::Member => "member",
            MemberStatus::Restricted => "restricted",
            MemberStatus::Left => "left",
            MemberStatus::Kicked => "kicked",
        }
    }

    /// Whether a user with this status is in the chat.
    pub fn is_present(self) -> bool {
        matches!(
            self,
            MemberStatus::Creator
                | MemberStatus::Administrator
                | MemberStatus::Member
                | MemberStatus::Restricted
        )
    }

    pub fn is_admin(self) -> bool {
        matches!(self, MemberStatus::Creator | MemberStatus::Administrator)
    }
}

/// Administrator rights of the bot in a chat (all `true` by default).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AdminRights {
    pub can_manage_chat: bool,
    pub can_delete_messages: bool,
    pub can_restrict_members: bool,
    pub can_promote_members: bool,
    pub can_change_info: bool,
    pub can_invite_users: bool,
    pub can_pin_messages: bool,
    pub can_manage_topics: bool,
    pub can_post_messages: bool,
    pub can_edit_messages: bool,
}

impl Default for AdminRights {
    fn default() -> Self {
        Self {
            can_manage_chat: true,
            can_delete_messages: true,
            can_restrict_members: true,
            can_promote_members: true,
            can_change_info: true,
            can_invite_users: true,
            can_pin_messages: true,
            can_manage_topics: true,
            can_post_messages: true,
            can_edit_messages: true,
        }
    }
}

impl AdminRights {
    /// No rights at all (an administrator that can do nothing).
    pub fn none() -> Self {
        Self {
            can_manage_chat: true,
            can_delete_messages: false,
            can_restrict_members: false,
            can_promote_members: false,
            can_change_info: false,
            can_invite_users: false,
            can_pin_messages: false,
            can_manage_topics: false,
            can_post_messages: false,
            can_edit_messages: false,
        }
    }
}

/// What a person sends.
#[derive(Clone, Debug)]
pub enum OutgoingKind {
    Text(String),
    Photo {
        caption: Option<String>,
    },
    Document {
        file_name: String,
        caption: Option<String>,
    },
    Voice,
    Video,
    VideoNote,
    Sticker {
        emoji: String,
    },
    Audio,
    Location {
        lat: f64,
        lon: f64,
    },
    Contact {
        phone: String,
        first_name: String,
    },
    Poll {
        question: String,
    },
    Dice,
    /// The `chat_shared` service message of a `request_chat` button (see
    /// [`crate::Emulator::share_chat`]).
    ChatShared {
        request_id: i32,
        chat_id: i64,
        title: Option<String>,
    },
}

/// A message a person sends (see [`crate::Emulator::send`]).
#[derive(Clone, Debug)]
pub struct OutgoingMessage {
    pub kind: OutgoingKind,
    pub thread_id: Option<i32>,
    pub reply_to: Option<i32>,
}

impl OutgoingMessage {
    pub fn text(text: impl Into<String>) -> Self {
        Self::new(OutgoingKind::Text(text.into()))
    }

    pub fn new(kind: OutgoingKind) -> Self {
        Self {
            kind,
            thread_id: None,
            reply_to: None,
        }
    }

    pub fn in_thread(mut self, thread_id: i32) -> Self {
        self.thread_id = Some(thread_id);
        self
    }

    pub fn reply_to(mut self, message_id: i32) -> Self {
        self.reply_to = Some(message_id);
        self
    }
}

/// An inline keyboard button as shown to a person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Button {
    pub text: String,
    pub callback_data: Option<String>,
    pub url: Option<String>,
}

/// A message as it exists in a chat.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub chat_id: i64,
    pub message_id: i32,
    pub thread_id: Option<i32>,
    pub from_bot: bool,
    pub from_id: Option<i64>,
    pub text: Option<String>,
    pub caption: Option<String>,
    /// "text", "photo", "document", "invoice", "forum_topic_created", …
    pub kind: String,
    /// Inline keyboard.
    pub buttons: Vec<Vec<Button>>,
    /// Reply keyboard shown with the message, if any (button texts).
    pub reply_keyboard: Option<Vec<Vec<String>>>,
    /// `(from_chat_id, message_id)` when the bot made this with `copyMessage` or `copyMessages`.
    pub copied_from: Option<(i64, i32)>,
    pub edited: bool,
    /// The Bot API `Message` object (shared with the emulator's record of it).
    pub raw: Arc<Value>,
}

impl Recorded {
    /// Text or caption, whichever exists.
    pub fn body(&self) -> Option<&str> {
        self.text.as_deref().or(self.caption.as_deref())
    }

    /// All callback data in the inline keyboard, row by row.
    pub fn callback_data(&self) -> Vec<String> {
        self.buttons
            .iter()
            .flatten()
            .filter_map(|b| b.callback_data.clone())
            .collect()
    }
}

/// One Bot API request the bot made (getUpdates is not recorded).
#[derive(Clone, Debug)]
pub struct ApiCall {
    /// Canonical method name, e.g. `sendMessage`.
    pub method: String,
    pub params: Value,
    pub ok: bool,
    pub error_code: Option<u16>,
    pub description: Option<String>,
}

/// An injected failure (see [`crate::Emulator::fail_next`]).
#[derive(Clone, Debug)]
pub enum Fault {
    TooManyRequests {
        retry_after: u32,
    },
    /// The call is carried out, but its answer leaves only after this long (a client with a
    /// shorter timeout gives up on a request that did happen).
    SlowAnswer {
        delay: std::time::Duration,
    },
    Server {
        code: u16,
    },
    Forbidden(String),
    BadRequest(String),
}

/// How the bot answered a callback query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallbackAnswer {
    pub text: Option<String>,
    pub show_alert: bool,
    pub url: Option<String>,
}

/// Result of [`crate::Emulator::join_via_link`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JoinOutcome {
    Joined,
    RequestSent,
    AlreadyMember,
}

/// Result of [`crate::Emulator::pay_invoice`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PaymentOutcome {
    Paid { charge_id: String },
    Declined(String),
    TimedOut,
}

/// A forum topic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Topic {
    pub thread_id: i32,
    pub name: String,
    pub icon_color: u32,
    pub icon_custom_emoji_id: Option<String>,
    pub closed: bool,
    /// Who created it (the bot's id when created through the API).
    pub created_by: i64,
}

/// A successful payment the emulator knows about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Charge {
    pub user_id: i64,
    pub telegram_payment_charge_id: String,
    pub provider_payment_charge_id: String,
    pub currency: String,
    pub total_amount: i64,
    pub invoice_payload: String,
    pub refunded: bool,
    /// A Star subscription's payment: the first charge's id (the subscription's), its period
    /// in seconds and when the paid period ends.
    pub subscription: Option<StarSubscriptionCharge>,
}

/// What a subscription payment records about its subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StarSubscriptionCharge {
    pub first_charge_id: String,
    pub period: i64,
    pub expiration: i64,
    /// Set by `editUserStarSubscription`: no renewal after the paid period.
    pub canceled: bool,
}

/// Errors of the driver API (acting as a person).
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum EmulatorError {
    #[error("unknown user {0}")]
    UnknownUser(i64),
    #[error("unknown chat {0}")]
    UnknownChat(i64),
    #[error("message {1} not found in chat {0}")]
    UnknownMessage(i64, i32),
    #[error("user {0} is not a member of chat {1}")]
    NotAMember(i64, i64),
    #[error("message has no button with callback data {0:?}")]
    NoSuchButton(String),
    #[error("invite link not found")]
    InviteLinkNotFound,
    #[error("invite link was revoked")]
    InviteLinkRevoked,
    #[error("invite link expired")]
    InviteLinkExpired,
    #[error("invite link usage limit reached")]
    InviteLinkLimitReached,
    #[error("user is banned in this chat")]
    Banned,
    #[error("a join request is already pending")]
    RequestAlreadyPending,
    #[error("message is not an invoice")]
    NotAnInvoice,
    #[error("topic not found")]
    TopicNotFound,
    #[error("timed out waiting")]
    Timeout,
    #[error("{0}")]
    Invalid(String),
}

/// The only `subscription_period` Telegram takes for a Star subscription: 30 days, in seconds.
pub const SUBSCRIPTION_PERIOD: i64 = 2_592_000;
