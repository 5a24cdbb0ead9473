# Onboarding
welcome-new =
    👋 Привет, { $name }, добро пожаловать!
    Пишите сюда, и наша команда ответит прямо в этом чате. Каждое сообщение стоит кредиты, и для начала у вас { $credits } бесплатных кредитов.
    Хотите короткую экскурсию? За неё положен бонус.
welcome-new-no-tour =
    👋 Привет, { $name }, добро пожаловать!
    Пишите сюда, и наша команда ответит прямо в этом чате. Каждое сообщение стоит кредиты, и для начала у вас { $credits } бесплатных кредитов.
welcome-custom = { $text }
relay-paused = ⏸ Сообщения команде сейчас приостановлены. Ничего не списано; попробуйте позже.
welcome-back = 👋 С возвращением, { $name }! Ваш баланс: { $balance } { $balance ->
        [one] кредит
        [few] кредита
       *[many] кредитов
    }. Просто напишите сообщение.
start-link-invalid = Похоже, ссылка повреждена, поэтому я её пропустил. Всё остальное готово.
tour-1 =
    1/3 · 💳 Кредиты
    Каждое сообщение команде стоит кредиты. /balance покажет, сколько их у вас.
tour-2 =
    2/3 · 💬 Сообщения
    Пишите что угодно: текст, фото, файлы, голосовые. Команда увидит и ответит в этом чате.
tour-3 =
    3/3 · 🛒 Покупки
    Когда кредиты заканчиваются, купите ещё или абонемент на безлимитные сообщения.
tour-done = 🎉 Экскурсия окончена! +{ $bonus } бонусных кредитов. Ваш баланс: { $balance } { $balance ->
        [one] кредит
        [few] кредита
       *[many] кредитов
    }.
tour-done-again = Экскурсия окончена! Бонус вы уже получали. Ваш баланс: { $balance } { $balance ->
        [one] кредит
        [few] кредита
       *[many] кредитов
    }.
tour-skipped = Хорошо. Пишите, когда будете готовы.
btn-tour-start = Экскурсия
btn-tour-skip = Пропустить
btn-next = Дальше ›
btn-finish = Готово

# Help and errors
help =
    Вот что я умею:
    Напишите любое сообщение, и оно попадёт к команде.
    /balance – ваши кредиты и абонемент
    /buy – купить кредиты или абонемент
    /history – куда ушли кредиты
    /billing – карты и чеки
    /language – сменить язык
    /stop – остановить или вернуть сообщения продавцов
    /help – этот список
unknown-command = Я не знаю команду { $command }. Наберите /help, чтобы увидеть, что я умею.
internal-error = У нас что-то пошло не так. Пожалуйста, попробуйте через минуту.
button-expired = Эта кнопка устарела.

# Relay
no-credits = 😕 Кредиты закончились, поэтому сообщение не доставлено. Ваш баланс: { $balance } { $balance ->
        [one] кредит
        [few] кредита
       *[many] кредитов
    }.
low-credits = ⚠️ Осталось всего { $balance } { $balance ->
        [one] кредит
        [few] кредита
       *[many] кредитов
    }.
relay-failed = Не удалось доставить сообщение, поэтому оно не списано. Попробуйте ещё раз.
relay-unavailable = Команда сейчас не принимает сообщения. Ничего не списано.
cant-forward = Такие сообщения я передать не могу (опросы, кубики, игры). Отправьте текст, фото, файл или голосовое. Ничего не списано.
banned = Вы больше не можете писать команде.
credits-granted = 🎁 Команда начислила { $amount } { $amount ->
        [one] кредит
        [few] кредита
       *[many] кредитов
    }. Ваш баланс: { $balance } { $balance ->
        [one] кредит
        [few] кредита
       *[many] кредитов
    }.
pass-granted = 🎟 Безлимитные сообщения до { $until }.
pass-ending = ⏳ Ваш безлимитный абонемент заканчивается { $until }.

# Balance
balance =
    { $bar } { $balance } { $balance ->
        [one] кредит
        [few] кредита
       *[many] кредитов
    }
    Тариф: { $tier } · { $cost } за сообщение
    { $pass }
    { $tip }
balance-pass = 🎟 Безлимит до { $until }
balance-no-pass = Абонемента нет
tip-empty = 💡 Кредиты закончились: купите ещё, чтобы продолжать писать.
tip-low = 💡 Кредитов мало: пополните баланс, чтобы сообщения доходили.
tip-pass = 💡 С абонементом каждое сообщение бесплатно. Пишите!
tip-normal = 💡 Каждое сообщение стоит { $cost } { $cost ->
        [one] кредит
        [few] кредита
       *[many] кредитов
    }.
btn-history = История

# History
history-title = 📜 История, страница { $page }
history-empty = Здесь пока пусто.
history-line = { $date } · { $amount } · { $reason } → { $balance }
btn-newer = ‹ Новее
btn-older = Старше ›
reason-welcome = приветственный подарок
reason-tutorial_bonus = бонус за экскурсию
reason-message = сообщение
reason-relay_refund = возврат (не доставлено)
reason-purchase = покупка
reason-admin_grant = подарок от команды
reason-clawback = отмена возврата
reason-admin_debit = списано командой

# Language
language-prompt = Выберите язык:
language-set = Готово! Я буду говорить по-русски.
language-name-en = English
language-name-ru = Русский

# Reset
reset-confirm = Это удалит ваш аккаунт здесь: кредиты, историю и абонемент. Вы уверены?
reset-done = Аккаунт сброшен. Наберите /start, чтобы начать заново.
reset-cancelled = Ничего не изменилось.
reset-disabled = Сброс на этом боте выключен.
btn-reset-yes = Да, сбросить
btn-reset-no = Отмена

# Admin group
user-card =
    👤 { $name } ({ $username }) · id { $id }
    Язык: { $language } · Баланс: { $balance } · Тариф: { $tier }
    Абонемент: { $pass }
edit-note = ✏️ Пользователь изменил это сообщение: { $text }
user-blocked-bot = ⚠️ Пользователь заблокировал бота: сообщение не доставлено.
delivery-failed = ⚠️ Не доставлено: { $reason }
admin-status =
    📊 Tollgate { $version }
    Пользователей: { $users } (активны за последние 24 ч: { $active })
    Фоновых задач в очереди: { $jobs_queued }, окончательно не выполнено: { $jobs_dead }
    Сообщений ждут отправки в группу админов: { $relay_waiting } (дольше всех: { $relay_oldest })
admin-granted = ✅ Пользователь { $user } получил { $amount } { $amount ->
        [one] кредит
        [few] кредита
       *[many] кредитов
    } (баланс { $balance }).
admin-pass-granted = ✅ У пользователя { $user } безлимит до { $until }.
admin-banned = ⛔ Пользователь { $user } заблокирован: его сообщения больше не пересылаются.
admin-unbanned = ✅ Пользователь { $user } снова может писать команде.
admin-usage = Как использовать: { $usage }
admin-unknown-user = Пользователя { $user } нет.
admin-only = Это могут только администраторы группы. Отвечать пользователям в их темах вы по-прежнему можете.
admin-conversation-closed = ✅ Разговор с { $user } закрыт (откроется снова, когда пользователь напишет).
admin-conversation-reopened = Разговор с { $user } снова открыт.
admin-settings =
    ⚙️ Настройки
    { $list }
admin-setting-set = ✅ { $key } = { $value }
admin-bad-setting = ⚠️ { $problem }

# Command menus
cmd-start = Начать заново
cmd-help = Что я умею
cmd-balance = Ваши кредиты и абонемент
cmd-history = Куда ушли кредиты
cmd-language = Сменить язык
cmd-status = Состояние бота и счётчики
cmd-grant = В теме пользователя: /grant 5 начисляет 5 кредитов
cmd-pass = В теме пользователя: /pass day|week|month
cmd-ban = В теме пользователя: перестать пересылать его сообщения
cmd-unban = В теме пользователя: снова пересылать его сообщения
cmd-settings = Показать настройки
cmd-set = /set имя значение меняет настройку

# Shop
catalog = 🛒 Что вы хотите купить?
choose-method = { $title } за { $price }. Как вы хотите оплатить?
checkout-link = { $title } за { $price }: нажмите кнопку, чтобы безопасно оплатить через Stripe. Кредиты придут сюда сразу после оплаты.
payment-unavailable = 😕 Оплата сейчас недоступна. Попробуйте позже; ничего не списано.
product-unavailable = Этот товар больше не продаётся. Наберите /buy, чтобы увидеть, что есть.
purchase-done = ✅ Оплата получена: +{ $credits } { $credits ->
        [one] кредит
        [few] кредита
       *[many] кредитов
    }. Ваш баланс: { $balance } { $balance ->
        [one] кредит
        [few] кредита
       *[many] кредитов
    }.
payment-failed = 😕 Оплата не прошла, ничего не списано. Можно попробовать ещё раз через /buy.
checkout-refused-unknown = Этот счёт не относится к известному заказу. Начните заново с /buy.
checkout-refused-not-yours = Этот счёт выставлен другому человеку.
checkout-refused-used = Этот счёт уже использован.
checkout-refused-not-sold = Этот товар больше не продаётся.
checkout-refused-price-changed = Цена изменилась; начните заново с /buy.
checkout-refused-banned = Покупки недоступны для этого аккаунта.
checkout-refused-unavailable = Попробуйте ещё раз через минуту.
refund-notice = ↩️ Платёж возвращён, поэтому списано { $credits } { $credits ->
        [one] кредит
        [few] кредита
       *[many] кредитов
    }. Ваш баланс: { $balance } { $balance ->
        [one] кредит
        [few] кредита
       *[many] кредитов
    }.
billing-portal = 💳 Управление картами и чеками:
billing-no-card = Вы ещё не платили здесь картой, так что управлять нечем.
admin-refund-note = ↩️ Заказ { $order } пользователя { $user } возвращён: списано { $clawed_back } { $clawed_back ->
        [one] кредит
        [few] кредита
       *[many] кредитов
    }, { $debt } осталось долгом.
admin-dispute-note = ⚠️ Пользователь { $user } открыл спор по оплате заказа { $order }. Аккаунт помечен.
invoice-credits = { $credits } { $credits ->
        [one] кредит
        [few] кредита
       *[many] кредитов
    } для сообщений команде.
invoice-pass = Безлимитные сообщения команде на срок абонемента.
btn-buy = 🛒 Купить кредиты
btn-pay-card = 💳 Картой · { $price }
btn-pay-stars = ⭐ { $stars } звёзд
btn-pay-telegram = 💳 Картой в Telegram · { $price }
btn-pay-now = Оплатить { $price }
btn-billing = Открыть платежи
cmd-buy = Купить кредиты или абонемент
cmd-billing = Карты и чеки
admin-refund-requested = ↩️ Возврат заказа { $order } запущен; пользователь получит сообщение.
admin-refund-refused = ⚠️ Заказ { $order } не возвращён: { $reason }
cmd-refund = /refund <номер заказа> возвращает оплаченный заказ

# Auto-recharge
autorecharge-status = 🔄 Автопополнение включено: когда останется меньше { $threshold } { $threshold ->
        [one] кредит
        [few] кредита
       *[many] кредитов
    }, картой покупается { $credits }. Карта сохранена: { $card }. /autorecharge off выключает.
autorecharge-on = 🔄 Автопополнение включено: когда останется меньше { $threshold } { $threshold ->
        [one] кредит
        [few] кредита
       *[many] кредитов
    }, картой покупается { $credits }. Карта сохранена: { $card }. Если карты ещё нет, её сохранит следующая покупка картой (/buy).
autorecharge-off = Автопополнение выключено.
autorecharge-usage = Автопополнение покупает кредиты, когда они заканчиваются. Пример: /autorecharge 2 10 покупает 10 кредитов, как только баланс меньше 2 (пакеты: 10, 25, 50, 100). /autorecharge off выключает.
autorecharge-failed = 😕 Автопополнение не смогло списать оплату с карты. Ничего не куплено; попробуем снова, когда кредиты закончатся.
autorecharge-disabled = 😕 Автопополнение трижды подряд не сработало и выключено. Покупайте через /buy и включите его снова командой /autorecharge.
cmd-autorecharge = Покупать кредиты автоматически
admin-tier-saved = ✅ Тариф { $name }: { $cost } за сообщение.
admin-tier-assigned = ✅ Пользователь { $user } теперь на тарифе { $name }.
cmd-tier = /tier имя цена [описание] создаёт или меняет тариф
cmd-settier = В теме пользователя: /settier имя переводит его на тариф

## Control center (admin)
ac-home = 🛠 Центр управления
    Выберите раздел.
ac-cat-conversations = 💬 Диалоги
ac-cat-dashboard = 📊 Сводка
ac-cat-users = 👥 Пользователи
ac-cat-search = 🔍 Поиск пользователей
ac-cat-settings = ⚙️ Настройки
ac-cat-system = 🖥 Система
ac-cat-sellers = 💼 Продавцы
ac-seller-suspend = ⛔ Приостановить #{ $id } { $name }
ac-seller-reinstate = ✅ Вернуть #{ $id } { $name }
ac-back = ◀️ Назад
ac-home-button = 🏠 В начало
ac-close = ✖️ Закрыть
ac-prev = ‹ Назад
ac-next = Дальше ›
ac-refresh = 🔄 Обновить
ac-cancel = ✖️ Отмена
ac-none = —
ac-updated = Обновлено в { $at }
ac-dashboard = 📊 Сводка

    Пользователи: { $total } (новых сегодня: { $new }, активных за 7 дней: { $active })
    Выручка сегодня: { $today }
    Выручка за 7 дней: { $week }
    Выручка за 30 дней: { $month }
    Кредитов продано / потрачено за 30 дней: { $sold } / { $spent }
    Диалогов: { $conversations }
ac-conversations = 💬 Диалоги, страница { $page }: сначала ❗️ важные, затем ⏳ дольше всех ждущие.
    Медиана первого ответа: { $week } (7 дней), { $month } (30 дней).
ac-conversations-empty = Диалогов пока нет.
ac-users = 👥 Пользователи, страница { $page }: сначала недавно активные.
ac-users-empty = Пользователей пока нет.
ac-search-prompt = 🔍 Пришлите id, @username или часть имени.
ac-search-none = Никто не подходит под «{ $query }».
ac-search-results = 🔍 Пользователи по запросу «{ $query }»:
ac-card = 👤 { $name } { $username }
    id { $id } · язык { $language } · { $status }
    Баланс: { $balance } · тариф { $tier } ({ $cost } за сообщение)
    Пропуск до: { $pass }
    Покупок: { $purchases }
    Впервые { $first } · последний раз { $last }
ac-card-recent = Последние операции:
ac-card-line = { $date } · { $amount } { $reason } → { $balance }
ac-credits-button = ± Кредиты
ac-pass-button = 🎫 Пропуск: { $kind }
ac-ban-button = 🚫 Заблокировать
ac-unban-button = ✅ Разблокировать
ac-topic-button = 💬 Тема
ac-audit-button = 📜 Журнал
ac-credits-prompt = Пришлите изменение для { $name } и причину, например «+10 в подарок» или «-5 ошибка».
ac-credits-bad = ⚠️ Это не изменение: напишите +N или -N (от 1 до 1 000 000), пробел и причину.
ac-credits-short = ⚠️ У { $name } только { $balance } кредитов; ничего не списано.
ac-credits-done = ✅ { $amount } кредитов для { $name } ({ $reason }). Баланс: { $balance }.
ac-pass-done = ✅ У { $name } пропуск до { $until }.
ac-ban-done = 🚫 { $name } заблокирован(а).
ac-unban-done = ✅ { $name } разблокирован(а).
ac-settings = ⚙️ Настройки: нажмите, чтобы изменить (переключатели меняются сразу).
ac-setting-prompt = Пришлите новое значение { $key } (сейчас: { $value }).
ac-setting-done = ✅ { $key } = { $value }
ac-system = 🖥 Система

    Версия { $version } · работает { $uptime }
    База данных: { $backend }
    Задачи: { $queued } в очереди, { $running } выполняются, { $dead } с ошибкой
    Очередь пересылки: { $waiting } ждут (дольше всех { $oldest })
    Bot API с запуска: { $ok } успешно · { $limited } с ограничением · { $errors } ошибок · { $rejected } отказов · { $uncertain } без ответа
    Bot API: задержка { $latency }
    { $webhook }
    Ошибок в журнале за последний час: { $errors_hour }
ac-audit = 📜 Журнал{ $filter }, страница { $page }
ac-audit-by = {" "}— админ { $admin }
ac-audit-of = {" "}— пользователь { $user }
ac-audit-empty = Записей нет.
ac-audit-line = { $at } · { $admin } · { $what }{ $target }: { $before } → { $after }
ac-audit-mine = 👤 Мои
ac-audit-all = 📜 Все
ac-refused = Это доступно только администраторам бота.
ac-expired = Кнопка устарела. Откройте /admin заново.
ac-input-expired = Ответ пришёл слишком поздно. Откройте /admin заново.
credits-taken = ➖ Команда списала { $amount } { $amount ->
        [one] кредит
        [few] кредита
       *[many] кредитов
    } ({ $reason }). Ваш баланс: { $balance }.
ac-cat-billing = 💳 Платежи
ac-billing = 💳 Платежи: оплаты, неудачные оплаты и долги.
ac-payments-button = 🧾 Оплаты
ac-failed-button = ⚠️ Неудачные оплаты
ac-debts-button = 📉 Долги
ac-payments = 🧾 Оплаты, страница { $page }: сначала новые.
ac-failed = ⚠️ Неудачные и просроченные оплаты, страница { $page }: сначала новые.
ac-payments-empty = Здесь пока пусто.
ac-order = 🧾 Заказ #{ $id }: { $title }
    { $name } ({ $user }) · { $amount }, способ { $method }
    Статус: { $status } · возвращено: { $refunded }
    Создан { $created } · оплачен { $paid }
    Платёж Stripe: { $stripe }
ac-refund-button = ↩️ Вернуть деньги
ac-refund-confirm = ↩️ Вернуть деньги за заказ #{ $id } ({ $amount }) пользователю { $name }? Купленное будет списано.
ac-refund-yes = ✅ Да, вернуть
ac-refund-done = ↩️ Возврат по заказу #{ $id } запущен.
ac-refund-failed = ⚠️ Возврат по заказу #{ $id } не удался: { $reason }
ac-refund-not = ⚠️ Заказ #{ $id } нельзя вернуть: он { $status }.
ac-debts = 📉 Долги (кредиты, которые возврат не смог списать), страница { $page }.
ac-debts-empty = Долгов нет.
ac-cat-replies = ⚡ Быстрые ответы
ac-replies = ⚡ Быстрые ответы: шаблоны, которые отправляются пользователю из его темы командой /qr. {"{"}name{"}"} и {"{"}balance{"}"} подставляются.
ac-replies-empty = Шаблонов пока нет.
ac-reply = ⚡ { $title }

    { $body }
ac-reply-new = ➕ Новый шаблон
ac-reply-edit = ✏️ Изменить
ac-reply-delete = 🗑 Удалить
ac-reply-prompt = Пришлите шаблон: название в первой строке, текст ниже.
ac-qr = ⚡ Быстрые ответы для { $name }: одно нажатие — один ответ.
ac-qr-sent = ⚡ Отправлено { $name }:
    { $text }
ac-cat-products = 🛍 Товары
ac-products = 🛍 Товары: 🟢 продаётся, ⚪️ не продаётся. Нажмите, чтобы изменить.
ac-product = 🛍 { $title }
    Даёт: { $gives }
    Цена: { $price } · в звёздах: { $stars }
    { $state }
ac-product-on = 🟢 Продаётся
ac-product-off = ⚪️ Не продаётся
ac-product-activate = 🟢 Продавать
ac-product-deactivate = ⚪️ Снять с продажи
ac-product-new = ➕ Новый товар
ac-up = ▲ Выше
ac-down = ▼ Ниже
ac-edit-title = ✏️ Название
ac-edit-price = ✏️ Цена
ac-edit-stars = ✏️ Звёзды
ac-gives-credits = { $credits } кредитов
ac-gives-pass = пропуск: { $kind }
ac-ask-kind = ➕ Новый товар: что он даёт?
ac-kind-credits = 💰 Кредиты
ac-kind-pass = 🎫 Пропуск
ac-ask-title = Пришлите название товара (от 1 до 64 символов).
ac-ask-credits = Сколько кредитов он даёт? (от 1 до 1 000 000)
ac-ask-pass = На какой срок пропуск?
ac-ask-price = Пришлите цену и валюту, например «4.99 USD».
ac-ask-stars = Пришлите цену в звёздах Telegram (от 1 до 100 000) или «-», чтобы продавать только по карте.
admin-credits-changed = ✅ Пользователь { $user }: { $amount } кредитов. Баланс: { $balance }.
admin-note-kept = 📝 Заметка сохранена в карточке пользователя { $user }.
ac-card-notes = 📝 Заметки:
ac-cat-analytics = 📈 Аналитика
ac-analytics = 📈 Аналитика за последние { $days } дней

    Воронка (из пришедших пользователей):
    { $funnel }

    Выручка по товарам:
    { $revenue }

    Больше всех потратили:
    { $top }
ac-csv-growth = 📄 Рост по дням
ac-csv-revenue = 📄 Выручка по товарам
ac-csv-funnel = 📄 Воронка
ac-csv-top = 📄 Топ покупателей
ac-csv-caption = 📄 { $name }
ac-csv-sent = 📄 CSV отправлен в чат.
ac-cat-search-payments = 🔎 Поиск оплат
ac-search-payments-prompt = 🔎 Пришлите номер заказа (#12), id в Stripe (pi_…, cs_…), сумму с копейками (5.00) или день (2026-12-05).
ac-search-payments-results = 🔎 Оплаты по запросу «{ $query }»:
ac-cat-search-messages = 💬 Поиск сообщений
ac-search-messages-prompt = 💬 Пришлите слово или фразу из сообщений пользователей (от 2 до 100 символов; регистр не важен).
ac-search-messages-bad = ⚠️ Пришлите от 2 до 100 символов.
ac-search-messages-none = 💬 Ни одно пересланное сообщение не содержит «{ $query }».
ac-search-messages-results = 💬 Сообщения с «{ $query }», сначала новые · страница { $page }
ac-search-messages-item = { $n }. { $who } · { $time }
    «{ $snippet }»
ac-search-messages-open = ↗ { $n }. { $name }
ac-search-messages-again = 💬 Новый поиск
ac-conversation = 💬 { $name } ({ $id })
    { $standing } · { $priority }
    Последнее сообщение пользователя: { $last_in }
    Последний ответ команды: { $last_out }
ac-standing-waiting = ⏳ Ждёт ответа
ac-standing-answered = 💬 Отвечено
ac-standing-closed = ✅ Закрыт
ac-priority-on = ❗️ Важный
ac-priority-off = Обычный
ac-close-conversation = ✅ Закрыть
ac-reopen = ↩️ Открыть снова
ac-priority-set = ❗️ Отметить важным
ac-priority-clear = Снять отметку
# Рассылки
gift-received = 🎁 Подарок от команды: { $amount } { $amount ->
        [one] кредит
        [few] кредита
       *[many] кредитов
    }. Ваш баланс: { $balance } { $balance ->
        [one] кредит
        [few] кредита
       *[many] кредитов
    }.
gift-pass-received = 🎁 Подарок от команды: безлимитные сообщения до { $until }.
ac-cat-campaigns = 📣 Рассылки и подарки
ac-camp-home = 📣 Рассылки и массовые подарки: сначала последние. Нажмите, чтобы увидеть ход.
ac-camp-new-broadcast = 📣 Новая рассылка
ac-camp-new-gift = 🎁 Новый подарок всем
ac-camp-ask-message = Пришлите сообщение для рассылки: текст (форматирование сохранится) или фото, видео, документ с подписью.
ac-camp-ask-gift = 🎁 Что получит каждый?
ac-camp-ask-amount = Сколько кредитов получит каждый? (от 1 до 1 000 000)
ac-camp-ask-note = Пришлите записку к подарку или «-», если не нужна.
ac-camp-ask-audience = Кому отправить?
ac-aud-all = Всем
ac-aud-active7 = Активным за 7 дней
ac-aud-active30 = Активным за 30 дней
ac-aud-active = Активным за { $days } дней
ac-aud-pass = С пропуском
ac-aud-paid = Платившим
ac-aud-never-paid = Не платившим
ac-aud-en = Английский
ac-aud-ru = Русский
ac-aud-language = Язык { $code }
ac-aud-tier = Тариф { $name }
ac-camp-nobody = ⚠️ В этой аудитории никого нет.
ac-camp-empty = Пустое сообщение отправить нельзя.
ac-camp-too-long = Это длиннее, чем позволяет Telegram (4 096 символов текста, 1 024 подписи или записки).
ac-camp-not-a-message = Разослать можно только текст, фото, видео или документ.
ac-camp-bad-amount = Пришлите целое число от 1 до 1 000 000.
ac-camp-gift-preview = 🎁 Подарок: { $gift } · записка: { $note }
ac-camp-preview-above = 📣 Сообщение выше — ровно то, что увидят получатели.
ac-camp-confirm = { $what }
    Аудитория: { $audience } · получателей: { $count }.
    Отправить?
ac-camp-paid = ⭐ Платная рассылка включена: до { $rate } сообщений в секунду, 0,1 звезды за каждое сообщение сверх бесплатных 30 в секунду, с баланса звёзд бота. Примерно { $estimate } ⭐ ({ $charged } из { $count } сообщений), не больше { $most } ⭐.
ac-camp-send-now = ✅ Отправить сейчас
ac-camp-send-later = 🕒 Через час
ac-camp-send-at = 🗓 В заданное время…
ac-camp-ask-time = Когда начать? Пришлите время в UTC как ГГГГ-ММ-ДД ЧЧ:ММ (в пределах 90 дней).
ac-camp-bad-time = Это не время в ближайшие 90 дней в виде ГГГГ-ММ-ДД ЧЧ:ММ (UTC).
ac-camp-progress = 📣 Рассылка #{ $id }: { $status }
    { $bar }
    Отправлено { $sent } · ошибок { $failed } · заблокировали бота { $unreachable } · осталось { $remaining }
    Скорость { $rate } · закончится через { $eta }
ac-camp-blocked = 🚫 Заблокировали бота: { $users } (и ещё { $more })
ac-camp-pause = ⏸ Пауза
ac-camp-resume = ▶️ Продолжить
ac-camp-cancel = ⏹ Остановить
ac-drip-button = 💧 Серии сообщений
ac-drip-home = 💧 Серии сообщений: сообщения пользователям бота по расписанию; серия начинается с их первого /start, с покупки или вручную здесь. В каждом сообщении есть кнопка, которая останавливает серию.
ac-drip-none = Серий пока нет.
ac-drip-row = { $name } · { $trigger } · { $status } · участников: { $enrolled }
ac-drip-new = ➕ Новая серия
ac-drip-ask-name = Пришлите название новой серии (от 1 до 64 символов).
ac-drip-ask-trigger = Что запускает «{ $name }» для пользователя?
ac-drip-ask-goal = Когда «{ $name }» заканчивается для пользователя досрочно?
ac-drip-trigger-first-contact = 👋 Первый /start
ac-drip-trigger-purchase = 💳 Покупка
ac-drip-trigger-manual = ✋ Вручную
ac-drip-goal-paid = 💳 Когда он купит
ac-drip-goal-none = ⏭ Никогда: все шаги
ac-drip-active = идёт
ac-drip-paused = на паузе
ac-drip-created = ✅ Серия «{ $name }» создана. Добавьте первый шаг.
ac-drip-card = 💧 { $name } · { $status }
    Начало: { $trigger } · досрочный конец: { $goal }
    Участников { $enrolled }: в пути { $active }, прошли { $completed }, достигли цели { $met }, вышли { $exited }
    Шаги (задержка считается от предыдущего шага):
    { $steps }
ac-drip-no-steps = пока нет
ac-drip-step-line = { $position }. через { $delay }{ $condition }: { $words }
    отправлено { $sent } · пропущено { $skipped } · переходов { $clicks } · покупок { $conversions }
ac-drip-for-paid = , тем, кто покупал
ac-drip-for-not-paid = , тем, кто не покупал
ac-drip-add-step = ➕ Шаг
ac-drip-pause = ⏸ Пауза
ac-drip-resume = ▶️ Продолжить
ac-drip-enrol-user = 👤 Добавить пользователя
ac-drip-enrol-all = 👥 Добавить всех
ac-drip-ask-delay = Через сколько после предыдущего шага (для первого — после добавления)? Например 45m, 3h или 2d (от 1 секунды до 365 дней).
ac-drip-ask-message = Пришлите сообщение шага: текст или фото, видео, документ с подписью. Последние строки могут быть кнопками-ссылками, по одной в строке, например: Читать гайд | https://example.com/guide
ac-drip-ask-condition = Шаг уходит через { $delay } после предыдущего. Кому?
ac-drip-cond-everyone = 👥 Всем участникам
ac-drip-cond-paid = 💳 Тем, кто покупал
ac-drip-cond-not-paid = 🆓 Тем, кто не покупал
ac-drip-step-added = ✅ Шаг { $position } добавлен.
ac-drip-ask-user = Пришлите Telegram id пользователя.
ac-drip-bad-user = Id пользователя — положительное число.
ac-drip-never-started = Этот пользователь никогда не запускал бота: никто не добавлен.
ac-drip-enrolled-one = ✅ Пользователь { $user } добавлен.
ac-drip-enrolled-already = Пользователь { $user } уже был в серии: ничего не изменилось.
ac-drip-enrolled-all = 👥 Добавлено пользователей: { $count } (кто был раньше, остался на своём шаге).
ac-drip-bad-name = Название — от 1 до 64 символов.
ac-drip-bad-delay = Задержка — от 1 секунды до 365 дней, например 45m, 3h или 2d. Ничего не изменилось.
ac-drip-bad-text = Текст — от 1 до 4096 символов (подпись — не больше 1024). Ничего не изменилось.
ac-drip-not-a-message = Шагом может быть только текст, фото, видео или документ.
ac-drip-bad-trigger = Серии бота начинаются с первого /start, с покупки или вручную.
ac-drip-too-many-steps = В серии не больше 50 шагов.
ac-drip-too-many-campaigns = Серий не больше 100.
ac-drip-bad-input = Не принято: ничего не изменилось.
ac-system-webhook = Обновления: { $url } · в очереди { $pending } · последняя ошибка: { $error }
ac-system-latency = медиана { $p50 }, 95 % { $p95 }
ac-system-polling = long polling
ac-system-webhook-unknown = Обновления: неизвестно ({ $error })
ac-camp-ask-buttons = Добавьте кнопки-ссылки: по одной в строке, «Текст | https://…»; или «-», если не нужны.
ac-chart-button = 🖼 График
ac-chart-dashboard-title = Выручка и новые пользователи за последние { $days } дней
ac-chart-growth-title = Рост за последние { $days } дней
ac-chart-new-users = новые пользователи
ac-chart-revenue = выручка ({ $currency })
ac-chart-messages = платные сообщения
ac-chart-payments = оплаты
ac-chart-sent = 🖼 График отправлен в чат.
ac-platform-plans-button = 📦 Тарифы продавцов
ac-platform-plan-edit = ✏️ { $name }
ac-platform-field = { $field }
ac-platform-plan-prompt = Пришлите новое значение { $field } для { $name } (лимиты: число или "unlimited"; цена: например 29.90; комиссия: процент от 0 до 50).
ac-platform-plan-done = ✅ { $name }: { $field } изменено.
