# Sellers' invoices: the customer's invoice, reminders and receipt; the seller's /invoice.
inv-line = • { $description } × { $quantity }: { $amount }
inv-message =
    🧾 Invoice { $id } from { $seller }

    { $lines }

    Total: { $total }
    Due: { $due }
inv-pay-stars = ⭐ Pay { $total }
inv-pay-card = 💳 Pay { $total }
inv-reminder-before = ⏰ Reminder: this invoice is due in { $days } days.
inv-reminder-today = ⏰ Reminder: this invoice is due today.
inv-reminder-after = ⚠️ This invoice is overdue by { $days } days.
inv-receipt = ✅ Paid: invoice { $id } from { $seller }, { $total }. Thank you!
inv-paid-seller = 💰 Invoice { $id } was paid: { $total } (yours: { $net }) by { $customer } (id { $user }).
inv-already-paid = This invoice is paid already.
inv-voided = This invoice was cancelled by the seller.
inv-not-payable = This invoice cannot be paid any more.
inv-card-button = 💳 Open the payment page
inv-card-page = Pay on this secure Stripe page. You will get a receipt here once the payment is in.
inv-card-unavailable = Card payment is not available right now. Please try again later.
inv-status-draft = draft
inv-status-open = open
inv-status-paid = paid
inv-status-overdue = overdue
inv-status-void = void
inv-bad-contact = No such contact. Give a contact id (ct_…) or the Telegram user id of someone who started this bot.
inv-bad-not-started = This user never started the bot, so an invoice cannot reach them. Ask them to open the bot first.
inv-bad-currency = The currency is XTR (Telegram Stars) or a three-letter card currency such as EUR.
inv-bad-card = Card payments are not set up for you: use XTR, or set up card payments with /payouts.
inv-bad-description = The description is 1 to 200 characters.
inv-bad-lines = An invoice has 1 to 20 lines.
inv-bad-quantity = A quantity is a whole number from 1 to 10000, like: 2 x 4.00 Business cards
inv-bad-line = Line { $n } of the items is not "[quantity x] amount description", like: 2 x 4.00 Business cards
inv-bad-amount = The amount must be more than zero, like 15 or 15.50 (whole Stars for XTR).
inv-bad-total = That amount is too large for one invoice.
inv-bad-due = The due date must be in the future and within a year: a number of days (14) or a date (2026-12-31).
inv-bad-note = The note is at most 1000 characters.
inv-forbidden = Your team role may not send invoices.
inv-stopped = This user stopped your messages, so nothing was sent. Only they can undo it.
inv-list =
    🧾 Your latest invoices:
    { $invoices }

    New: /invoice <user id or ct_…> <amount> <currency> <days until due> <description> | <note>
    Cancel one: /invoice void inv_…
    Reminders: /invoice reminders
inv-list-empty = No invoices yet.
inv-list-row = { $id } · { $total } · user { $user } · due { $due } · { $status }
inv-help =
    To send an invoice:
    /invoice <user id or ct_…> <amount> <currency> <days until due or date> <description> | <note>
    For example: /invoice 123456789 15.50 EUR 14 Logo design | Thank you!
    With several lines, put who, currency and due date first, then a line per item:
    /invoice 123456789 EUR 14
    15.50 Logo design
    2 x 4.00 Business cards
    | Thank you!
inv-created = ✅ Invoice { $id } for { $total } is on its way to user { $user }, due { $due }.
inv-not-found = No invoice { $id }.
inv-void-done = Invoice { $id } is void. Its pay button no longer works.
inv-void-final = Invoice { $id } is { $status } and cannot be voided.
inv-schedule =
    Reminders go out on these days from the due date (minus: before, 0: on the day): { $days }
    Change them: /invoice reminders -3 0 1 7, or /invoice reminders none
inv-schedule-set = ✅ Reminders for new invoices: { $days }
inv-schedule-bad = Reminders: up to 6 different whole days from -30 to 60, like: /invoice reminders -3 0 1 7
inv-refunded-paid = ↩️ Invoice { $id } from { $seller } was already paid, so your second payment of { $amount } has been refunded.
inv-refunded-unpaid = ↩️ Invoice { $id } from { $seller } could not take your payment of { $amount }, so it has been refunded.
