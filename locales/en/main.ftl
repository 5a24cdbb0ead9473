# Onboarding
welcome-new =
    👋 Hi { $name }, welcome!
    This bot connects you with our team: write here and we answer right in this chat.
    Type /help to see what I can do.
welcome-back = 👋 Welcome back, { $name }! Type /help to see what I can do.
start-link-invalid = That link looks broken, so I ignored it. You are all set anyway.

# Help and errors
help =
    Here is what I can do:
    /start – start over
    /help – this list
unknown-command = I don't know the command { $command }. Type /help to see what I can do.
text-not-yet = Thanks! Type /help to see what I can do.
internal-error = Something went wrong on our side. Please try again in a minute.

# Admin group
admin-status =
    📊 Tollgate { $version }
    Users: { $users } (active in the last 24 h: { $active })
    Background jobs waiting: { $jobs_queued }, failed for good: { $jobs_dead }
admin-only = This command works only in the admin group.

# Command menus
cmd-start = Start over
cmd-help = What I can do
cmd-status = Bot status and counts
