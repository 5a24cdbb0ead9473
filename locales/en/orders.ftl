# Orders: the customers' order messages (defaults), /templates and /shops.
ord-tpl-confirmed = ✅ { $seller }: your order { $order } is confirmed. We will tell you when it is packed and shipped.
ord-tpl-packing = 📦 { $seller }: we are packing your order { $order }.
ord-tpl-item-packed = 📦 { $seller }: { $item } from your order { $order } is packed.
ord-tpl-shipped = 🚚 { $seller }: your order { $order } is on its way with { $carrier }. Tracking number: { $tracking }
ord-tpl-delivered = 🎉 { $seller }: your order { $order } has been delivered. Thank you!
ord-tpl-cancelled = ❌ { $seller }: your order { $order } has been cancelled.
ord-track-button = 🔎 Track the parcel
ord-mode-live = live
ord-mode-test = test
ord-templates-list =
    Order messages ({ $mode }), per change and language:
    { $lines }

    ✏️ = your own text. Change one: /templates shipped en Your text
    Placeholders: {"{"}order{"}"}, {"{"}item{"}"}, {"{"}items{"}"}, {"{"}carrier{"}"}, {"{"}tracking{"}"}, {"{"}tracking_url{"}"}, {"{"}seller{"}"}. /templates test … for the test mode.
ord-templates-line-own = ✏️ { $change } ({ $lang }): { $text }
ord-templates-line-default = • { $change } ({ $lang }): { $text }
ord-templates-help =
    Use: /templates CHANGE LANGUAGE [text | reset]
    Changes: confirmed, packing, item_packed, shipped, delivered, cancelled. Languages: en, ru.
    Example: /templates shipped en Your order {"{"}order{"}"} left with {"{"}carrier{"}"}: {"{"}tracking{"}"}
ord-template-own =
    Your text for { $change } ({ $lang }, { $mode }):
    { $text }
ord-template-default =
    The default text for { $change } ({ $lang }, { $mode }):
    { $text }
ord-template-saved =
    ✅ Saved. Customers get this for { $change } ({ $lang }, { $mode }):
    { $text }
ord-template-reset =
    ↩️ Back to the default for { $change } ({ $lang }, { $mode }):
    { $text }
ord-template-empty = The text is empty. Nothing was changed.
ord-template-too-long = The text has { $chars } characters; the most is { $max }. Nothing was changed.
ord-template-placeholder = { $placeholder } is not a placeholder. Use {"{"}order{"}"}, {"{"}item{"}"}, {"{"}items{"}"}, {"{"}carrier{"}"}, {"{"}tracking{"}"}, {"{"}tracking_url{"}"} or {"{"}seller{"}"}. Nothing was changed.
ord-shops-help =
    Use: /shops shopify or /shops woocommerce (add test for the test mode).
    It makes the shop's webhook address and secret, or gives new ones.
ord-shops-none = No shop sends you orders yet. Connect one: /shops shopify or /shops woocommerce
ord-shops-list =
    Shops that send you orders:
    { $lines }

    /shops shopify (or woocommerce) gives a new address and secret.
ord-shops-line = • { $platform } ({ $mode }): { $url }
ord-shop-created =
    ✅ { $platform } ({ $mode }) can send you orders now.
    Webhook address: { $url }
    Secret: { $secret }

    The secret is shown only this once. Orders must carry the customer's Telegram id as "telegram_id" (a note attribute or a meta field). Signatures come in { $header }.
ord-shop-rotated =
    🔄 { $platform } ({ $mode }) has a new address and secret; the old ones no longer work.
    Webhook address: { $url }
    Secret: { $secret }

    The secret is shown only this once. Signatures come in { $header }.
