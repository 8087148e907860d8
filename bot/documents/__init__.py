"""Documents the bot writes for people to send on: reports and minutes (Word and PDF, from one
format-neutral outline, `model.Document`), workbooks (Excel, `model.Workbook`), calendars and
maps. Writers take texts already translated and run in worker threads: no Telegram here."""
