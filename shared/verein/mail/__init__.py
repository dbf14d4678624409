"""Mail: the port the product sends mail through, and its adapters.

``message.Mail`` is what is sent, ``port.MailSender`` the port (with ``MailNotSent``),
``ses.SesMailSender`` sends with Amazon SES (API v2), ``memory.InMemoryMailSender`` keeps the
mails for tests. Mail is sent from the change stream (reactors), never inside a command: see
ARCHITECTURE.md, "Decisions". Locally, ``local_aws.mail`` stands in for SES and captures
every mail in an outbox.
"""
