"""The resuscitation recorder: capture, store, rules and the scribe's screen."""

__version__ = "0.1.0"
