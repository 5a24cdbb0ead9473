# Onboarding
welcome-new =
    👋 Hi { $name }, welcome!
    Write here and our team answers right in this chat. Each message costs credits, and you have { $credits } free credits to start.
    Want a 30-second tour? It comes with a bonus.
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

# Campaigns
gift-received = 🎁 A gift from the team: { $amount } { $amount ->
        [one] credit
       *[other] credits
    }. Your balance: { $balance } { $balance ->
        [one] credit
       *[other] credits
    }.
gift-pass-received = 🎁 A gift from the team: unlimited messaging until { $until }.
