"""Follow-ups: when each survey is due for whom (`schedule`), the personal links
(`links`), what answering and opting out record (`invitations`, `opt_out`), the invitation
and reminder mail (`mail`, `sending`), the daily job as one call (`daily`), where the waves
stand (`counts`) and the CLI (`cli`)."""
