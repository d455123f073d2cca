"""Follow-up through the support period (帮教回访, issue 19): contacts due after discharge until the support
period ends; a person gone missing (脱管) or reoffended is recorded."""
