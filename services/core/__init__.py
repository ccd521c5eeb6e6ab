"""The shared ground every domain package stands on; no business rule lives here.

Unit of work and after-commit events (`events`), coded domain errors (`errors`), the service
clock (`clock`), business days and report periods (`business_days`), money formatting
(`money`), SQL dialect helpers (`sql`), named ordered reactions and providers (`hooks`),
transition tables applied by one conditional UPDATE (`states`), pluggable adapters
(`plugins`), cursor pagination (`pagination`), small validators
(`validation`), encryption of sealed fields and masks (`sensitive`, `masking`, RISK-3),
HMAC signatures of callbacks (`signing`), distances (`geo`), phone numbers (`phones`) and
region codes (`regions`).
"""
