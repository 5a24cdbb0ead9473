# Продавцы: подключение, сервисы, тарифы, покупатели, учёт вступлений, вид оператора.
sl-terms = 💼 Продавайте доступ к своему каналу или группе через Tollgate.

    • Покупатели платят звёздами Telegram; Tollgate впускает их по одноразовым ссылкам, напоминает перед окончанием и удаляет после него.
    • Платформа удерживает { $fee }% с каждой продажи; остальное ваше.
    • Вы должны быть администратором подключаемых чатов, и бот тоже.

    Примите условия, чтобы продолжить.
sl-accept-button = ✅ Принять
sl-cancel-button = ✖️ Отмена
sl-accept-first = Нажмите «Принять» выше или /cancel.
sl-ask-name = Какое имя увидят покупатели? (2–64 символа)
sl-ask-email = Ваш email для связи? (только для платформы)
sl-welcome = Добро пожаловать, { $name }! Теперь подключите канал или группу, доступ к которым продаёте.
sl-ask-chat = Поделитесь чатом кнопками ниже. Telegram добавит бота администратором с нужными правами (приглашать, банить; в каналах — публиковать).
sl-share-channel = 📢 Выбрать канал
sl-share-group = 👥 Выбрать группу
sl-bot-not-admin = Бот не администратор этого чата. Сделайте его администратором (приглашать, банить; в каналах — публиковать) и нажмите «Проверить снова».
sl-user-not-admin = Вы не администратор этого чата и не можете продавать доступ к нему.
sl-missing-rights = Бот администратор, но без прав: { $rights }. Выдайте их и нажмите «Проверить снова».
sl-right-invite = Приглашать по ссылке
sl-right-ban = Банить участников
sl-right-post = Публиковать сообщения
sl-check-again = 🔄 Проверить снова
sl-chat-taken = Этот чат уже подключён другим продавцом.
sl-chat-again = «{ $title }» уже среди ваших сервисов.
sl-connected = ✅ «{ $title }» подключён.
sl-ask-stars = Новый тариф: цена в звёздах Telegram? (целое число, 1–100000)
sl-ask-period = На сколько дней он даёт доступ? (1–3650)
sl-ask-trial = Бесплатных пробных дней для новых покупателей? (0 — без пробного, до 90; один раз на покупателя)
sl-bad-name = Имя — от 2 до 64 символов. Попробуйте ещё раз или /cancel.
sl-bad-email = Это не похоже на email (name@example.com). Попробуйте ещё раз или /cancel.
sl-bad-stars = Цена в звёздах — целое число от 1 до 100000. Попробуйте ещё раз или /cancel.
sl-bad-period = Период — целое число дней от 1 до 3650. Попробуйте ещё раз или /cancel.
sl-bad-trial = Пробных дней — целое число от 0 до 90. Попробуйте ещё раз или /cancel.
sl-bad-alert = Сигнал — от 1 до 3000 символов. Попробуйте ещё раз или /cancel.
sl-bad-key-name = Название ключа — от 1 до 64 символов. Попробуйте ещё раз или /cancel.
sl-text-please = Ответьте текстом или /cancel.
sl-step-expired = Шаг устарел. Начните снова: /sell или /services.
sl-cancelled = Отменено. Ничего не изменилось.
sl-nothing-to-cancel = Нечего отменять.
sl-not-a-seller = Вы ещё не продавец. Начните с /sell.
sl-suspended = ⛔ Ваш аккаунт продавца приостановлен: ссылки не продают. Участники сохраняют доступ до его конца.
sl-not-yours = Это не ваш сервис.
sl-plan-label = ⭐ { $stars } · { $days } дн.
sl-trial-days = пробный { $days } дн.
sl-plan-added = ✅ Тариф добавлен в «{ $title }»: { $plan } (пробный { $trial } дн.).

    Ваша ссылка: { $link }
    Поделитесь ею или перешлите карточку ниже.
sl-share-card = 🔐 { $title }
    Вступайте: { $plan }.
sl-join-button = Вступить в { $title }
sl-add-plan = ➕ Добавить тариф
sl-my-services = 📋 Мои сервисы
sl-services-title = 📋 Сервисы { $name }
sl-no-services = Сервисов пока нет: /sell подключает канал или группу.
sl-service-card = 🔐 { $title } ({ $kind }) · { $status }
    Вход: { $admission }
    Ссылка: { $link }
    Тарифы:
sl-no-plans = (тарифов пока нет)
sl-admission-links = одноразовые ссылки-приглашения
sl-admission-requests = заявки, одобряемые после оплаты
sl-pause = ⏸ Остановить продажи
sl-resume = ▶️ Возобновить продажи
sl-archive = 🗑 В архив
sl-toggle-admission = 🔀 Ссылки / заявки
sl-members-usage = Использование: /members [active|expired|revoked|id пользователя|имя или @username]
sl-members-title = 👥 Участники (показано { $count })
sl-members-none = Пока никого.
sl-grant-usage = Использование: /grant <id пользователя> <дней> [код сервиса]
sl-revoke-usage = Использование: /revoke <id пользователя> [код сервиса]
sl-whitelist-usage = Использование: /whitelist <id пользователя> [on|off] [код сервиса]
sl-which-service = Какой сервис? Добавьте его код (см. /services).
sl-granted = ✅ У { $user } есть доступ к «{ $title }» до { $until }. Ссылка-приглашение уже в пути.
sl-revoked = ✅ У { $user } больше нет доступа к «{ $title }», его удаляют.
sl-no-member = У { $user } нет действующего доступа к «{ $title }».
sl-whitelisted = ⭐ { $user } в белом списке «{ $title }»: никогда не удаляется.
sl-unwhitelisted = { $user } больше не в белом списке «{ $title }».
sl-dashboard = 📊 Ваша сводка
    Сервисов: { $services }
    Активных участников: { $active } (по подписке за звёзды: { $subscribers })
    Участников за всё время: { $all }
    Выручка за 30 дней:
sl-no-revenue = (пока нет)
sl-revenue-line = • { $gross } всего · { $fee } комиссия · { $net } вам · платежей: { $payments }
sl-audit-usage = Использование: /audit [id пользователя]
sl-audit-title = 🧾 Журнал (сначала новые)
sl-audit-empty = Пока пусто.
sl-ask-alert = Пришлите сигнал: ТИКЕР ДЕЙСТВИЕ ВХОД ЦЕЛЬ СТОП [заметка], например BTCUSDT buy 64000 68000 62000 ретест пробоя. Или «test».
sl-alert-usage = Сигнал: ТИКЕР ДЕЙСТВИЕ(buy/sell/long/short) ВХОД ЦЕЛЬ СТОП [заметка], например /alert BTCUSDT buy 64000 68000 62000 ретест пробоя
sl-alert-post = 🚨 { $symbol } — { $action }
    Вход: { $entry }
    Цель: { $target }
    Стоп-лосс: { $stop }
sl-alert-test = 🧪 Тестовый сигнал Tollgate для «{ $title }»: бот может публиковать здесь.
sl-alert-posted = ✅ Сигнал опубликован в «{ $title }».
sl-alert-failed = Не удалось опубликовать в «{ $title }»: { $error }. Проверьте права бота.
sl-button-expired = Эта кнопка устарела.
sl-service-unknown = Эта ссылка не ведёт ни к одному сервису.
sl-not-selling = «{ $title }» сейчас не продаётся.
sl-buyer-card = 🔐 { $title }
    от { $seller }
    Выберите тариф:
sl-you-have-access = ✅ У вас есть доступ до { $until }. Новая покупка продлит его.
sl-no-plans-buyer = (сейчас нет тарифов в продаже)
sl-trial-button = 🎁 Пробный период · { $days } дн.
sl-plan-unavailable = Этот тариф больше не продаётся.
sl-service-unavailable = Этот сервис сейчас не продаётся.
sl-test-mode = Этот сервис в тестовом режиме: он для проверок интеграции продавца и ничего не продаёт.
sl-invoice-description = Доступ к { $title } на { $days } дн.
sl-trial-started = 🎁 Пробный доступ к «{ $title }» до { $until }. Ссылка-приглашение следом.
sl-trial-used = Вы уже брали пробный период этого сервиса.
sl-refused-used = Этот счёт уже оплачен или отменён.
sl-refused-not-for-sale = Этот тариф больше не продаётся; ничего не списано.
sl-refused-unknown = Счёт недействителен; ничего не списано.
sl-paid = ✅ Оплата получена: доступ к «{ $title }» до { $until }. Ссылка-приглашение следом.
sl-paid-extended = ✅ Оплата получена: доступ к «{ $title }» продлён до { $until }.
sl-new-sale = 💰 { $buyer } ({ $user }) купил доступ к «{ $title }»: { $gross } (ваши { $net }).
sl-your-link = 🔑 Ваша личная ссылка в «{ $title }»: одноразовая, действует 24 часа.
sl-your-request-link = 🔑 Ваша ссылка в «{ $title }»: отправьте заявку, она одобрится автоматически.
sl-link-failed = ⚠️ Не удалось создать ссылку в «{ $title }»: { $error }. Проверьте права бота; Tollgate продолжит попытки.
sl-link-undeliverable = ⚠️ Не удалось отправить { $user } ссылку в «{ $title }» ({ $error }). Передайте её сами: { $link }
sl-removal-failed = ⚠️ Не удалось удалить { $user } из «{ $title }»: { $error }. Проверьте права бота; Tollgate продолжит попытки.
sl-stranger = 🚫 { $name } ({ $user }) вошёл в «{ $title }» по ссылке { $owner }: удалён. Покупатель получит новую ссылку.
sl-request-declined = Чтобы вступить в «{ $title }», нужен оплаченный тариф.
sl-see-plans = Тарифы
sl-access-ended = ⌛ Ваш доступ к «{ $title }» закончился. Продлить можно в любой момент.
sl-renew = 🔁 Продлить
sl-reminder = ⏰ Ваш доступ к «{ $title }» закончится через { $days } дн., { $until }.
sl-op-title = 💼 Продавцы ({ $count }): статус · сервисы · активные · за всё время · выручка 30 дней (комиссии)
sl-op-suspend-usage = Использование: /suspend <id продавца> или /unsuspend <id продавца> (id в /sellers)
sl-op-no-seller = Продавца #{ $id } нет.
sl-op-suspended = ⛔ Продавец #{ $id } приостановлен: ссылки не продают; участники сохраняют доступ до конца.
sl-op-unsuspended = ✅ Продавец #{ $id } снова активен.

## API keys (/apikey)
sl-keys-title = 🔑 Ваши API-ключи
sl-keys-none = Ключей пока нет.
sl-keys-help = Создайте ключ кнопками или: /apikey live НАЗВАНИЕ [дни] · /apikey test НАЗВАНИЕ [дни] · /apikey revoke ПРЕФИКС. Боевой ключ видит боевые данные, тестовый — только тестовые. Документация: /api/docs на сервере бота.
sl-key-line = { $name } · { $prefix }… · { $mode }
    использован { $used } · { $state }
sl-key-expires = действует до { $until }
sl-key-expired = истёк
sl-key-revoked = отозван
sl-key-new-live = ➕ Боевой ключ
sl-key-new-test = ➕ Тестовый ключ
sl-key-revoke = 🗑 Отозвать { $name }
sl-key-ask-name = Назовите ключ (например: website). Чтобы он истёк, добавьте число дней: website 90. Или /cancel.
sl-key-bad-days = Ключ действует от 1 до 3650 дней. Попробуйте ещё раз или /cancel.
sl-key-too-many = У вас уже { $max } действующих ключей: сначала отзовите один.
sl-key-created = 🔑 Новый ключ { $mode } «{ $name }» (действует до { $until }). Он показан только один раз: скопируйте его сейчас и храните в секрете.
    
    { $secret }
sl-key-revoked-now = 🗑 Ключ { $name } ({ $prefix }…) отозван: запросы с ним больше не принимаются.
sl-key-unknown = У вас нет действующего ключа с таким префиксом. Список: /apikey.
sl-webhooks-title = 🔗 Адреса вебхуков
sl-webhooks-none = Пока нет. Добавьте адрес через API (POST /api/v1/webhook-endpoints): события будут приходить подписанными, по порядку, с повторами около трёх дней.
sl-webhooks-endpoint = { $id }. { $url } · { $mode } · { $status } · неудач подряд: { $failures }
sl-webhooks-recent = Последние доставки:
sl-webhooks-delivery = #{ $id } → { $endpoint } · { $type } · { $outcome } · попыток: { $attempts } · { $when }
sl-webhooks-test = 🧪 Тестовое событие на { $id }
sl-webhooks-enable = ▶️ Включить { $id }
sl-webhooks-resend = 🔁 Отправить снова #{ $id }
sl-webhooks-refresh = 🔄 Обновить
sl-webhooks-open = 🔗 Вебхуки
sl-webhooks-test-queued = 🧪 Тестовое событие { $event } отправляется.
sl-webhooks-resent = 🔁 Доставка #{ $id } снова в очереди.
sl-webhook-disabled = ⚠️ Адрес вебхука { $url } отключён после { $failures } неудачных доставок подряд. Пропущенное сохранено: исправьте приёмник, включите адрес в /webhooks и отправьте снова.

## Оплата картой: покупатели
sl-buy-stars = ⭐ { $stars } · { $days } дн.
sl-buy-card = 💳 { $price } · { $days } дн.
sl-card-checkout = 💳 «{ $title }»: { $price } за { $days } дн. Оплатите на защищённой странице Stripe; доступ и ссылка-приглашение придут сюда, как только платёж пройдёт.
sl-card-pay-button = 💳 Оплатить { $price }
sl-card-unavailable = 💳 Оплата картой для этого сервиса сейчас недоступна. Оплатите звёздами или попробуйте позже.
sl-refunded = ↩️ { $amount } возвращено пользователю { $user } по заказу { $order } («{ $title }»). Доступ не изменён; /revoke { $user } закроет его.

## Оплата картой: продавцы (/payouts)
sl-payout-title = 💳 Оплата ваших тарифов картой
sl-payout-is-platform = Сейчас: платежи принимает аккаунт Stripe платформы и удерживает комиссию { $fee } %; остальное ваше.
sl-payout-is-own = Сейчас: ваш собственный аккаунт Stripe ({ $hint }). Адрес его вебхука: { $url }
sl-payout-is-connect = Сейчас: ваш подключённый аккаунт Stripe { $account } (платежи с переводом, комиссия платформы { $fee } %).
sl-payout-cards-off = ⚠️ Покупатели пока не могут платить картой: для этого режима оплата картой на этом Tollgate не настроена.
sl-payout-platform = 🏦 Аккаунт платформы (комиссия { $fee } %)
sl-payout-own = 🔑 Мой ключ Stripe
sl-payout-connect = 🔗 Мой аккаунт Stripe Connect
sl-payout-set-platform = ✅ Платежи картой теперь идут на аккаунт платформы (комиссия { $fee } %). Прежний ключ Stripe забыт.
sl-payout-no-sealing = ⚠️ Этот Tollgate не может надёжно хранить ключи Stripe (оператор не задал ENCRYPTION_KEY), поэтому собственный ключ использовать нельзя.
sl-payout-no-platform = ⚠️ Stripe на этом Tollgate не настроен, поэтому подключённый аккаунт не может получать через него платежи.
sl-payout-ask-key = 🔑 Пришлите секретный ключ Stripe (sk_live_… или sk_test_…, либо ограниченный rk_… с правом создавать Checkout Sessions). Он проверяется одним запросом к Stripe, шифруется, больше не показывается, а ваше сообщение удаляется. Или /cancel.
sl-payout-bad-key = Это не похоже на секретный ключ Stripe (sk_live_…, sk_test_…, rk_live_…). Пришлите ещё раз или /cancel.
sl-payout-key-rejected = ❌ Stripe отклонил ключ: { $why }. Пришлите другой или /cancel.
sl-payout-try-later = ⚠️ Stripe недоступен ({ $why }). Пришлите ещё раз чуть позже или /cancel.
sl-payout-ask-webhook = ✅ Ключ { $hint } работает. Теперь в Stripe Dashboard → Developers → Webhooks добавьте адрес
    { $url }
    с событиями checkout.session.completed, checkout.session.async_payment_succeeded, checkout.session.async_payment_failed, checkout.session.expired и charge.refunded и пришлите его секрет подписи (whsec_…). Или /cancel.
sl-payout-bad-webhook = Это не похоже на секрет подписи (whsec_…). Пришлите ещё раз или /cancel.
sl-payout-set-own = ✅ Платежи картой теперь идут на ваш аккаунт Stripe ({ $hint }). Платформа не берёт с них комиссию.
sl-payout-ask-account = 🔗 Пришлите id подключённого аккаунта (acct_…). Или /cancel.
sl-payout-bad-account = Это не похоже на id аккаунта (acct_…). Пришлите ещё раз или /cancel.
sl-payout-account-rejected = ❌ Stripe не знает такого аккаунта: { $why }. Пришлите другой или /cancel.
sl-payout-account-not-ready = ⚠️ { $account } пока не может принимать платежи: завершите его регистрацию в Stripe и пришлите снова. Или /cancel.
sl-payout-set-connect = ✅ Платежи картой теперь идут на { $account } (платформа удерживает { $fee } %).
sl-ask-card-price = 💳 Цена картой для { $plan }: сумма и валюта, например 9.99 USD. Пришлите -, чтобы убрать цену картой. Или /cancel.
sl-bad-card-price = Это не цена: сумма больше 0, не больше двух знаков после точки, и трёхбуквенная валюта, например 9.99 USD. Пришлите ещё раз или /cancel.
sl-card-price-set = ✅ Тариф обновлён: { $plan }
sl-card-price-last = У тарифа должна остаться хотя бы одна цена: цены в звёздах нет, поэтому цена картой остаётся.
## График сводки (/dashboard)
sl-chart-title = Последние { $days } дней
sl-chart-revenue = Выручка, брутто ({ $currency })
sl-chart-members = Новые участники

## Дополнительные ссылки-приглашения (/links)
sl-links-title = 🔗 Дополнительные ссылки-приглашения
sl-links-help = Именные ссылки для акции или партнёра, со счётом вступивших по каждой. Они только открывают дверь: кто вошёл без оплаченного тарифа, удаляется и получает ваши тарифы (ссылка с заявкой одобряет оплаченные заявки, остальные отклоняет).
sl-links-none = Дополнительных ссылок пока нет: создайте ссылку кнопками ниже.
sl-links-line = • { $name } · вступили: { $joins } · { $state }
    { $link }
sl-links-working = действует
sl-links-working-requests = действует, с заявкой
sl-links-revoked = отозвана
sl-links-new = ➕ Новая ссылка: { $title }
sl-links-revoke = 🗑 Отозвать { $name }
sl-links-refresh = 🔄 Обновить
sl-links-open = 🔗 Мои ссылки
sl-links-too-many = У вас уже { $max } действующих дополнительных ссылок: сначала отзовите одну.
sl-link-ask-name = Назовите новую ссылку в «{ $title }» (от 1 до { $max } символов, например: partner-anna). Или /cancel.
sl-bad-link-name = Название ссылки — от 1 до { $max } символов. Попробуйте ещё раз или /cancel.
sl-link-created = ✅ Ссылка «{ $name }» в «{ $title }»: { $link }
    Кто войдёт по ней без оплаченного тарифа, будет удалён и получит ваши тарифы. Вступления считает /links.
sl-link-created-requests = ✅ Ссылка «{ $name }» в «{ $title }»: { $link }
    Она подаёт заявку на вступление: оплаченные заявки одобряются, остальные отклоняются с вашими тарифами. Вступления считает /links.
sl-extra-link-failed = ⚠️ Не удалось создать ссылку в «{ $title }»: { $error }. Проверьте права бота там (приглашать пользователей) и попробуйте снова.
sl-link-revoked = 🗑 Ссылка «{ $name }» в «{ $title }» отозвана (по ней вступили: { $joins }).
sl-link-revoke-failed = ⚠️ Не удалось отозвать «{ $name }»: { $error }. Ничего не изменено.
sl-unpaid-joined = Вы вступили в «{ $title }» по ссылке-приглашению, но доступ требует оплаченного тарифа: вас вывели обратно. Тарифы — ниже: оплатите один, чтобы вернуться.
sl-connect-create = 🧭 Создать аккаунт Stripe (Express)
sl-connect-continue = 🧭 Продолжить регистрацию в Stripe
sl-connect-manage = 🧭 Изменить мои данные в Stripe
sl-connect-open = Открыть Stripe
sl-connect-created = 🧭 Ваш аккаунт Stripe Express { $account } создан, оплата картой по вашим планам пойдёт на него. Откройте Stripe и завершите регистрацию (личность, банковский счёт); оплата картой заработает, как только Stripe включит платежи, — я сообщу.
sl-connect-link = 🧭 Новая ссылка на регистрацию { $account }. Она одноразовая и действует несколько минут.
sl-connect-refused = ❌ Stripe отказал: { $why }
sl-connect-try-later = ⚠️ Stripe недоступен ({ $why }). Попробуйте чуть позже.
sl-connect-flags = Платежи { $charges } · Выплаты { $payouts }
sl-connect-due = Stripe просит: { $due }
sl-connect-ready = ✅ Stripe включил платежи на { $account }: покупатели уже могут платить картой.
sl-connect-needs = ⚠️ Stripe просит дополнительные данные для { $account }: { $due }. До тех пор выплаты могут задерживаться.
sl-connect-stopped = ❌ Stripe остановил платежи на { $account }; оплата картой недоступна, пока это не исправлено. Stripe просит: { $due }
sl-star-sub-button = ⭐ Подписка за звёзды
sl-star-sub-line = ⭐ Подписка за звёзды: { $stars } звёзд / 30 дней, продлевает и завершает Telegram: { $link }
sl-star-sub-line-none = ⭐ Подписка за звёзды: выключена
sl-star-sub-ask = ⭐ Ссылка-подписка Telegram за звёзды в «{ $title }»: кто вступает по ней, платит Telegram столько звёзд каждые 30 дней, а Telegram сам удаляет тех, кто перестал платить. Сколько звёзд в месяц (от 1 до { $max })? Отправьте -, чтобы выключить ссылку, или /cancel.
sl-star-sub-ask-current = Сейчас: { $stars } звёзд в месяц. Новая цена — новая ссылка; старая перестаёт принимать подписчиков (вступившие по ней остаются подписаны).
sl-bad-star-sub-price = Подписка стоит целое число звёзд от 1 до { $max } в месяц. Попробуйте снова, отправьте -, чтобы выключить, или /cancel.
sl-star-sub-channels-only = «{ $title }» — группа: Telegram даёт ссылки-подписки за звёзды только каналам. Продавайте доступ к ней тарифами.
sl-star-sub-test-mode = «{ $title }» — тестовый сервис: он ничего не продаёт, поэтому ссылки-подписки у него нет.
sl-star-sub-set = ✅ Ссылка-подписка в «{ $title }»: { $stars } звёзд каждые 30 дней.
    { $link }
    Покупатели видят её в карточке сервиса рядом с тарифами. Telegram сам списывает звёзды и удаляет подписчиков; Tollgate показывает их в /members, /dashboard и ваших вебхуках.
sl-star-sub-failed = ⚠️ Не удалось изменить ссылку-подписку «{ $title }»: { $error }. Проверьте права бота там (приглашать пользователей) и попробуйте снова. Ничего не изменено.
sl-star-sub-off = Ссылка-подписка «{ $title }» выключена: новых подписчиков она не принимает. Вступившие по ней остаются до конца своей подписки.
sl-star-sub-none = У «{ $title }» нет ссылки-подписки.
sl-star-sub-offer = Или подпишитесь через Telegram: звёзды каждые 30 дней, пока не отмените.
sl-star-sub-buy = ⭐ Подписаться · { $stars } звёзд / 30 дней
sl-star-sub-joined = ⭐ { $name } ({ $user }) подписался на «{ $title }» по ссылке-подписке ({ $stars } звёзд / 30 дней, оплачено до { $until }).
sl-source-star-subscription = подписка за звёзды

## Промокоды (/promos)
sl-promos-title = 🎟 Промокоды
sl-promos-help = Коды дают скидку в процентах или фиксированной суммой на ваши тарифы. Покупатель вводит код в карточке сервиса или открывает ссылку с кодом: добавьте _КОД к ссылке сервиса (t.me/…?start=s_abc12345_КОД).
sl-promos-none = Кодов пока нет: создайте первый кнопкой ниже.
sl-promos-line = • { $code } · -{ $off } · использован { $uses } · до { $until } · тарифы: { $plans } · { $duration } · { $state }
sl-promos-active = активен
sl-promos-off = отключён
sl-promos-expired = истёк
sl-promos-used-up = исчерпан
sl-promos-all-plans = все
sl-promos-new = ➕ Новый код
sl-promos-deactivate = ⛔ Отключить { $code }
sl-promos-open = 🎟 Мои коды
sl-promo-ask-code = Код, который будут вводить покупатели: от 3 до 32 латинских букв, цифр или дефисов (регистр не важен).
sl-promo-ask-discount = Скидка: процент (20%) или сумма (5 USD, 50 XTR для Stars). Сумма в валюте карты снимает ту же долю и с цены в Stars.
sl-promo-ask-uses = Сколько покупателей могут им воспользоваться? Число или - без ограничения.
sl-promo-ask-expiry = Сколько дней действует? Число или - бессрочно.
sl-promo-ask-plans = Для каких тарифов? Номера через запятую или - для всех ваших тарифов.
sl-promo-ask-duration = Как долго: once (первая оплата покупателя) или forever (и следующие оплаты этих тарифов)?
sl-bad-promo-code = Код — от 3 до 32 латинских букв, цифр или дефисов. Попробуйте ещё раз.
sl-bad-promo-discount = Пришлите процент от 1 до 100 (20%) или сумму с валютой (5 USD, 50 XTR).
sl-bad-promo-uses = Пришлите целое число от 1 до 1 000 000 или - без ограничения.
sl-bad-promo-expiry = Пришлите целое число дней от 1 до 3650 или - бессрочно.
sl-bad-promo-plans = Пришлите номера тарифов через запятую (3, 4) или - для всех.
sl-bad-promo-duration = Пришлите once или forever.
sl-promo-created = ✅ Код создан:
    { $line }
sl-promo-taken = ⚠️ У вас уже есть код с таким текстом. Ничего не создано.
sl-promo-unknown-plan = ⚠️ Тариф #{ $plan } не ваш. Ничего не создано.
sl-promo-deactivated = ⛔ { $code } отключён (использован { $uses }). Уже созданные с ним заказы сохраняют цену.
sl-promo-enter-button = 🎟 Ввести промокод
sl-promo-ask-buyer = Пришлите ваш промокод.
sl-promo-applied = 🎟 Код { $code }: -{ $off }
sl-buy-stars-promo = ⭐ { $stars } (вместо { $list }) · { $days } дн.
sl-buy-card-promo = 💳 { $price } (вместо { $list }) · { $days } дн.
sl-invoice-promo = Применён код { $code } (вместо { $list } ⭐).
sl-promo-unknown = ❌ «{ $code }» — недействительный код для этого сервиса. Ничего не изменилось.
sl-promo-inactive = ❌ Код { $code } больше не действует. Ничего не изменилось.
sl-promo-expired = ❌ Срок действия кода { $code } истёк. Ничего не изменилось.
sl-promo-used-up = ❌ Код { $code } исчерпан. Ничего не изменилось.
sl-promo-wrong-plan = ❌ Код { $code } не действует для этих тарифов. Ничего не изменилось.
sl-promo-wrong-currency = ❌ Код { $code } в другой валюте, чем цена этого тарифа. Ничего не изменилось.
sl-promo-already-used = ❌ Вы уже использовали код { $code }. Ничего не изменилось.
sl-promo-pending = ⏳ У вас открыта оплата картой с кодом { $code }: завершите её или попробуйте снова через 30 минут.

## Команда (/team)

sl-role-owner = владелец
sl-role-admin = администратор
sl-role-developer = разработчик
sl-team-title = 👥 Ваша команда. Владелец управляет оплатой, способом приёма платежей и командой; администратор — сервисами, тарифами, участниками, оповещениями и брендингом; разработчик — API-ключами и вебхуками. Видеть всё могут все.
sl-team-line = • { $name } ({ $id }): { $role }
sl-team-make = { $name } → { $role }
sl-team-remove = ✖ Удалить { $name }
sl-team-invite-admin = ➕ Пригласить администратора
sl-team-invite-developer = ➕ Пригласить разработчика
sl-team-invite-link = Отправьте эту ссылку новому участнику ({ $role }). Она сработает один раз в течение { $days } дн.:
    { $link }
sl-team-joined = ✅ Вы вошли в команду { $seller } как { $role }. Ваши команды продавца (/services, /dashboard, …) теперь работают для этого продавца.
sl-team-member-joined = 👥 { $name } ({ $id }) вошёл в вашу команду как { $role }.
sl-team-removed = { $name } больше не в вашей команде; отозвано его API-ключей: { $keys }.
sl-team-forbidden = ⛔ Ваша роль ({ $role }) не позволяет это сделать. Обратитесь к владельцу продавца.
sl-team-invite-unknown = ❌ Такого приглашения в команду нет, или оно истекло. Попросите новое. Ничего не изменилось.
sl-team-invite-used = ❌ Это приглашение в команду уже использовано: каждая ссылка работает один раз. Попросите новое. Ничего не изменилось.
sl-team-invite-in-a-team = ❌ Вы уже работаете на продавца (как владелец или в его команде), поэтому не можете войти в другую команду. Ничего не изменилось.
## Аналитика (/dashboard)
sl-analytics = 📈 Аналитика за { $days } дней (рабочие сервисы)
    MRR: { $mrr }
    Отток: { $churn } (закончились { $churned } из { $active } активных на начало)
    Конверсия пробных: { $conversion } (оплачено { $converted } из { $trials })
    Просмотры { $views } · оформления { $checkouts } · платежи { $payments } · продления { $renewals } · возвраты { $refunds }
    Выручка по источникам:
sl-analytics-source = • { $source }: { $gross } всего · { $refunded } возвращено · { $net } вам · платежей: { $payments }
sl-analytics-window = 📈 { $days } дней

## Продлеваемые подписки
sl-rec-buy-button = 🔁 { $price } каждые { $days } дн.
sl-rec-checkout = 🔁 «{ $title }»: { $price } каждые { $days } дн., продлевается, пока вы не отмените (/subscriptions). Оплатите на защищённой странице Stripe; доступ и ссылка-приглашение придут сюда после первого платежа.
sl-rec-pay-button = 🔁 Подписаться за { $price }
sl-rec-already = 🔁 У вас уже есть подписка на этот сервис. /subscriptions покажет её.
sl-rec-none = У вас нет продлеваемых подписок.
sl-rec-title = 🔁 Ваши подписки
sl-rec-line = { $title }: { $status }
sl-rec-status-active = активна, продлится { $date }
sl-rec-status-canceling = отменена, доступ до { $date }
sl-rec-status-past-due = ⚠️ платёж не прошёл, оплатите открытый счёт
sl-rec-status-ended = закончилась { $ended }
sl-rec-status-pending = оформляется
sl-rec-pay-now = 💳 Оплатить
sl-rec-cancel-button = Отменить «{ $title }»
sl-rec-resume-button = Возобновить «{ $title }»
sl-rec-offer = Подождите: оставайтесь и получите скидку { $percent }% на следующий период. Если отмените, доступ сохранится до { $date }.
sl-rec-offer-keep = 🎁 Остаться со скидкой { $percent }%
sl-rec-offer-cancel = Всё равно отменить
sl-rec-offer-taken = 🎁 Готово: следующий период со скидкой { $percent }%, подписка продолжается.
sl-rec-offer-gone = Это предложение больше недоступно.
sl-rec-cancelled = Подписка отменена. Доступ сохранится до { $date }, больше ничего не спишется. До этой даты её можно возобновить в /subscriptions.
sl-rec-resumed = 🔁 Продление снова включено. Следующее списание { $date }.
sl-rec-already-ended = Эта подписка закончилась.
sl-rec-stripe-down = Платёжная система не ответила. Ничего не изменилось; попробуйте через минуту.
sl-rec-dunning-first = ⚠️ Платёж за «{ $title }» не прошёл. Доступ сохранится до { $until }; оплатите открытый счёт, чтобы его не потерять.
sl-rec-dunning-reminder = ⏰ Напоминание: счёт за «{ $title }» всё ещё не оплачен. Доступ закончится { $until }, если его не оплатить.
sl-rec-plan-on = 🔁 Тариф теперь продлевается картой каждые { $days } дн., пока покупатель не отменит. Звёзды — по-прежнему за один период (Telegram продлевает звёздные подписки только каждые 30 дней).
sl-rec-plan-on-both = 🔁 Тариф теперь продлевается каждые { $days } дн., пока покупатель не отменит: картой и звёздами как подписка Telegram Stars.
sl-rec-plan-on-stars = 🔁 Тариф теперь продлевается каждые { $days } дн. звёздами как подписка Telegram Stars, пока покупатель не отменит.
sl-rec-plan-stars-period = 🔁 Telegram продлевает звёздные подписки только каждые 30 дней, а у тарифа нет цены картой. Сделайте период 30 дней или задайте цену картой (💳). Ничего не изменилось.
sl-rec-buy-stars = ⭐ { $stars } каждые { $days } дн.
sl-rec-stars-description = Доступ к «{ $title }», продлевается каждые 30 дней, пока вы не отмените (/subscriptions).
sl-rec-stars-button = ⭐ Подписаться за { $stars } звёзд / 30 дней
sl-rec-stars-checkout = ⭐ «{ $title }»: { $stars } звёзд каждые 30 дней, продлевается, пока вы не отмените (/subscriptions). Telegram списывает каждый период; доступ и ссылка-приглашение придут сюда после первого платежа.
sl-rec-plan-off = Тариф снова продаётся по одному периоду. Уже идущие подписки продолжаются.
sl-rec-plan-no-card = 🔁 Для продлеваемого тарифа сначала нужна цена картой: нажмите 💳 у тарифа.
sl-rec-plan-too-long = 🔁 Период продлеваемого тарифа — не больше 365 дней.
sl-rec-retention-is = 🎁 Тем, кто отменяет, предлагается скидка { $percent }% на следующий период, один раз. /retention off убирает предложение.
sl-rec-retention-none = Предложения удержания нет. /retention 20 предложит скидку 20% на следующий период тому, кто отменяет.
sl-rec-retention-set = 🎁 Тем, кто отменяет, будет предложена скидка { $percent }% на следующий период, один раз на подписку.
sl-rec-retention-off = Предложение удержания выключено.
sl-rec-retention-invalid = ❌ Предложение удержания — процент от 1 до 90 (/retention 20) или /retention off. Ничего не изменилось.
## Branding (/branding)
sl-brand-screen = 🎨 Ваш брендинг
    Покупатели видят его на странице оплаты картой, на странице после оплаты, в карточках для пересылки и в оповещениях.
    Название: { $name }
    Цвет: { $swatch } { $color }
    Логотип: { $logo }
sl-brand-open = 🎨 Брендинг
sl-brand-logo-set = есть ✅
sl-brand-logo-none = нет
sl-brand-name-button = ✏️ Название
sl-brand-logo-button = 🖼 Логотип
sl-brand-color-button = 🎨 Другой цвет (#RRGGBB)
sl-brand-reset-button = ♻️ Сбросить
sl-brand-color-blue = Синий
sl-brand-color-green = Зелёный
sl-brand-color-red = Красный
sl-brand-color-orange = Оранжевый
sl-brand-color-purple = Фиолетовый
sl-brand-color-black = Чёрный
sl-brand-ask-name = ✏️ Название бренда, которое покупатели увидят на страницах оплаты, в карточках и оповещениях? От 2 до 64 символов.
sl-brand-ask-logo = Пришлите логотип фотографией (или файлом PNG, JPEG или WebP, не больше 5 МБ).
sl-brand-ask-color = Пришлите цвет в виде #RRGGBB, например #2481cc.
sl-brand-bad-name = ❌ Название — от 2 до 64 символов в одну строку. Ничего не изменилось; пришлите другое или /cancel.
sl-brand-bad-color = ❌ Это не цвет: напишите его как #RRGGBB, например #2481cc. Ничего не изменилось; пришлите другой или /cancel.
sl-brand-not-image = ❌ Это не изображение. Пришлите логотип фотографией или файлом PNG, JPEG или WebP. Ничего не изменилось; пришлите другой или /cancel.
sl-brand-too-large = ❌ Файл больше 5 МБ. Ничего не изменилось; пришлите файл поменьше или /cancel.
sl-brand-saved = ✅ Брендинг сохранён.
sl-brand-reset-done = ♻️ Брендинг сброшен: ваше имя продавца, цвет по умолчанию и без логотипа.
sl-brand-file-not-image = ❌ Этот файл не изображение: логотип — это файл PNG, JPEG или WebP или фотография. Ничего не изменилось; пришлите другой или /cancel.
sl-brand-sticker = ❌ Стикер не может быть логотипом: пришлите фотографию или файл PNG, JPEG или WebP. Ничего не изменилось; пришлите другой или /cancel.
