from docintel.web.highlight import marked_text


def test_overlapping_marks_are_all_kept_and_text_is_escaped():
    text = "Patient <b>Jane Roe</b> seen 2026-01-02."
    start = text.index("Jane")
    html = marked_text(text, [{"type": "NAME", "start": start, "end": start + 8}],
                       {"f0": [{"start": start + 5, "end": start + 8}], "f1": [{"start": 0, "end": 7}]})
    assert "<b>" not in html and "&lt;b&gt;" in html
    assert '<span class="mark entity" data-fields="" data-start="11" title="NAME">Jane </span>' in html
    both = '<span class="mark entity grounding" data-fields="f0" data-start="16" title="NAME">Roe</span>'
    assert both in html
    assert '<span class="mark grounding" data-fields="f1" data-start="0">Patient</span>' in html
    assert html.replace('title="NAME"', "").count("Roe") == 1


def test_spans_outside_the_text_are_clipped():
    assert marked_text("abc", [{"type": "X", "start": 2, "end": 99}], {}).endswith('title="X">c</span>')
