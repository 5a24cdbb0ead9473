# Цепочки сообщений продавца.
drip-not-seller = Цепочки сообщений — для продавцов. Начните продавать: /sell.
drip-none =
    У вас пока нет цепочек сообщений.

    Создайте: /drip new Приветствие
drip-list-title = 💧 Ваши цепочки сообщений
drip-line = #{ $id } { $name } ({ $trigger }, { $status }): записано { $enrolled }, цели достигли { $goal }
drip-step-line = · шаг { $position }: отправлено { $sent }, нажатий { $clicks }, покупок { $conversions }
drip-status-active = работает
drip-status-paused = на паузе
drip-usage =
    Команды:
    /drip new [first_contact|purchase|expiry|tag:ТЕГ] [goal:paid] НАЗВАНИЕ: новая цепочка (без триггера — запись вручную и через API; goal:paid завершает цепочку для контакта после покупки)
    /drip step ID ЗАДЕРЖКА [if:paid|if:not_paid|if:tag:ТЕГ] ТЕКСТ: шаг через ЗАДЕРЖКУ после предыдущего (30s, 10m, 2h, 3d); строки в конце текста вида «Надпись | https://…» — до 3 кнопок; ответьте командой на фото, видео или документ, чтобы отправить его
    /drip enrol ID КОНТАКТ: записать контакт (ct_… или его Telegram id) вручную
    /drip pause ID, /drip resume ID
drip-created = ✅ Цепочка #{ $id } «{ $name }» готова. Добавьте первый шаг: /drip step { $id } 1h Ваш текст
drip-step-added = ✅ Шаг { $position } цепочки «{ $name }» уйдёт через { $delay } после предыдущего.
drip-paused = ⏸ «{ $name }» на паузе: ничего не уходит, пока вы её не возобновите.
drip-resumed = ▶️ «{ $name }» снова работает; накопившиеся шаги уходят сейчас.
drip-unknown = У вас нет цепочки #{ $id }. Список: /drips.
drip-bad = ⚠️ Ничего не изменилось: { $why }.
drip-enrolled = ✅ { $who } записан в «{ $name }»; первый шаг уйдёт после своей задержки.
drip-enrolled-already = { $who } уже записан в «{ $name }»: дважды никого не записывают.
drip-enrol-unknown = ⚠️ Ничего не изменилось: { $who } — не ваш контакт. Пользователь становится контактом, открыв одну из ваших ссылок.
