"""The scribe's screen (Textual): the only package of the recorder that imports textual."""
