"""What a browser submits for a form it was given: the round trip of every form.

:func:`browser_submission` reads a page's form the way a browser does and returns the
fields it would send back untouched, including what a browser does with a value its
input type cannot show: an ``<input type="date">`` whose value is not ISO 8601
(``20/11/2026``) is shown empty and sent empty; a ``type="number"`` value that is not a
valid floating-point number (``0,5``) likewise. A form that renders such a value loses
data when saved as shown, which is what these tests catch.
"""

import re
from html.parser import HTMLParser

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ISO_TIME = re.compile(r"^\d{2}:\d{2}(:\d{2}(\.\d+)?)?$")
ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$")
NUMBER = re.compile(r"^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")

# What the browser keeps of a value, per input type (the HTML "value sanitization").
VALID = {"date": ISO_DATE, "time": ISO_TIME, "datetime-local": ISO_DATETIME, "number": NUMBER}


class _FormReader(HTMLParser):
    def __init__(self, form_id: str | None):
        super().__init__(convert_charrefs=True)
        self.form_id, self.depth = form_id, 0
        self.inside = False
        self.done = False
        self.fields: list[tuple[str, str]] = []
        self.types: dict[str, str] = {}
        self._select: str | None = None
        self._select_value: str | None = None
        self._first_option: str | None = None
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and not self.inside and not self.done:
            if self.form_id is None or attrs.get("id") == self.form_id:
                self.inside = True
            return
        if not self.inside:
            return
        name = attrs.get("name")
        if tag == "input" and name and "disabled" not in attrs:
            kind = attrs.get("type", "text").lower()
            self.types[name] = kind
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.fields.append((name, attrs.get("value", "on")))
                return
            value = attrs.get("value", "")
            if kind in VALID and value and not VALID[kind].match(value):
                value = ""  # the browser cannot show it: it sends nothing
            self.fields.append((name, value))
        elif tag == "select" and name:
            self._select, self._select_value, self._first_option = name, None, None
        elif tag == "option" and self._select:
            value = attrs.get("value", "")
            if self._first_option is None:
                self._first_option = value
            if "selected" in attrs:
                self._select_value = value
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""

    def handle_endtag(self, tag):
        if not self.inside:
            return
        if tag == "form":
            self.inside, self.done = False, True
        elif tag == "select" and self._select:
            value = self._select_value if self._select_value is not None else self._first_option
            self.fields.append((self._select, value or ""))
            self._select = None
        elif tag == "textarea" and self._textarea:
            self.fields.append((self._textarea, self._text.removeprefix("\n")))
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self._text += data


def browser_submission(html: str, form_id: str | None = None) -> dict[str, str]:
    """The fields a browser sends back for the page's form (the first one, or the one
    with ``form_id``), as they were rendered."""
    reader = _FormReader(form_id)
    reader.feed(html)
    assert reader.done or reader.fields, f"no form {form_id or ''} on the page"
    return dict(reader.fields)


def input_types(html: str, form_id: str | None = None) -> dict[str, str]:
    reader = _FormReader(form_id)
    reader.feed(html)
    return reader.types
