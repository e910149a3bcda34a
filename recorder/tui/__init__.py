"""The scribe's screen: Textual screens and widgets, the board they show and the write queue they log through."""
