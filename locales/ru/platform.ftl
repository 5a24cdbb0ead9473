# Тарифы платформы: что продавцы платят платформе и что разрешает каждый тариф.
pl-unlimited = без ограничений
pl-limit-services = сервисов
pl-limit-members = активных участников
pl-limit-calls = вызовов API в час
pl-price = { $price } каждые { $days } дн.
pl-price-free = бесплатно
pl-plan-line = • { $name } ({ $cost }): сервисов { $services } · активных участников { $members } · вызовов API в час { $calls } · комиссия { $fee }%
pl-upgrade-to = { $name } разрешает { $max } ({ $price }).
pl-upgrade-none = Больше не разрешает ни один тариф.
pl-limit-reached = 🚧 Ваш тариф { $plan } разрешает { $max } { $limit }. { $upgrade } Сменить тариф: /plan.
pl-see-plans = 📦 Тарифы
pl-buyer-full = Этот продавец сейчас не принимает новых участников. Попробуйте позже.
pl-current =
    📦 Ваш тариф: { $name }
    Комиссия с продаж: { $fee }%
    Сервисы: { $services } из { $max_services }
    Активные участники: { $members } из { $max_members }
    Вызовов API в час: { $calls }
pl-status-renews = 🔁 Продлится { $date }.
pl-status-ending = ⏳ Закончится { $date }; после этого — Free.
pl-status-past-due = ⚠️ Последний платёж не прошёл: Stripe попробует снова. Обновите карту в счёте, который прислал Stripe.
pl-over-now = 🚧 Вы превышаете лимиты тарифа: всё, что есть, работает, но новые продажи и сервисы ждут, пока вы не уложитесь в лимиты.
pl-all-plans = Тарифы:
pl-switch-paid = ⬆️ { $name } · { $price }
pl-switch-free = ⬇️ { $name }
pl-resume = 🔁 Оставить { $name }
pl-resumed = 🔁 { $name } снова продлевается.
pl-stripe-unavailable = 💳 Оплата сейчас недоступна. Попробуйте позже.
pl-already = У вас уже { $name }.
pl-over-line = • { $limit }: у вас { $used }, разрешено { $max }
pl-over-warning =
    ⚠️ { $name } разрешает меньше, чем вы используете:
    { $lines }
    Ничего не будет отнято, но новые продажи и сервисы остановятся, пока вы не уложитесь в лимиты.
pl-over-confirm = Всё равно перейти на { $name }
pl-over-keep = Оставить { $name }
pl-going-free = ⬇️ { $name } действует до { $date }; затем — { $free }. Передумали? /plan
pl-pay-button = 💳 Оплатить { $price }
pl-checkout-replaces = Тариф { $name } закончится, когда начнётся новый; неиспользованное время зачтётся в следующий счёт.
pl-checkout = { $name }: { $price } каждые { $days } дн., продлевается, пока вы не отмените. { $replaces }
pl-notice-limit = { $text }
pl-notice-paid = ✅ Теперь у вас { $name }. Ваша комиссия — { $fee }%.
pl-notice-free = ⬇️ Теперь у вас { $name }. Ваша комиссия — { $fee }%. Что он разрешает: /plan
pl-notice-ending = ⏳ { $name } не продлится: закончится { $date }, затем — Free.
sl-chat-not-added = Чат не добавлен.
cmd-plans = Тарифы продавцов и выручка с них
cmd-setplan = /setplan код поле значение: изменить тариф продавцов
