# Sellers: onboarding, services, plans, buyers, join tracking, the operator's view.
sl-terms = 💼 Sell access to your channel or group with Tollgate.

    • Buyers pay in Telegram Stars; Tollgate admits them with single-use invite links, reminds them before the end and removes them after it.
    • The platform keeps a fee of { $fee }% of every sale; the rest is yours.
    • You must be an administrator of the chats you connect, and the bot must be one too.

    Accept the terms to continue.
sl-accept-button = ✅ Accept
sl-cancel-button = ✖️ Cancel
sl-accept-first = Please press "Accept" above, or /cancel.
sl-ask-name = What name should buyers see? (2–64 characters)
sl-ask-email = Your contact email? (for the platform only)
sl-welcome = Welcome aboard, { $name }! Now connect the channel or group you sell access to.
sl-ask-chat = Share the chat with the buttons below. Telegram will add the bot as an administrator with the rights it needs (invite users, ban members; for channels, post messages).
sl-share-channel = 📢 Share a channel
sl-share-group = 👥 Share a group
sl-bot-not-admin = The bot is not an administrator of that chat. Add it as an administrator (invite users, ban members; for channels, post messages), then press "Check again".
sl-user-not-admin = You are not an administrator of that chat, so you cannot sell access to it.
sl-missing-rights = The bot is an administrator there but lacks: { $rights }. Grant them, then press "Check again".
sl-right-invite = Invite users via link
sl-right-ban = Ban users
sl-right-post = Post messages
sl-check-again = 🔄 Check again
sl-chat-taken = That chat is already connected by another seller.
sl-chat-again = "{ $title }" is already one of your services.
sl-connected = ✅ "{ $title }" is connected.
sl-ask-stars = New plan: its price in Telegram Stars? (a whole number, 1–100000)
sl-ask-period = How many days does it give access for? (1–3650)
sl-ask-trial = Free trial days for new buyers? (0 for none, up to 90; once per buyer)
sl-bad-name = A name is 2 to 64 characters. Try again, or /cancel.
sl-bad-email = That does not look like an email address (name@example.com). Try again, or /cancel.
sl-bad-stars = A price in Stars is a whole number from 1 to 100000. Try again, or /cancel.
sl-bad-period = A period is a whole number of days from 1 to 3650. Try again, or /cancel.
sl-bad-trial = Trial days are a whole number from 0 to 90. Try again, or /cancel.
sl-bad-alert = An alert is 1 to 3000 characters. Try again, or /cancel.
sl-bad-key-name = A key's name is 1 to 64 characters. Try again, or /cancel.
sl-text-please = Please answer with text, or /cancel.
sl-step-expired = That step has expired. Start again with /sell or /services.
sl-cancelled = Cancelled. Nothing was changed.
sl-nothing-to-cancel = Nothing to cancel.
sl-not-a-seller = You are not a seller yet. Start with /sell.
sl-suspended = ⛔ Your seller account is suspended: your links do not sell. Existing members keep their access to its end.
sl-not-yours = That is not one of your services.
sl-plan-label = ⭐ { $stars } · { $days } days
sl-trial-days = trial { $days } d
sl-plan-added = ✅ Plan added to "{ $title }": { $plan } (trial { $trial } days).

    Your link: { $link }
    Share it, or forward the card below.
sl-share-card = 🔐 { $title }
    Join for { $plan }.
sl-join-button = Join { $title }
sl-add-plan = ➕ Add a plan
sl-my-services = 📋 My services
sl-services-title = 📋 Services of { $name }
sl-no-services = No services yet: /sell connects a channel or group.
sl-service-card = 🔐 { $title } ({ $kind }) · { $status }
    Admission: { $admission }
    Link: { $link }
    Plans:
sl-no-plans = (no plans yet)
sl-admission-links = single-use invite links
sl-admission-requests = join requests approved when paid
sl-pause = ⏸ Pause sales
sl-resume = ▶️ Resume sales
sl-archive = 🗑 Archive
sl-toggle-admission = 🔀 Links / requests
sl-members-usage = Usage: /members [active|expired|revoked|user id|name or @username]
sl-members-title = 👥 Members ({ $count } shown)
sl-members-none = Nobody yet.
sl-grant-usage = Usage: /grant <user id> <days> [service code]
sl-revoke-usage = Usage: /revoke <user id> [service code]
sl-whitelist-usage = Usage: /whitelist <user id> [on|off] [service code]
sl-which-service = Which service? Add its code (see /services).
sl-granted = ✅ { $user } has access to "{ $title }" until { $until }. Their invite link is on its way.
sl-revoked = ✅ { $user } no longer has access to "{ $title }" and is being removed.
sl-no-member = { $user } has no current access to "{ $title }".
sl-whitelisted = ⭐ { $user } is whitelisted in "{ $title }": never removed.
sl-unwhitelisted = { $user } is no longer whitelisted in "{ $title }".
sl-dashboard = 📊 Your dashboard
    Services: { $services }
    Active members: { $active } ({ $subscribers } through a Star subscription)
    Members all time: { $all }
    Revenue, 30 days:
sl-no-revenue = (none yet)
sl-revenue-line = • { $gross } gross · { $fee } fee · { $net } net · { $payments } payments
sl-audit-usage = Usage: /audit [user id]
sl-audit-title = 🧾 Audit trail (newest first)
sl-audit-empty = Nothing yet.
sl-ask-alert = Send the alert: SYMBOL ACTION ENTRY TARGET STOP [note], e.g. BTCUSDT buy 64000 68000 62000 breakout retest. Or "test".
sl-alert-usage = An alert reads: SYMBOL ACTION(buy/sell/long/short) ENTRY TARGET STOP [note], e.g. /alert BTCUSDT buy 64000 68000 62000 breakout retest
sl-alert-post = 🚨 { $symbol } — { $action }
    Entry: { $entry }
    Target: { $target }
    Stop-loss: { $stop }
sl-alert-test = 🧪 Test alert from Tollgate for "{ $title }": the bot can post here.
sl-alert-posted = ✅ Alert posted in "{ $title }".
sl-alert-failed = Could not post in "{ $title }": { $error }. Check the bot's rights there.
sl-button-expired = This button has expired.
sl-service-unknown = That link does not lead to any service.
sl-not-selling = "{ $title }" is not selling right now.
sl-buyer-card = 🔐 { $title }
    by { $seller }
    Choose a plan:
sl-you-have-access = ✅ You have access until { $until }. Buying again extends it.
sl-no-plans-buyer = (no plans on sale right now)
sl-trial-button = 🎁 Free trial · { $days } days
sl-plan-unavailable = That plan is not on sale any more.
sl-service-unavailable = That service is not selling right now.
sl-test-mode = That service is in test mode: it is for its seller's integration tests and sells nothing.
sl-invoice-description = Access to { $title } for { $days } days.
sl-trial-started = 🎁 Your trial of "{ $title }" runs until { $until }. Your invite link follows.
sl-trial-used = You have had this service's free trial already.
sl-refused-used = This invoice was paid or cancelled already.
sl-refused-not-for-sale = This plan is not on sale any more; nothing was charged.
sl-refused-unknown = This invoice is not valid; nothing was charged.
sl-paid = ✅ Payment received: access to "{ $title }" until { $until }. Your invite link follows.
sl-paid-extended = ✅ Payment received: your access to "{ $title }" now runs until { $until }.
sl-new-sale = 💰 { $buyer } ({ $user }) bought access to "{ $title }": { $gross } ({ $net } yours).
sl-your-link = 🔑 Your personal invite link to "{ $title }": it works once, for 24 hours.
sl-your-request-link = 🔑 Your link to "{ $title }": send the join request, it is approved automatically.
sl-link-failed = ⚠️ Could not create an invite link in "{ $title }": { $error }. Check the bot's rights; Tollgate keeps trying.
sl-link-undeliverable = ⚠️ Could not send { $user } their link to "{ $title }" ({ $error }). Pass it on yourself: { $link }
sl-removal-failed = ⚠️ Could not remove { $user } from "{ $title }": { $error }. Check the bot's rights; Tollgate keeps trying.
sl-stranger = 🚫 { $name } ({ $user }) joined "{ $title }" through the link of { $owner }: removed. The buyer gets a fresh link.
sl-request-declined = Your request to join "{ $title }" needs a paid plan.
sl-see-plans = See plans
sl-access-ended = ⌛ Your access to "{ $title }" has ended. Renew any time.
sl-renew = 🔁 Renew
sl-reminder = ⏰ Your access to "{ $title }" ends in { $days } day(s), on { $until }.
sl-op-title = 💼 Sellers ({ $count }): status · services · active members · all time · revenue 30 days (fees)
sl-op-suspend-usage = Usage: /suspend <seller id> or /unsuspend <seller id> (ids in /sellers)
sl-op-no-seller = There is no seller #{ $id }.
sl-op-suspended = ⛔ Seller #{ $id } is suspended: their links stop selling; members keep access to its end.
sl-op-unsuspended = ✅ Seller #{ $id } is active again.

## API keys (/apikey)
sl-keys-title = 🔑 Your API keys
sl-keys-none = No keys yet.
sl-keys-help = Make a key with the buttons, or: /apikey live NAME [days] · /apikey test NAME [days] · /apikey revoke PREFIX. A live key reaches live data; a test key only test data. Docs: /api/docs on this bot's server.
sl-key-line = { $name } · { $prefix }… · { $mode }
    last used { $used } · { $state }
sl-key-expires = expires { $until }
sl-key-expired = expired
sl-key-revoked = revoked
sl-key-new-live = ➕ Live key
sl-key-new-test = ➕ Test key
sl-key-revoke = 🗑 Revoke { $name }
sl-key-ask-name = Name the key (for example: website). To make it expire, add the number of days: website 90. Or /cancel.
sl-key-bad-days = A key lasts 1 to 3650 days. Try again, or /cancel.
sl-key-too-many = You hold { $max } usable keys already: revoke one first.
sl-key-created = 🔑 New { $mode } key "{ $name }" (expires { $until }). It is shown only this once: copy it now and keep it secret.
    
    { $secret }
sl-key-revoked-now = 🗑 Key { $name } ({ $prefix }…) is revoked: requests with it are refused from now on.
sl-key-unknown = No usable key of yours has that prefix. /apikey lists them.
sl-webhooks-title = 🔗 Webhook endpoints
sl-webhooks-none = None yet. Add one through the API (POST /api/v1/webhook-endpoints); events then arrive signed, in order, retried for about three days.
sl-webhooks-endpoint = { $id }. { $url } · { $mode } · { $status } · { $failures } failures in a row
sl-webhooks-recent = Recent deliveries:
sl-webhooks-delivery = #{ $id } → { $endpoint } · { $type } · { $outcome } · { $attempts } tries · { $when }
sl-webhooks-test = 🧪 Send test event to { $id }
sl-webhooks-enable = ▶️ Enable { $id }
sl-webhooks-resend = 🔁 Resend #{ $id }
sl-webhooks-refresh = 🔄 Refresh
sl-webhooks-open = 🔗 Webhooks
sl-webhooks-test-queued = 🧪 Test event { $event } is on its way.
sl-webhooks-resent = 🔁 Delivery #{ $id } is queued again.
sl-webhook-disabled = ⚠️ Your webhook endpoint { $url } was turned off after { $failures } failed deliveries in a row. What it missed is kept: fix the receiver, enable it in /webhooks and resend.

## Card payments: buyers
sl-buy-stars = ⭐ { $stars } · { $days } days
sl-buy-card = 💳 { $price } · { $days } days
sl-card-checkout = 💳 "{ $title }": { $price } for { $days } days. Pay on Stripe's secure page; your access and invite link arrive here as soon as the payment is in.
sl-card-pay-button = 💳 Pay { $price }
sl-card-unavailable = 💳 Card payments for this service are not available right now. Pay with Stars, or try again later.
sl-refunded = ↩️ { $amount } refunded to { $user } on order { $order } ("{ $title }"). Their access is unchanged; /revoke { $user } ends it.

## Card payments: sellers (/payouts)
sl-payout-title = 💳 Card payments for your plans
sl-payout-is-platform = Now: the platform's Stripe account takes the payments and keeps a { $fee } % fee; the rest is yours.
sl-payout-is-own = Now: your own Stripe account ({ $hint }). Its webhook endpoint: { $url }
sl-payout-is-connect = Now: your connected Stripe account { $account } (destination charges, { $fee } % platform fee).
sl-payout-cards-off = ⚠️ Buyers cannot pay by card yet: card payments are not set up for this mode on this Tollgate.
sl-payout-platform = 🏦 Platform account ({ $fee } % fee)
sl-payout-own = 🔑 My own Stripe key
sl-payout-connect = 🔗 My Stripe Connect account
sl-payout-set-platform = ✅ Card payments now go to the platform's account ({ $fee } % fee). Any Stripe key you gave before is forgotten.
sl-payout-no-sealing = ⚠️ This Tollgate cannot keep Stripe keys safely (its operator has not set ENCRYPTION_KEY), so your own key cannot be used.
sl-payout-no-platform = ⚠️ Stripe is not configured on this Tollgate, so a connected account cannot be paid through it.
sl-payout-ask-key = 🔑 Send your Stripe secret key (sk_live_… or sk_test_…, or a restricted key rk_… with write access to Checkout Sessions). It is checked with one call to Stripe, sealed, never shown again, and your message is deleted. Or /cancel.
sl-payout-bad-key = That does not look like a Stripe secret key (sk_live_…, sk_test_…, rk_live_…). Send it again, or /cancel.
sl-payout-key-rejected = ❌ Stripe refused this key: { $why }. Send another, or /cancel.
sl-payout-try-later = ⚠️ Stripe could not be reached ({ $why }). Send it again in a moment, or /cancel.
sl-payout-ask-webhook = ✅ Key { $hint } works. Now, in your Stripe Dashboard → Developers → Webhooks, add the endpoint
    { $url }
    with the events checkout.session.completed, checkout.session.async_payment_succeeded, checkout.session.async_payment_failed, checkout.session.expired and charge.refunded, then send its signing secret (whsec_…). Or /cancel.
sl-payout-bad-webhook = That does not look like a signing secret (whsec_…). Send it again, or /cancel.
sl-payout-set-own = ✅ Card payments now go to your own Stripe account ({ $hint }). The platform keeps no fee on them.
sl-payout-ask-account = 🔗 Send your connected account id (acct_…). Or /cancel.
sl-payout-bad-account = That does not look like an account id (acct_…). Send it again, or /cancel.
sl-payout-account-rejected = ❌ Stripe does not know this account: { $why }. Send another, or /cancel.
sl-payout-account-not-ready = ⚠️ { $account } cannot take charges yet: finish its onboarding in Stripe, then send it again. Or /cancel.
sl-payout-set-connect = ✅ Card payments now go to { $account } (the platform keeps { $fee } %).
sl-ask-card-price = 💳 Card price for { $plan }: amount and currency, for example 9.99 USD. Send - to remove the card price. Or /cancel.
sl-bad-card-price = That is not a price: an amount above 0 with at most two decimals and a three-letter currency, for example 9.99 USD. Send it again, or /cancel.
sl-card-price-set = ✅ Plan updated: { $plan }
sl-card-price-last = A plan keeps at least one price: it has no Stars price, so its card price stays.
## Dashboard chart (/dashboard)
sl-chart-title = Last { $days } days
sl-chart-revenue = Revenue, gross ({ $currency })
sl-chart-members = New members

## Extra invite links (/links)
sl-links-title = 🔗 Extra invite links
sl-links-help = Named links for a promotion or a partner, with how many people joined through each. They only open the door: whoever comes in without a paid plan is removed and shown your plans (a link that asks to join gets paid requests approved, others declined).
sl-links-none = No extra links yet: make one with the buttons below.
sl-links-line = • { $name } · { $joins } joined · { $state }
    { $link }
sl-links-working = working
sl-links-working-requests = working, asks to join
sl-links-revoked = revoked
sl-links-new = ➕ New link for { $title }
sl-links-revoke = 🗑 Revoke { $name }
sl-links-refresh = 🔄 Refresh
sl-links-open = 🔗 My links
sl-links-too-many = You have { $max } working extra links already: revoke one first.
sl-link-ask-name = Name the new link to "{ $title }" (1 to { $max } characters, for example: partner-anna). Or /cancel.
sl-bad-link-name = A link's name is 1 to { $max } characters. Try again, or /cancel.
sl-link-created = ✅ Link "{ $name }" to "{ $title }": { $link }
    Whoever comes in through it without a paid plan is removed and shown your plans. /links counts the joins.
sl-link-created-requests = ✅ Link "{ $name }" to "{ $title }": { $link }
    It sends a join request: paid requests are approved, the others declined and shown your plans. /links counts the joins.
sl-extra-link-failed = ⚠️ Could not create the link in "{ $title }": { $error }. Check the bot's rights there (invite users), then try again.
sl-link-revoked = 🗑 Link "{ $name }" to "{ $title }" is revoked ({ $joins } joined through it).
sl-link-revoke-failed = ⚠️ Could not revoke "{ $name }": { $error }. Nothing was changed.
sl-unpaid-joined = You joined "{ $title }" through an invite link, but access needs a paid plan: you were let out again. The plans follow: pay for one to come back.
sl-connect-create = 🧭 Create a Stripe account (Express)
sl-connect-continue = 🧭 Continue Stripe onboarding
sl-connect-manage = 🧭 Update my Stripe details
sl-connect-open = Open Stripe
sl-connect-created = 🧭 Your Stripe Express account { $account } is made and your card payments will go to it. Open Stripe to finish its onboarding (identity, bank account); card payments start as soon as Stripe enables charges, and I will tell you.
sl-connect-link = 🧭 Here is a fresh onboarding link for { $account }. It works once and for a few minutes.
sl-connect-refused = ❌ Stripe refused: { $why }
sl-connect-try-later = ⚠️ Stripe could not be reached ({ $why }). Try again in a moment.
sl-connect-flags = Charges { $charges } · Payouts { $payouts }
sl-connect-due = Stripe needs: { $due }
sl-connect-ready = ✅ Stripe enabled charges on { $account }: buyers can pay your plans by card now.
sl-connect-needs = ⚠️ Stripe needs more from you for { $account }: { $due }. Until then payouts may be held.
sl-connect-stopped = ❌ Stripe stopped charges on { $account }; buyers cannot pay by card until it is fixed. Stripe needs: { $due }
sl-star-sub-button = ⭐ Star subscription link
sl-star-sub-line = ⭐ Star subscription: { $stars } Stars / 30 days, renewed and ended by Telegram: { $link }
sl-star-sub-line-none = ⭐ Star subscription: off
sl-star-sub-ask = ⭐ A Telegram Star subscription link to "{ $title }": whoever joins through it pays Telegram that many Stars every 30 days, and Telegram removes them when they stop. How many Stars a month (1 to { $max })? Send - to turn the link off, or /cancel.
sl-star-sub-ask-current = Now: { $stars } Stars a month. A new price makes a new link; the old one stops taking subscribers (those who joined through it stay subscribed).
sl-bad-star-sub-price = A Star subscription costs a whole number of Stars from 1 to { $max } a month. Try again, send - to turn it off, or /cancel.
sl-star-sub-channels-only = "{ $title }" is a group: Telegram offers Star subscription links in channels only. Sell access to it with plans.
sl-star-sub-test-mode = "{ $title }" is a test service: it sells nothing, so it has no Star subscription link.
sl-star-sub-set = ✅ Star subscription link to "{ $title }": { $stars } Stars every 30 days.
    { $link }
    Buyers find it on the service's card beside your plans. Telegram charges and removes subscribers itself; Tollgate tracks them in /members, /dashboard and your webhooks.
sl-star-sub-failed = ⚠️ Could not change the Star subscription link of "{ $title }": { $error }. Check the bot's rights there (invite users), then try again. Nothing was changed.
sl-star-sub-off = Star subscription link of "{ $title }" is off: it takes no new subscribers. Those who joined through it stay until their subscription ends.
sl-star-sub-none = "{ $title }" has no Star subscription link.
sl-star-sub-offer = Or subscribe through Telegram: Stars every 30 days, until you cancel.
sl-star-sub-buy = ⭐ Subscribe · { $stars } Stars / 30 days
sl-star-sub-joined = ⭐ { $name } ({ $user }) subscribed to "{ $title }" through its Star subscription link ({ $stars } Stars / 30 days, paid until { $until }).
sl-source-star-subscription = Star subscription

## Promo codes (/promos)
sl-promos-title = 🎟 Promo codes
sl-promos-help = Codes take a percentage or an amount off your plans. Buyers type them on a service's card or open a link with the code in it: add _CODE to your service link (t.me/…?start=s_abc12345_CODE).
sl-promos-none = No codes yet: make one with the button below.
sl-promos-line = • { $code } · -{ $off } · used { $uses } · until { $until } · plans: { $plans } · { $duration } · { $state }
sl-promos-active = active
sl-promos-off = deactivated
sl-promos-expired = expired
sl-promos-used-up = used up
sl-promos-all-plans = all
sl-promos-new = ➕ New code
sl-promos-deactivate = ⛔ Deactivate { $code }
sl-promos-open = 🎟 My codes
sl-promo-ask-code = The code buyers will type: 3 to 32 letters, digits or dashes (case does not matter).
sl-promo-ask-discount = The discount: a percentage (20%) or an amount off (5 USD, 50 XTR for Stars). An amount in your card currency also takes the same share off the Stars price.
sl-promo-ask-uses = How many buyers may use it? A number, or - for unlimited.
sl-promo-ask-expiry = Valid for how many days? A number, or - for no end.
sl-promo-ask-plans = Which plans? Their numbers separated by commas, or - for all your plans.
sl-promo-ask-duration = For how long: once (the buyer's first payment) or forever (their later payments of these plans too)?
sl-bad-promo-code = A code is 3 to 32 letters, digits or dashes. Try again.
sl-bad-promo-discount = Send a percentage from 1 to 100 (20%) or an amount with its currency (5 USD, 50 XTR).
sl-bad-promo-uses = Send a whole number from 1 to 1,000,000, or - for unlimited.
sl-bad-promo-expiry = Send a whole number of days from 1 to 3,650, or - for no end.
sl-bad-promo-plans = Send plan numbers separated by commas (3, 4), or - for all.
sl-bad-promo-duration = Send once or forever.
sl-promo-created = ✅ Code created:
    { $line }
sl-promo-taken = ⚠️ You have a code with that text already. Nothing was created.
sl-promo-unknown-plan = ⚠️ Plan #{ $plan } is not one of yours. Nothing was created.
sl-promo-deactivated = ⛔ { $code } is deactivated (used { $uses }). Orders already made with it keep their price.
sl-promo-enter-button = 🎟 Enter a promo code
sl-promo-ask-buyer = Send your promo code.
sl-promo-applied = 🎟 Code { $code }: -{ $off }
sl-buy-stars-promo = ⭐ { $stars } (instead of { $list }) · { $days } days
sl-buy-card-promo = 💳 { $price } (instead of { $list }) · { $days } days
sl-invoice-promo = Code { $code } applied (instead of { $list } ⭐).
sl-promo-unknown = ❌ "{ $code }" is not a valid code here. Nothing changed.
sl-promo-inactive = ❌ The code { $code } is no longer active. Nothing changed.
sl-promo-expired = ❌ The code { $code } has expired. Nothing changed.
sl-promo-used-up = ❌ The code { $code } has been used up. Nothing changed.
sl-promo-wrong-plan = ❌ The code { $code } does not apply to these plans. Nothing changed.
sl-promo-wrong-currency = ❌ The code { $code } is for another currency than this plan's price. Nothing changed.
sl-promo-already-used = ❌ You have used the code { $code } already. Nothing changed.
sl-promo-pending = ⏳ You have a card payment with the code { $code } open: finish it, or try again in 30 minutes.

## Team (/team)

sl-role-owner = owner
sl-role-admin = admin
sl-role-developer = developer
sl-team-title = 👥 Your team. The owner manages billing, payment mode and the team; an admin manages services, plans, members, alerts and branding; a developer manages API keys and webhooks. Everyone can read everything.
sl-team-line = • { $name } ({ $id }): { $role }
sl-team-make = { $name } → { $role }
sl-team-remove = ✖ Remove { $name }
sl-team-invite-admin = ➕ Invite an admin
sl-team-invite-developer = ➕ Invite a developer
sl-team-invite-link = Send this link to your new { $role }. It works once, for { $days } days:
    { $link }
sl-team-joined = ✅ You joined the team of { $seller } as { $role }. Your seller commands (/services, /dashboard, …) now work for this seller.
sl-team-member-joined = 👥 { $name } ({ $id }) joined your team as { $role }.
sl-team-removed = { $name } is no longer in your team; { $keys } of their API keys were revoked.
sl-team-forbidden = ⛔ Your role ({ $role }) cannot do this. Ask the seller's owner.
sl-team-invite-unknown = ❌ This team invite does not exist or has expired. Ask for a new one. Nothing changed.
sl-team-invite-used = ❌ This team invite has been used already: each link works once. Ask for a new one. Nothing changed.
sl-team-invite-in-a-team = ❌ You already work for a seller (as its owner or in its team), so you cannot join another team. Nothing changed.
## Analytics (/dashboard)
sl-analytics = 📈 Analytics, { $days } days (live services)
    MRR: { $mrr }
    Churn: { $churn } ({ $churned } ended of { $active } active at the start)
    Trial conversion: { $conversion } ({ $converted } of { $trials } trials paid)
    Views { $views } · checkouts { $checkouts } · payments { $payments } · renewals { $renewals } · refunds { $refunds }
    Revenue by source:
sl-analytics-source = • { $source }: { $gross } gross · { $refunded } refunded · { $net } net · { $payments } payments
sl-analytics-window = 📈 { $days } days

## Renewing subscriptions
sl-rec-buy-button = 🔁 { $price } every { $days } days
sl-rec-checkout = 🔁 "{ $title }": { $price } every { $days } days, renewing until you cancel (/subscriptions). Pay on Stripe's secure page; your access and invite link arrive here as soon as the first payment is in.
sl-rec-pay-button = 🔁 Subscribe for { $price }
sl-rec-already = 🔁 You already have a subscription to this service. /subscriptions shows it.
sl-rec-none = You have no renewing subscriptions.
sl-rec-title = 🔁 Your subscriptions
sl-rec-line = { $title }: { $status }
sl-rec-status-active = active, renews on { $date }
sl-rec-status-canceling = cancelled, access until { $date }
sl-rec-status-past-due = ⚠️ payment failed, please pay the open invoice
sl-rec-status-ended = ended { $ended }
sl-rec-status-pending = starting
sl-rec-pay-now = 💳 Pay now
sl-rec-cancel-button = Cancel "{ $title }"
sl-rec-resume-button = Resume "{ $title }"
sl-rec-offer = Before you go: stay and get { $percent }% off your next period. If you cancel, your access runs until { $date }.
sl-rec-offer-keep = 🎁 Stay with { $percent }% off
sl-rec-offer-cancel = Cancel anyway
sl-rec-offer-taken = 🎁 Done: your next period is { $percent }% off, and your subscription goes on.
sl-rec-offer-gone = This offer is no longer available.
sl-rec-cancelled = Your subscription is cancelled. Your access runs until { $date }, and nothing more is charged. /subscriptions can resume it until then.
sl-rec-resumed = 🔁 Renewal is back on. The next charge is on { $date }.
sl-rec-already-ended = This subscription has ended.
sl-rec-stripe-down = The payment provider did not answer. Nothing changed; please try again in a minute.
sl-rec-dunning-first = ⚠️ The payment for "{ $title }" did not go through. Your access continues until { $until }; pay the open invoice to keep it.
sl-rec-dunning-reminder = ⏰ Reminder: the payment for "{ $title }" is still open. Your access ends on { $until } unless it is paid.
sl-rec-plan-on = 🔁 The plan now renews every { $days } days by card until the buyer cancels. Stars stay one period at a time (Telegram renews Star subscriptions every 30 days only).
sl-rec-plan-on-both = 🔁 The plan now renews every { $days } days until the buyer cancels: by card, and in Stars as a Telegram Star subscription.
sl-rec-plan-on-stars = 🔁 The plan now renews every { $days } days in Stars as a Telegram Star subscription, until the buyer cancels.
sl-rec-plan-stars-period = 🔁 Telegram renews Star subscriptions every 30 days only, and this plan has no card price. Make the period 30 days, or give it a card price (💳). Nothing changed.
sl-rec-buy-stars = ⭐ { $stars } every { $days } days
sl-rec-stars-description = Access to "{ $title }", renewed every 30 days until you cancel (/subscriptions).
sl-rec-stars-button = ⭐ Subscribe for { $stars } Stars / 30 days
sl-rec-stars-checkout = ⭐ "{ $title }": { $stars } Stars every 30 days, renewing until you cancel (/subscriptions). Telegram charges each period; your access and invite link arrive here after the first payment.
sl-rec-plan-off = The plan is sold one period at a time again. Subscriptions already running go on.
sl-rec-plan-no-card = 🔁 A renewing plan needs a card price first: press 💳 on the plan.
sl-rec-plan-too-long = 🔁 A renewing plan's period can be at most 365 days.
sl-rec-retention-is = 🎁 Buyers who cancel are offered { $percent }% off their next period, once. /retention off removes the offer.
sl-rec-retention-none = No retention offer. /retention 20 offers 20% off the next period to a buyer who cancels.
sl-rec-retention-set = 🎁 Buyers who cancel will be offered { $percent }% off their next period, once per subscription.
sl-rec-retention-off = The retention offer is off.
sl-rec-retention-invalid = ❌ A retention offer is a percentage from 1 to 90 (/retention 20), or /retention off. Nothing changed.
## Branding (/branding)
sl-brand-screen = 🎨 Your branding
    Buyers see it on the card payment page, the page after paying, your share cards and your alerts.
    Name: { $name }
    Colour: { $swatch } { $color }
    Logo: { $logo }
sl-brand-open = 🎨 Branding
sl-brand-logo-set = set ✅
sl-brand-logo-none = none
sl-brand-name-button = ✏️ Name
sl-brand-logo-button = 🖼 Logo
sl-brand-color-button = 🎨 Another colour (#RRGGBB)
sl-brand-reset-button = ♻️ Reset to defaults
sl-brand-color-blue = Blue
sl-brand-color-green = Green
sl-brand-color-red = Red
sl-brand-color-orange = Orange
sl-brand-color-purple = Purple
sl-brand-color-black = Black
sl-brand-ask-name = ✏️ Your brand name, as buyers will see it on checkout pages, share cards and alerts? 2 to 64 characters.
sl-brand-ask-logo = Send your logo as a photo (or as a PNG, JPEG or WebP file, at most 5 MB).
sl-brand-ask-color = Send your accent colour as #RRGGBB, for example #2481cc.
sl-brand-bad-name = ❌ A name is 2 to 64 characters, on one line. Nothing changed; send another one, or /cancel.
sl-brand-bad-color = ❌ That is not a colour: write it as #RRGGBB, for example #2481cc. Nothing changed; send another one, or /cancel.
sl-brand-not-image = ❌ That is not an image. Send your logo as a photo, or as a PNG, JPEG or WebP file. Nothing changed; send another one, or /cancel.
sl-brand-too-large = ❌ That file is larger than 5 MB. Nothing changed; send a smaller one, or /cancel.
sl-brand-saved = ✅ Branding saved.
sl-brand-reset-done = ♻️ Branding reset: your display name, the default colour and no logo.
sl-brand-file-not-image = ❌ That file is not an image: a logo is a PNG, JPEG or WebP file, or a photo. Nothing changed; send another one, or /cancel.
sl-brand-sticker = ❌ A sticker cannot be your logo: send a photo, or a PNG, JPEG or WebP file. Nothing changed; send another one, or /cancel.
