# Сообщения продавцов: контакты, /stop и одноразовые коды.
cmd-stop = Остановить или вернуть сообщения продавцов
msg-stop-button = 🔕 Не получать сообщения от { $seller }
msg-resume-button = 🔔 Снова получать сообщения от { $seller }
msg-not-me-button = 🚫 Это не я
msg-button-expired = Эта кнопка устарела.
msg-purpose-login = входа
msg-purpose-signup = регистрации
msg-purpose-verification = подтверждения
msg-otp-code =
    🔐 { $seller }: ваш код { $purpose }: { $code }

    Он действует { $minutes } минут. Никому его не сообщайте. Если вы его не запрашивали, нажмите «Это не я».
msg-not-me-done = Спасибо. Код больше не действует, { $seller } и оператор предупреждены.
msg-abuse-seller = ⚠️ { $user } (id { $id }) сообщает, что не запрашивал код { $purpose } { $otp }, отправленный от имени { $seller }. Код больше не действует. Проверьте, кто запрашивает коды с вашим ключом API.
msg-abuse-operator = ⚠️ Жалоба на код: { $user } (id { $id }) не запрашивал код { $purpose } { $otp } продавца { $seller }.
msg-link-unknown = Эта ссылка не ведёт ни к одному продавцу.
msg-link-opened = ✅ Теперь { $seller } может присылать вам коды здесь. Вернитесь и запросите код ещё раз.
msg-link-opened-stopped = Вы остановили сообщения от { $seller }. Чтобы получать их коды, верните сообщения командой /stop.
msg-stop-none = Здесь вам не пишет ни один продавец.
msg-stop-list =
    Продавцы, которые могут писать вам здесь:
    { $sellers }

    Нажмите кнопку, чтобы остановить или вернуть сообщения. Изменить это можете только вы.
msg-stop-line-on = • { $seller }: сообщения включены
msg-stop-line-stopped = • { $seller }: остановлены
msg-stopped = 🔕 { $seller } больше не может писать вам. Вернуть можно здесь или командой /stop.
msg-operator-stopped = 🔕 { $seller } больше не будет присылать вам серии сообщений. Всё остальное работает как прежде; вернуть их можно здесь или командой /stop.
msg-resumed = 🔔 { $seller } снова может писать вам.
msg-stop-series-button = 🔕 Не получать эту серию от { $seller }
msg-resume-series-button = 🔔 Снова получать серию от { $seller }
