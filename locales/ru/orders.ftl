# Заказы: сообщения покупателям о заказах (по умолчанию), /templates и /shops.
ord-tpl-confirmed = ✅ { $seller }: ваш заказ { $order } подтверждён. Мы сообщим, когда он будет собран и отправлен.
ord-tpl-packing = 📦 { $seller }: собираем ваш заказ { $order }.
ord-tpl-item-packed = 📦 { $seller }: { $item } из вашего заказа { $order } упакован.
ord-tpl-shipped = 🚚 { $seller }: ваш заказ { $order } отправлен, служба доставки { $carrier }. Трек-номер: { $tracking }
ord-tpl-delivered = 🎉 { $seller }: ваш заказ { $order } доставлен. Спасибо!
ord-tpl-cancelled = ❌ { $seller }: ваш заказ { $order } отменён.
ord-track-button = 🔎 Отследить посылку
ord-mode-live = боевой режим
ord-mode-test = тестовый режим
ord-templates-list =
    Сообщения о заказах ({ $mode }), по событиям и языкам:
    { $lines }

    ✏️ = ваш текст. Изменить: /templates shipped ru Ваш текст
    Подстановки: {"{"}order{"}"}, {"{"}item{"}"}, {"{"}items{"}"}, {"{"}carrier{"}"}, {"{"}tracking{"}"}, {"{"}tracking_url{"}"}, {"{"}seller{"}"}. /templates test … для тестового режима.
ord-templates-line-own = ✏️ { $change } ({ $lang }): { $text }
ord-templates-line-default = • { $change } ({ $lang }): { $text }
ord-templates-help =
    Формат: /templates СОБЫТИЕ ЯЗЫК [текст | reset]
    События: confirmed, packing, item_packed, shipped, delivered, cancelled. Языки: en, ru.
    Пример: /templates shipped ru Заказ {"{"}order{"}"} передан в {"{"}carrier{"}"}: {"{"}tracking{"}"}
ord-template-own =
    Ваш текст для { $change } ({ $lang }, { $mode }):
    { $text }
ord-template-default =
    Текст по умолчанию для { $change } ({ $lang }, { $mode }):
    { $text }
ord-template-saved =
    ✅ Сохранено. Покупатели получат для { $change } ({ $lang }, { $mode }):
    { $text }
ord-template-reset =
    ↩️ Снова текст по умолчанию для { $change } ({ $lang }, { $mode }):
    { $text }
ord-template-empty = Текст пустой. Ничего не изменено.
ord-template-too-long = В тексте { $chars } символов, можно не больше { $max }. Ничего не изменено.
ord-template-placeholder = { $placeholder } — не подстановка. Используйте {"{"}order{"}"}, {"{"}item{"}"}, {"{"}items{"}"}, {"{"}carrier{"}"}, {"{"}tracking{"}"}, {"{"}tracking_url{"}"} или {"{"}seller{"}"}. Ничего не изменено.
ord-shops-help =
    Формат: /shops shopify или /shops woocommerce (добавьте test для тестового режима).
    Команда создаёт адрес и секрет для вебхуков магазина или выдаёт новые.
ord-shops-none = Магазины пока не присылают вам заказы. Подключите: /shops shopify или /shops woocommerce
ord-shops-list =
    Магазины, которые присылают вам заказы:
    { $lines }

    /shops shopify (или woocommerce) выдаёт новый адрес и секрет.
ord-shops-line = • { $platform } ({ $mode }): { $url }
ord-shop-created =
    ✅ { $platform } ({ $mode }) теперь может присылать вам заказы.
    Адрес вебхука: { $url }
    Секрет: { $secret }

    Секрет показан только один раз. В заказе должен быть Telegram id покупателя под именем "telegram_id" (атрибут заметки или мета-поле). Подпись приходит в { $header }.
ord-shop-rotated =
    🔄 У { $platform } ({ $mode }) новый адрес и секрет, старые больше не работают.
    Адрес вебхука: { $url }
    Секрет: { $secret }

    Секрет показан только один раз. Подпись приходит в { $header }.
