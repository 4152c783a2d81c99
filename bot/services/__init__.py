"""What readers and editors ask of the bot, over the store: reading, accounts, editors' actions."""
