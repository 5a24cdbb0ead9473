# Messaging: sellers' contacts, /stop and one-time codes.
cmd-stop = Stop or resume messages from sellers
msg-stop-button = 🔕 Stop messages from { $seller }
msg-resume-button = 🔔 Resume messages from { $seller }
msg-not-me-button = 🚫 This wasn't me
msg-button-expired = This button has expired.
msg-purpose-login = login
msg-purpose-signup = sign-up
msg-purpose-verification = verification
msg-otp-code =
    🔐 { $seller }: your { $purpose } code is { $code }

    It works for { $minutes } minutes. Never share it with anyone. If you did not ask for it, press "This wasn't me".
msg-not-me-done = Thank you. The code no longer works, and { $seller } and the operator have been told.
msg-abuse-seller = ⚠️ { $user } (id { $id }) says they did not ask for the { $purpose } code { $otp } sent in the name of { $seller }. The code no longer works. Check who is asking for codes with your API key.
msg-abuse-operator = ⚠️ Reported code: { $user } (id { $id }) did not ask for the { $purpose } code { $otp } of seller { $seller }.
msg-link-unknown = That link does not lead to any seller.
msg-link-opened = ✅ { $seller } can send you codes here now. Go back and ask for your code again.
msg-link-opened-stopped = You stopped messages from { $seller }. To get their codes, resume them with /stop.
msg-stop-none = No seller sends you messages here.
msg-stop-list =
    Sellers who can message you here:
    { $sellers }

    Press a button to stop or resume one. Only you can change this.
msg-stop-line-on = • { $seller }: messages on
msg-stop-line-stopped = • { $seller }: stopped
msg-stopped = 🔕 { $seller } can no longer message you. You can resume them here or with /stop.
msg-operator-stopped = 🔕 { $seller } will send you no more of its message series. Everything else works as before; resume them here or with /stop.
msg-resumed = 🔔 { $seller } can message you again.
msg-stop-series-button = 🔕 Stop this series from { $seller }
msg-resume-series-button = 🔔 Resume the series from { $seller }
