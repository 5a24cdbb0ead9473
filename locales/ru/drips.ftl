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
    /drip new [first_contact|purchase|expiry|tag:ТЕГ] НАЗВАНИЕ: новая цепочка (без триггера — запись вручную и через API)
    /drip step ID ЗАДЕРЖКА ТЕКСТ: шаг через ЗАДЕРЖКУ после предыдущего (30s, 10m, 2h, 3d)
    /drip pause ID, /drip resume ID
drip-created = ✅ Цепочка #{ $id } «{ $name }» готова. Добавьте первый шаг: /drip step { $id } 1h Ваш текст
drip-step-added = ✅ Шаг { $position } цепочки «{ $name }» уйдёт через { $delay } после предыдущего.
drip-paused = ⏸ «{ $name }» на паузе: ничего не уходит, пока вы её не возобновите.
drip-resumed = ▶️ «{ $name }» снова работает; накопившиеся шаги уходят сейчас.
drip-unknown = У вас нет цепочки #{ $id }. Список: /drips.
drip-bad = ⚠️ Ничего не изменилось: { $why }.
