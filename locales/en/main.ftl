# Onboarding
welcome-new =
    👋 Hi { $name }, welcome!
    Write here and our team answers right in this chat. Each message costs credits, and you have { $credits } free credits to start.
    Want a 30-second tour? It comes with a bonus.
welcome-new-no-tour =
    👋 Hi { $name }, welcome!
    Write here and our team answers right in this chat. Each message costs credits, and you have { $credits } free credits to start.
welcome-custom = { $text }
relay-paused = ⏸ Messages to the team are paused right now. Nothing was charged; please try again later.
welcome-back = 👋 Welcome back, { $name }! Your balance: { $balance } { $balance ->
        [one] credit
       *[other] credits
    }. Just write your message.
start-link-invalid = That link looks broken, so I ignored it. You are all set anyway.
tour-1 =
    1/3 · 💳 Credits
    Every message you send to the team costs credits. /balance shows how many you have.
tour-2 =
    2/3 · 💬 Messaging
    Write anything here: text, photos, files, voice. The team sees it and answers in this chat.
tour-3 =
    3/3 · 🛒 Buying
    When you run low, buy more credits or a time pass for unlimited messages.
tour-done = 🎉 Tour done! +{ $bonus } bonus credits. Your balance: { $balance } { $balance ->
        [one] credit
       *[other] credits
    }.
tour-done-again = Tour done! You already got the bonus once. Your balance: { $balance } { $balance ->
        [one] credit
       *[other] credits
    }.
tour-skipped = No problem. Just write your message whenever you are ready.
btn-tour-start = Take the tour
btn-tour-skip = Skip
btn-next = Next ›
btn-finish = Finish

# Help and errors
help =
    Here is what I can do:
    Write any message to reach the team.
    /balance – your credits and pass
    /buy – buy credits or a time pass
    /history – where your credits went
    /billing – cards and receipts
    /language – change the language
    /stop – stop or resume messages from sellers
    /help – this list
unknown-command = I don't know the command { $command }. Type /help to see what I can do.
internal-error = Something went wrong on our side. Please try again in a minute.
button-expired = This button has expired.

# Relay
no-credits = 😕 You are out of credits, so this message was not delivered. Your balance: { $balance } { $balance ->
        [one] credit
       *[other] credits
    }.
low-credits = ⚠️ Only { $balance } { $balance ->
        [one] credit
       *[other] credits
    } left.
relay-failed = We could not deliver that message, so it was not charged. Please try again.
relay-unavailable = The team is not taking messages right now. Nothing was charged.
cant-forward = I can't pass this kind of message on (polls, dice, games). Send text, photos, files or voice instead. Nothing was charged.
banned = You can no longer message the team.
credits-granted = 🎁 The team added { $amount } { $amount ->
        [one] credit
       *[other] credits
    }. Your balance: { $balance } { $balance ->
        [one] credit
       *[other] credits
    }.
pass-granted = 🎟 Unlimited messaging until { $until }.
pass-ending = ⏳ Your unlimited pass ends at { $until }.

# Balance
balance =
    { $bar } { $balance } { $balance ->
        [one] credit
       *[other] credits
    }
    Plan: { $tier } · { $cost } per message
    { $pass }
    { $tip }
balance-pass = 🎟 Unlimited until { $until }
balance-no-pass = No time pass
tip-empty = 💡 You are out of credits: buy more to keep writing.
tip-low = 💡 Running low: top up soon so your messages keep going through.
tip-pass = 💡 Your pass makes every message free. Write away!
tip-normal = 💡 Each message costs { $cost } { $cost ->
        [one] credit
       *[other] credits
    }.
btn-history = History

# History
history-title = 📜 History, page { $page }
history-empty = Nothing here yet.
history-line = { $date } · { $amount } · { $reason } → { $balance }
btn-newer = ‹ Newer
btn-older = Older ›
reason-welcome = welcome gift
reason-tutorial_bonus = tour bonus
reason-message = message
reason-relay_refund = refund (not delivered)
reason-purchase = purchase
reason-admin_grant = gift from the team
reason-clawback = refund reversed
reason-admin_debit = taken by the team

# Language
language-prompt = Choose your language:
language-set = Done! I will speak English.
language-name-en = English
language-name-ru = Русский

# Reset
reset-confirm = This deletes your account here: credits, history and pass. Are you sure?
reset-done = Your account was reset. Type /start to begin again.
reset-cancelled = Nothing was changed.
reset-disabled = Resetting is switched off on this bot.
btn-reset-yes = Yes, reset
btn-reset-no = Cancel

# Admin group
user-card =
    👤 { $name } ({ $username }) · id { $id }
    Language: { $language } · Balance: { $balance } · Plan: { $tier }
    Pass: { $pass }
edit-note = ✏️ The user edited this message: { $text }
user-blocked-bot = ⚠️ The user blocked the bot: your message was not delivered.
delivery-failed = ⚠️ Not delivered: { $reason }
admin-status =
    📊 Tollgate { $version }
    Users: { $users } (active in the last 24 h: { $active })
    Background jobs waiting: { $jobs_queued }, failed for good: { $jobs_dead }
    Relayed messages waiting for the admin group: { $relay_waiting } (oldest: { $relay_oldest })
admin-granted = ✅ User { $user } got { $amount } { $amount ->
        [one] credit
       *[other] credits
    } (balance { $balance }).
admin-pass-granted = ✅ User { $user } has unlimited messaging until { $until }.
admin-banned = ⛔ User { $user } is banned: their messages are no longer relayed.
admin-unbanned = ✅ User { $user } can message the team again.
admin-usage = Usage: { $usage }
admin-unknown-user = There is no user { $user }.
admin-only = Only administrators of this group can do that. You can still answer users in their topics.
admin-conversation-closed = ✅ The conversation with { $user } is closed (it opens again when they write).
admin-conversation-reopened = The conversation with { $user } is open again.
admin-settings =
    ⚙️ Settings
    { $list }
admin-setting-set = ✅ { $key } = { $value }
admin-bad-setting = ⚠️ { $problem }

# Command menus
cmd-start = Start over
cmd-help = What I can do
cmd-balance = Your credits and pass
cmd-history = Where your credits went
cmd-language = Change the language
cmd-status = Bot status and counts
cmd-grant = In a user's topic: /grant 5 gives 5 credits
cmd-pass = In a user's topic: /pass day|week|month
cmd-ban = In a user's topic: stop relaying their messages
cmd-unban = In a user's topic: relay their messages again
cmd-settings = List the settings
cmd-set = /set name value changes a setting

# Shop
catalog = 🛒 What would you like?
choose-method = { $title } for { $price }. How would you like to pay?
checkout-link = { $title } for { $price }: tap the button to pay securely with Stripe. Your credits arrive here as soon as the payment is done.
payment-unavailable = 😕 Payments are unavailable right now. Please try again later; nothing was charged.
product-unavailable = That product is not sold anymore. Type /buy to see what is.
purchase-done = ✅ Payment received: +{ $credits } { $credits ->
        [one] credit
       *[other] credits
    }. Your balance: { $balance } { $balance ->
        [one] credit
       *[other] credits
    }.
payment-failed = 😕 Your payment did not go through, so nothing was charged. You can try again with /buy.
checkout-refused-unknown = This invoice is not for a known order. Please start again with /buy.
checkout-refused-not-yours = This invoice belongs to someone else.
checkout-refused-used = This invoice was already used.
checkout-refused-not-sold = This product is no longer sold.
checkout-refused-price-changed = The price changed; please start again with /buy.
checkout-refused-banned = Purchases are not available for this account.
checkout-refused-unavailable = Please try again in a moment.
refund-notice = ↩️ A payment was refunded, so { $credits } { $credits ->
        [one] credit
       *[other] credits
    } were taken back. Your balance: { $balance } { $balance ->
        [one] credit
       *[other] credits
    }.
billing-portal = 💳 Manage your cards and receipts:
billing-no-card = You have not paid by card here yet, so there is nothing to manage.
admin-refund-note = ↩️ Order { $order } of user { $user } was refunded: { $clawed_back } { $clawed_back ->
        [one] credit
       *[other] credits
    } taken back, { $debt } left as debt.
admin-dispute-note = ⚠️ User { $user } opened a payment dispute on order { $order }. The account is flagged.
invoice-credits = { $credits } { $credits ->
        [one] credit
       *[other] credits
    } for messaging the team.
invoice-pass = Unlimited messages to the team for the length of the pass.
btn-buy = 🛒 Buy credits
btn-pay-card = 💳 Card · { $price }
btn-pay-stars = ⭐ { $stars } Stars
btn-pay-telegram = 💳 Card in Telegram · { $price }
btn-pay-now = Pay { $price }
btn-billing = Open billing
cmd-buy = Buy credits or a time pass
cmd-billing = Cards and receipts
admin-refund-requested = ↩️ Refund of order { $order } is under way; the user will be told.
admin-refund-refused = ⚠️ Order { $order } was not refunded: { $reason }
cmd-refund = /refund <order id> refunds a paid order

# Auto-recharge
autorecharge-status = 🔄 Auto-recharge is on: below { $threshold } { $threshold ->
        [one] credit
       *[other] credits
    }, { $credits } { $credits ->
        [one] credit
       *[other] credits
    } are bought with your card. Card saved: { $card }. /autorecharge off switches it off.
autorecharge-on = 🔄 Auto-recharge is on: below { $threshold } { $threshold ->
        [one] credit
       *[other] credits
    }, { $credits } { $credits ->
        [one] credit
       *[other] credits
    } are bought with your card. Card saved: { $card }. If no card is saved yet, your next card purchase (/buy) saves it.
autorecharge-off = Auto-recharge is off.
autorecharge-usage = Auto-recharge buys credits when you run low. Example: /autorecharge 2 10 buys 10 credits whenever your balance falls below 2 (packs: 10, 25, 50, 100). /autorecharge off switches it off.
autorecharge-failed = 😕 Auto-recharge could not charge your card. Nothing was bought; we will try again when you run low.
autorecharge-disabled = 😕 Auto-recharge failed three times in a row and is now off. Buy with /buy, and switch it on again with /autorecharge.
cmd-autorecharge = Buy credits automatically when low
admin-tier-saved = ✅ Tier { $name }: { $cost } per message.
admin-tier-assigned = ✅ User { $user } is now on tier { $name }.
cmd-tier = /tier name cost [description] creates or changes a tier
cmd-settier = In a user's topic: /settier name puts them on a tier

## Control center (admin)
ac-home = 🛠 Control center
    Choose a category.
ac-cat-conversations = 💬 Conversations
ac-cat-dashboard = 📊 Dashboard
ac-cat-users = 👥 Users
ac-cat-search = 🔍 Search users
ac-cat-settings = ⚙️ Settings
ac-cat-system = 🖥 System
ac-cat-sellers = 💼 Sellers
ac-seller-suspend = ⛔ Suspend #{ $id } { $name }
ac-seller-reinstate = ✅ Reinstate #{ $id } { $name }
ac-back = ◀️ Back
ac-home-button = 🏠 Home
ac-close = ✖️ Close
ac-prev = ‹ Previous
ac-next = Next ›
ac-refresh = 🔄 Refresh
ac-cancel = ✖️ Cancel
ac-none = —
ac-updated = Updated at { $at }
ac-dashboard = 📊 Dashboard

    Users: { $total } (new today: { $new }, active in 7 days: { $active })
    Revenue today: { $today }
    Revenue, 7 days: { $week }
    Revenue, 30 days: { $month }
    Credits sold / spent in 30 days: { $sold } / { $spent }
    Conversations: { $conversations }
ac-conversations = 💬 Conversations, page { $page }: ❗️ priority first, then ⏳ the longest wait.
    Median first answer: { $week } (7 days), { $month } (30 days).
ac-conversations-empty = No conversations yet.
ac-users = 👥 Users, page { $page }: the most recently active first.
ac-users-empty = No users yet.
ac-search-prompt = 🔍 Send a user id, an @username or part of a name.
ac-search-none = Nobody matches “{ $query }”.
ac-search-results = 🔍 Users matching “{ $query }”:
ac-card = 👤 { $name } { $username }
    id { $id } · language { $language } · { $status }
    Balance: { $balance } · tier { $tier } ({ $cost } a message)
    Pass until: { $pass }
    Purchases: { $purchases }
    First seen { $first } · last active { $last }
ac-card-recent = Recent ledger:
ac-card-line = { $date } · { $amount } { $reason } → { $balance }
ac-credits-button = ± Credits
ac-pass-button = 🎫 Pass: { $kind }
ac-ban-button = 🚫 Ban
ac-unban-button = ✅ Unban
ac-topic-button = 💬 Topic
ac-audit-button = 📜 Audit log
ac-credits-prompt = Send the change for { $name } and a reason, for example “+10 goodwill” or “-5 mistake”.
ac-credits-bad = ⚠️ That is not a change: write +N or -N (1 to 1,000,000), a space, and a reason.
ac-credits-short = ⚠️ { $name } has only { $balance } credits; nothing was taken.
ac-credits-done = ✅ { $amount } credits for { $name } ({ $reason }). Balance: { $balance }.
ac-pass-done = ✅ { $name } has a pass until { $until }.
ac-ban-done = 🚫 { $name } is banned.
ac-unban-done = ✅ { $name } is no longer banned.
ac-settings = ⚙️ Settings: press one to change it (switches flip at once).
ac-setting-prompt = Send the new value of { $key } (now: { $value }).
ac-setting-done = ✅ { $key } = { $value }
ac-system = 🖥 System

    Version { $version } · up for { $uptime }
    Database: { $backend }
    Jobs: { $queued } queued, { $running } running, { $dead } dead
    Relay backlog: { $waiting } waiting (oldest for { $oldest })
    Bot API since start: { $ok } ok · { $limited } rate-limited · { $errors } errors · { $rejected } refused · { $uncertain } unanswered
    Bot API latency: { $latency }
    { $webhook }
    Errors logged in the last hour: { $errors_hour }
ac-audit = 📜 Audit log{ $filter }, page { $page }
ac-audit-by = {" "}by admin { $admin }
ac-audit-of = {" "}about user { $user }
ac-audit-empty = Nothing recorded.
ac-audit-line = { $at } · { $admin } · { $what }{ $target }: { $before } → { $after }
ac-audit-mine = 👤 Mine
ac-audit-all = 📜 All
ac-refused = Only the bot's admins can use this.
ac-expired = This button has expired. Open /admin again.
ac-input-expired = That answer came too late. Open /admin again.
credits-taken = ➖ The team took { $amount } { $amount ->
        [one] credit
       *[other] credits
    } ({ $reason }). Your balance: { $balance }.
ac-cat-billing = 💳 Billing
ac-billing = 💳 Billing: payments, failed payments and debts.
ac-payments-button = 🧾 Payments
ac-failed-button = ⚠️ Failed payments
ac-debts-button = 📉 Debts
ac-payments = 🧾 Payments, page { $page }: the newest first.
ac-failed = ⚠️ Failed and expired payments, page { $page }: the newest first.
ac-payments-empty = Nothing here yet.
ac-order = 🧾 Order #{ $id }: { $title }
    { $name } ({ $user }) · { $amount } by { $method }
    Status: { $status } · refunded: { $refunded }
    Created { $created } · paid { $paid }
    Stripe payment: { $stripe }
ac-refund-button = ↩️ Refund
ac-refund-confirm = ↩️ Refund order #{ $id } ({ $amount }) to { $name }? What it bought is taken back.
ac-refund-yes = ✅ Yes, refund
ac-refund-done = ↩️ The refund of order #{ $id } is under way.
ac-refund-failed = ⚠️ The refund of order #{ $id } failed: { $reason }
ac-refund-not = ⚠️ Order #{ $id } cannot be refunded: it is { $status }.
ac-debts = 📉 Debts (credits a refund could not take back), page { $page }.
ac-debts-empty = No debts.
ac-cat-replies = ⚡ Quick replies
ac-replies = ⚡ Quick replies: templates sent to a user from their topic with /qr. {"{"}name{"}"} and {"{"}balance{"}"} are filled in.
ac-replies-empty = No templates yet.
ac-reply = ⚡ { $title }

    { $body }
ac-reply-new = ➕ New template
ac-reply-edit = ✏️ Edit
ac-reply-delete = 🗑 Delete
ac-reply-prompt = Send the template: its title on the first line, its text below.
ac-qr = ⚡ Quick replies for { $name }: one press sends one.
ac-qr-sent = ⚡ Sent to { $name }:
    { $text }
ac-cat-products = 🛍 Products
ac-products = 🛍 Products: 🟢 sold, ⚪️ not sold. Press one to change it.
ac-product = 🛍 { $title }
    Gives: { $gives }
    Price: { $price } · in Stars: { $stars }
    { $state }
ac-product-on = 🟢 Sold
ac-product-off = ⚪️ Not sold
ac-product-activate = 🟢 Sell
ac-product-deactivate = ⚪️ Stop selling
ac-product-new = ➕ New product
ac-up = ▲ Up
ac-down = ▼ Down
ac-edit-title = ✏️ Title
ac-edit-price = ✏️ Price
ac-edit-stars = ✏️ Stars
ac-gives-credits = { $credits } credits
ac-gives-pass = a { $kind } pass
ac-ask-kind = ➕ New product: what does it give?
ac-kind-credits = 💰 Credits
ac-kind-pass = 🎫 A pass
ac-ask-title = Send the product's title (1 to 64 characters).
ac-ask-credits = How many credits does it give? (1 to 1,000,000)
ac-ask-pass = How long does the pass run?
ac-ask-price = Send the price and currency, for example “4.99 USD”.
ac-ask-stars = Send the price in Telegram Stars (1 to 100,000), or “-” to sell it by card only.
admin-credits-changed = ✅ User { $user }: { $amount } credits. Balance: { $balance }.
admin-note-kept = 📝 Note kept on user { $user }'s card.
ac-card-notes = 📝 Notes:
ac-cat-analytics = 📈 Analytics
ac-analytics = 📈 Analytics, the last { $days } days

    Funnel (of the users who came):
    { $funnel }

    Revenue by product:
    { $revenue }

    Top spenders:
    { $top }
ac-csv-growth = 📄 Growth by day
ac-csv-revenue = 📄 Revenue by product
ac-csv-funnel = 📄 Funnel
ac-csv-top = 📄 Top spenders
ac-csv-caption = 📄 { $name }
ac-csv-sent = 📄 The CSV is in the chat.
ac-cat-search-payments = 🔎 Search payments
ac-search-payments-prompt = 🔎 Send an order number (#12), a Stripe id (pi_…, cs_…), an amount with cents (5.00) or a day (2026-12-05).
ac-search-payments-results = 🔎 Payments matching “{ $query }”:
ac-cat-search-messages = 💬 Search messages
ac-search-messages-prompt = 💬 Send a word or a phrase users wrote (2 to 100 characters; case does not matter).
ac-search-messages-bad = ⚠️ Send from 2 to 100 characters.
ac-search-messages-none = 💬 No relayed message contains “{ $query }”.
ac-search-messages-results = 💬 Messages containing “{ $query }”, newest first · page { $page }
ac-search-messages-item = { $n }. { $who } · { $time }
    “{ $snippet }”
ac-search-messages-open = ↗ { $n }. { $name }
ac-search-messages-again = 💬 New search
ac-conversation = 💬 { $name } ({ $id })
    { $standing } · { $priority }
    Their last message: { $last_in }
    The team's last answer: { $last_out }
ac-standing-waiting = ⏳ Waiting for the team
ac-standing-answered = 💬 Answered
ac-standing-closed = ✅ Closed
ac-priority-on = ❗️ Priority
ac-priority-off = Normal priority
ac-close-conversation = ✅ Close
ac-reopen = ↩️ Reopen
ac-priority-set = ❗️ Mark priority
ac-priority-clear = Clear priority
# Campaigns
gift-received = 🎁 A gift from the team: { $amount } { $amount ->
        [one] credit
       *[other] credits
    }. Your balance: { $balance } { $balance ->
        [one] credit
       *[other] credits
    }.
gift-pass-received = 🎁 A gift from the team: unlimited messaging until { $until }.
ac-cat-campaigns = 📣 Broadcasts and gifts
ac-camp-home = 📣 Broadcasts and mass gifts: the latest first. Press one to see its progress.
ac-camp-new-broadcast = 📣 New broadcast
ac-camp-new-gift = 🎁 New mass gift
ac-camp-ask-message = Send the message to broadcast: a text (its formatting is kept), or a photo, video or document with a caption.
ac-camp-ask-gift = 🎁 What does everyone get?
ac-camp-ask-amount = How many credits does each get? (1 to 1,000,000)
ac-camp-ask-note = Send a note to go with the gift, or “-” for none.
ac-camp-ask-audience = Who gets it?
ac-aud-all = Everyone
ac-aud-active7 = Active 7 days
ac-aud-active30 = Active 30 days
ac-aud-active = Active { $days } days
ac-aud-pass = With a pass
ac-aud-paid = Paid before
ac-aud-never-paid = Never paid
ac-aud-en = English
ac-aud-ru = Russian
ac-aud-language = Language { $code }
ac-aud-tier = Tier { $name }
ac-camp-nobody = ⚠️ Nobody is in that audience.
ac-camp-empty = An empty message cannot be sent.
ac-camp-too-long = That is longer than Telegram allows (4,096 characters of text, 1,024 of caption or note).
ac-camp-not-a-message = Only a text, a photo, a video or a document can be broadcast.
ac-camp-bad-amount = Send a whole number from 1 to 1,000,000.
ac-camp-gift-preview = 🎁 Gift: { $gift } · note: { $note }
ac-camp-preview-above = 📣 The message above is exactly what recipients will see.
ac-camp-confirm = { $what }
    Audience: { $audience } · { $count } recipients.
    Send it?
ac-camp-paid = ⭐ Paid broadcast is on: up to { $rate } messages a second, for 0.1 Star per message beyond Telegram's free 30 a second, paid from the bot's Stars balance. About { $estimate } ⭐ ({ $charged } of { $count } messages), at most { $most } ⭐.
ac-camp-send-now = ✅ Send now
ac-camp-send-later = 🕒 In one hour
ac-camp-send-at = 🗓 At a time…
ac-camp-ask-time = When should it start? Send the time in UTC as YYYY-MM-DD HH:MM (within 90 days).
ac-camp-bad-time = That is not a time in the next 90 days written as YYYY-MM-DD HH:MM (UTC).
ac-camp-progress = 📣 Campaign #{ $id }: { $status }
    { $bar }
    Sent { $sent } · failed { $failed } · blocked the bot { $unreachable } · remaining { $remaining }
    Rate { $rate } · done in { $eta }
ac-camp-blocked = 🚫 Blocked the bot: { $users } (and { $more } more)
ac-camp-pause = ⏸ Pause
ac-camp-resume = ▶️ Resume
ac-camp-cancel = ⏹ Cancel
ac-drip-button = 💧 Drip campaigns
ac-drip-home = 💧 Drip campaigns: timed series of messages to the bot's users, started by their first /start, a purchase, or by hand here. Each message carries a button that stops the series.
ac-drip-none = No campaigns yet.
ac-drip-row = { $name } · { $trigger } · { $status } · { $enrolled } enrolled
ac-drip-new = ➕ New campaign
ac-drip-ask-name = Send the new campaign's name (1 to 64 characters).
ac-drip-ask-trigger = What starts “{ $name }” for a user?
ac-drip-ask-goal = When does “{ $name }” stop early for a user?
ac-drip-trigger-first-contact = 👋 First /start
ac-drip-trigger-purchase = 💳 A purchase
ac-drip-trigger-manual = ✋ By hand
ac-drip-goal-paid = 💳 When they buy
ac-drip-goal-none = ⏭ Never: all the steps
ac-drip-active = active
ac-drip-paused = paused
ac-drip-created = ✅ Campaign “{ $name }” is ready. Add its first step.
ac-drip-card = 💧 { $name } · { $status }
    Starts: { $trigger } · stops early: { $goal }
    Enrolled { $enrolled }: active { $active }, finished { $completed }, goal met { $met }, left { $exited }
    Steps (each delay counts from the step before):
    { $steps }
ac-drip-no-steps = none yet
ac-drip-step-line = { $position }. after { $delay }{ $condition }: { $words }
    sent { $sent } · skipped { $skipped } · clicks { $clicks } · conversions { $conversions }
ac-drip-for-paid = , to those who bought
ac-drip-for-not-paid = , to those who never bought
ac-drip-add-step = ➕ Step
ac-drip-pause = ⏸ Pause
ac-drip-resume = ▶️ Resume
ac-drip-enrol-user = 👤 Enrol a user
ac-drip-enrol-all = 👥 Enrol everyone
ac-drip-ask-delay = How long after the step before (or after enrolling, for the first)? For example 45m, 3h or 2d (1 second to 365 days).
ac-drip-ask-message = Send the step's message: a text, or a photo, video or document with a caption. Its last lines may be link buttons, one a line, like: Read the guide | https://example.com/guide
ac-drip-ask-condition = The step goes { $delay } after the one before. Who gets it?
ac-drip-cond-everyone = 👥 Everyone enrolled
ac-drip-cond-paid = 💳 Those who bought
ac-drip-cond-not-paid = 🆓 Those who never bought
ac-drip-step-added = ✅ Step { $position } added.
ac-drip-ask-user = Send the Telegram id of the user to enrol.
ac-drip-bad-user = A user's id is a positive number.
ac-drip-never-started = That user never started the bot: nobody was enrolled.
ac-drip-enrolled-one = ✅ User { $user } is enrolled.
ac-drip-enrolled-already = User { $user } was enrolled already: nothing changed.
ac-drip-enrolled-all = 👥 { $count ->
        [one] 1 user enrolled
       *[other] { $count } users enrolled
    } (those enrolled before stay where they are).
ac-drip-bad-name = A name is 1 to 64 characters.
ac-drip-bad-delay = A delay is 1 second to 365 days, like 45m, 3h or 2d. Nothing changed.
ac-drip-bad-text = The text is 1 to 4096 characters (a caption: at most 1024). Nothing changed.
ac-drip-not-a-message = Only a text, a photo, a video or a document can be a step.
ac-drip-bad-trigger = The bot's campaigns start on a first /start, a purchase, or by hand.
ac-drip-too-many-steps = A campaign has at most 50 steps.
ac-drip-too-many-campaigns = There are at most 100 campaigns.
ac-drip-bad-input = That was not taken: nothing changed.
ac-system-webhook = Updates: { $url } · { $pending } pending · last error: { $error }
ac-system-latency = median { $p50 }, 95 % { $p95 }
ac-system-polling = long polling
ac-system-webhook-unknown = Updates: unknown ({ $error })
ac-camp-ask-buttons = Add link buttons under it: one per line, “Label | https://…”; or “-” for none.
ac-chart-button = 🖼 Chart
ac-chart-dashboard-title = Revenue and new users, the last { $days } days
ac-chart-growth-title = Growth, the last { $days } days
ac-chart-new-users = new users
ac-chart-revenue = revenue ({ $currency })
ac-chart-messages = charged messages
ac-chart-payments = payments
ac-chart-sent = 🖼 The chart is in the chat.
ac-platform-plans-button = 📦 Platform plans
ac-platform-plan-edit = ✏️ { $name }
ac-platform-field = { $field }
ac-platform-plan-prompt = Send the new { $field } of { $name } (limits: a number or "unlimited"; price: e.g. 29.90; fee: a percentage from 0 to 50).
ac-platform-plan-done = ✅ { $name }: { $field } changed.
