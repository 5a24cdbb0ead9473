# Platform plans: what sellers pay the platform and what each plan allows.
pl-unlimited = unlimited
pl-limit-services = services
pl-limit-members = active members
pl-limit-calls = API calls an hour
pl-price = { $price } every { $days } days
pl-price-free = free
pl-plan-line = • { $name } ({ $cost }): { $services } services · { $members } active members · { $calls } API calls/h · { $fee }% fee
pl-upgrade-to = { $name } allows { $max } ({ $price }).
pl-upgrade-none = No plan allows more.
pl-limit-reached = 🚧 Your { $plan } plan allows { $max } { $limit }. { $upgrade } Change your plan with /plan.
pl-see-plans = 📦 See plans
pl-buyer-full = This seller is not taking new members right now. Please try again later.
pl-current =
    📦 Your plan: { $name }
    Fee on your sales: { $fee }%
    Services: { $services } of { $max_services }
    Active members: { $members } of { $max_members }
    API calls an hour: { $calls }
pl-status-renews = 🔁 Renews on { $date }.
pl-status-ending = ⏳ Ends on { $date }; then you are on Free.
pl-status-past-due = ⚠️ The last payment failed: Stripe will try again. Update your card on the invoice Stripe emailed you.
pl-over-now = 🚧 You are over this plan's limits: what you have keeps working, new sales and services wait until you are within them.
pl-all-plans = Plans:
pl-switch-paid = ⬆️ { $name } · { $price }
pl-switch-free = ⬇️ { $name }
pl-resume = 🔁 Keep { $name }
pl-resumed = 🔁 { $name } renews again.
pl-stripe-unavailable = 💳 Payments are not available right now. Please try again later.
pl-already = You are on { $name } already.
pl-over-line = • { $limit }: you have { $used }, it allows { $max }
pl-over-warning =
    ⚠️ { $name } allows less than you use:
    { $lines }
    Nothing you have is taken away, but new sales and new services stop until you are within its limits.
pl-over-confirm = Move to { $name } anyway
pl-over-keep = Keep { $name }
pl-going-free = ⬇️ { $name } stays until { $date }; then you are on { $free }. Changed your mind? /plan
pl-pay-button = 💳 Pay { $price }
pl-checkout-replaces = Your { $name } plan ends when this one starts; its unused time is credited to your next invoice.
pl-checkout = { $name }: { $price } every { $days } days, renewing until you cancel. { $replaces }
pl-notice-limit = { $text }
pl-notice-paid = ✅ You are on { $name } now. Your fee is { $fee }%.
pl-notice-free = ⬇️ You are on { $name } now. Your fee is { $fee }%. See /plan for what it allows.
pl-notice-ending = ⏳ { $name } will not renew: it ends on { $date }, then you are on Free.
sl-chat-not-added = The chat was not added.
cmd-plans = Sellers' platform plans and their revenue
cmd-setplan = /setplan code field value: edit a platform plan
