# Счета продавцов: счёт покупателю, напоминания и чек; команда продавца /invoice.
inv-line = • { $description } × { $quantity }: { $amount }
inv-message =
    🧾 Счёт { $id } от { $seller }

    { $lines }

    Итого: { $total }
    Оплатить до: { $due }
inv-pay-stars = ⭐ Оплатить { $total }
inv-pay-card = 💳 Оплатить { $total }
inv-reminder-before = ⏰ Напоминание: срок оплаты этого счёта через { $days } дн.
inv-reminder-today = ⏰ Напоминание: срок оплаты этого счёта сегодня.
inv-reminder-after = ⚠️ Этот счёт просрочен на { $days } дн.
inv-receipt = ✅ Оплачено: счёт { $id } от { $seller }, { $total }. Спасибо!
inv-paid-seller = 💰 Счёт { $id } оплачен: { $total } (вам: { $net }), плательщик { $customer } (id { $user }).
inv-already-paid = Этот счёт уже оплачен.
inv-voided = Продавец отменил этот счёт.
inv-not-payable = Этот счёт больше нельзя оплатить.
inv-card-button = 💳 Открыть страницу оплаты
inv-card-page = Оплатите на защищённой странице Stripe. Чек придёт сюда, как только платёж поступит.
inv-card-unavailable = Оплата картой сейчас недоступна. Попробуйте позже.
inv-status-draft = черновик
inv-status-open = открыт
inv-status-paid = оплачен
inv-status-overdue = просрочен
inv-status-void = отменён
inv-bad-contact = Нет такого контакта. Укажите id контакта (ct_…) или Telegram id человека, который запускал этого бота.
inv-bad-not-started = Этот пользователь не запускал бота, поэтому счёт до него не дойдёт. Попросите его сначала открыть бота.
inv-bad-currency = Валюта: XTR (Telegram Stars) или трёхбуквенный код валюты карты, например EUR.
inv-bad-card = Оплата картой у вас не настроена: используйте XTR или настройте оплату картой в /payouts.
inv-bad-description = Описание: от 1 до 200 символов.
inv-bad-amount = Сумма должна быть больше нуля, например 15 или 15.50 (для XTR — целые звёзды).
inv-bad-total = Слишком большая сумма для одного счёта.
inv-bad-due = Срок оплаты должен быть в будущем и не дальше года: число дней (14) или дата (2026-12-31).
inv-bad-note = Примечание: не больше 1000 символов.
inv-forbidden = Ваша роль в команде не позволяет выставлять счета.
inv-stopped = Этот пользователь отключил ваши сообщения, поэтому ничего не отправлено. Включить их может только он.
inv-list =
    🧾 Ваши последние счета:
    { $invoices }

    Новый: /invoice <user id или ct_…> <сумма> <валюта> <дней до срока> <описание> | <примечание>
    Отменить: /invoice void inv_…
    Напоминания: /invoice reminders
inv-list-empty = Счетов пока нет.
inv-list-row = { $id } · { $total } · пользователь { $user } · до { $due } · { $status }
inv-help =
    Чтобы выставить счёт:
    /invoice <user id или ct_…> <сумма> <валюта> <дней до срока или дата> <описание> | <примечание>
    Например: /invoice 123456789 15.50 EUR 14 Дизайн логотипа | Спасибо!
inv-created = ✅ Счёт { $id } на { $total } отправлен пользователю { $user }, срок до { $due }.
inv-not-found = Нет счёта { $id }.
inv-void-done = Счёт { $id } отменён. Кнопка оплаты в нём больше не работает.
inv-void-final = Счёт { $id } { $status }, его нельзя отменить.
inv-schedule =
    Напоминания приходят в эти дни относительно срока (минус — до срока, 0 — в день срока): { $days }
    Изменить: /invoice reminders -3 0 1 7 или /invoice reminders none
inv-schedule-set = ✅ Напоминания для новых счетов: { $days }
inv-schedule-bad = Напоминания: до 6 разных целых дней от -30 до 60, например: /invoice reminders -3 0 1 7
inv-refunded-paid = ↩️ Счёт { $id } от { $seller } уже был оплачен, поэтому ваш второй платёж на { $amount } возвращён.
inv-refunded-unpaid = ↩️ Счёт { $id } от { $seller } не смог принять ваш платёж на { $amount }, поэтому он возвращён.
