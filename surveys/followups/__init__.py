"""Follow-ups: when each survey is due for whom (`schedule`), the personal links
(`links`), the invitation and reminder mail (`mail`, `sending`) and the CLI (`cli`)."""
