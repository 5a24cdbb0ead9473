# Drip campaigns: a seller's timed sequences of messages.
drip-not-seller = Drip campaigns are for sellers. Start selling with /sell.
drip-none =
    You have no drip campaigns yet.

    Make one: /drip new Welcome
drip-list-title = 💧 Your drip campaigns
drip-line = #{ $id } { $name } ({ $trigger }, { $status }): { $enrolled } enrolled, { $goal } reached the goal
drip-step-line = · step { $position }: { $sent } sent, { $clicks } clicks, { $conversions } conversions
drip-status-active = running
drip-status-paused = paused
drip-usage =
    Commands:
    /drip new [first_contact|purchase|expiry|tag:TAG] [goal:paid] NAME: a new campaign (enrolled by hand and the API unless a trigger is given; goal:paid ends a contact's run when they buy)
    /drip step ID DELAY [if:paid|if:not_paid|if:tag:TAG] TEXT: a step DELAY after the one before (30s, 10m, 2h, 3d); end the text with lines "Label | https://…" for up to 3 buttons; send it as a reply to a photo, video or document to send that
    /drip enrol ID CONTACT: enrol a contact (ct_… or their Telegram id) by hand
    /drip pause ID, /drip resume ID
drip-created = ✅ Campaign #{ $id } "{ $name }" is ready. Add its first step: /drip step { $id } 1h Your text
drip-step-added = ✅ Step { $position } of "{ $name }" goes { $delay } after the one before.
drip-paused = ⏸ "{ $name }" is paused: nothing goes out until you resume it.
drip-resumed = ▶️ "{ $name }" runs again; steps that fell due go out now.
drip-unknown = No campaign #{ $id } of yours. See them with /drips.
drip-bad = ⚠️ Nothing changed: { $why }.
drip-enrolled = ✅ { $who } is enrolled in "{ $name }"; its first step goes after its delay.
drip-enrolled-already = { $who } is already enrolled in "{ $name }": nobody is enrolled twice.
drip-enrol-unknown = ⚠️ Nothing changed: { $who } is not one of your contacts. A user becomes your contact by opening one of your links.
