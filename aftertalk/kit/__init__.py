"""The educator's side: the kit linter and laptop readiness (`aftertalk check`), new lessons
(`aftertalk new-lesson`) and the reference figures."""
