"""interact, interactive, interact_manual and fixed (widgets/controls/interaction.py): the abbreviations,
the decorator forms, manual runs, results and output, coalescing, and the browser's updates (the
kernel acknowledges a change only after `f` ran)."""

from __future__ import annotations

import enum
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

import widgets
import widgets.controls as controls
from widgets.testing import InProcessFrontend


def controls_of(w: controls.interactive) -> list[Any]:
    return list(w.children[:-1])


def build(**abbreviations: Any) -> controls.interactive:
    def f(**kwargs: Any) -> None:
        pass

    return controls.interactive(f, **abbreviations)


class Colour(enum.Enum):
    RED = 1
    BLUE = 2


def test_every_abbreviation() -> None:
    given = controls.IntText(7, description="mine")
    w = build(
        ints=(0, 10),
        stepped=(0, 10, 3),
        floats=(0.0, 1.0),
        mixed=(0, 1.5, 0.5),
        flag=True,
        name="Ada",
        count=5,
        ratio=0.5,
        zero=0,
        negative=-2,
        choices=["a", "b"],
        pairs=[("one", 1), ("two", 2)],
        strings=("x", "y", "z"),
        mapping={"low": 0, "high": 10},
        generated=(n * n for n in range(3)),
        colour=Colour.BLUE,
        palette=Colour,
        typed=float,
        widget=given,
        constant=controls.fixed([1, 2]),
    )
    c = {control.description: control for control in controls_of(w)}
    assert "constant" not in c and len(c) == 19
    assert type(c["ints"]) is controls.IntSlider and (c["ints"].min, c["ints"].max, c["ints"].value) == (0, 10, 5)
    assert (c["stepped"].step, c["stepped"].value) == (3, 3)
    assert type(c["floats"]) is controls.FloatSlider and c["floats"].value == 0.5
    assert type(c["mixed"]) is controls.FloatSlider and (c["mixed"].step, c["mixed"].value) == (0.5, 0.5)
    assert type(c["flag"]) is controls.Checkbox and c["flag"].value is True
    assert type(c["name"]) is controls.Text and c["name"].value == "Ada"
    assert type(c["count"]) is controls.IntSlider and (c["count"].min, c["count"].max, c["count"].value) == (-5, 15, 5)
    assert type(c["ratio"]) is controls.FloatSlider and (c["ratio"].min, c["ratio"].max) == (-0.5, 1.5)
    assert (c["zero"].min, c["zero"].max) == (0, 1) and (c["negative"].min, c["negative"].max) == (-6, 2)
    assert type(c["choices"]) is controls.Dropdown and c["choices"].options == ("a", "b")
    assert c["pairs"].value == 1 and c["pairs"].label == "one"
    assert type(c["strings"]) is controls.Dropdown and c["strings"].value == "x"
    assert c["mapping"].value == 0 and c["mapping"].label == "low"
    assert c["generated"].options == (0, 1, 4)
    assert c["colour"].value is Colour.BLUE and c["palette"].value is Colour.RED
    assert type(c["typed"]) is controls.FloatText
    assert c["mine"] is given
    assert w.kwargs["constant"] == [1, 2] and w.kwargs["mine" if False else "widget"] == 7
    assert all(s.continuous_update for s in controls_of(w) if isinstance(s, (controls.IntSlider, controls.FloatSlider)))


def test_defaults_from_the_signature() -> None:
    def f(x: int = 3, y: str = "hi", z: bool = False, pick: str = "b", n: float = 2.0) -> None:
        pass

    w = controls.interactive(f, x=(0, 10), pick=["a", "b", "c"])
    x, y, z, pick, n = controls_of(w)
    assert (type(x), x.value, x.max) == (controls.IntSlider, 3, 10)
    assert (type(y), y.value) == (controls.Text, "hi") and (type(z), z.value) == (controls.Checkbox, False)
    assert pick.value == "b" and type(n) is controls.FloatSlider and n.value == 2.0
    assert w.kwargs == {"x": 3, "y": "hi", "z": False, "pick": "b", "n": 2.0}

    def annotated(a: str, b: bool) -> None:
        pass

    assert [type(c) for c in controls_of(controls.interactive(annotated))] == [controls.Text, controls.Checkbox]


def test_bad_abbreviations_are_clear_errors() -> None:
    def f(x: Any) -> None:
        pass

    with pytest.raises(ValueError, match=r"no control for argument 'x' of 'f': give it a default"):
        controls.interactive(f)
    with pytest.raises(ValueError, match=r"cannot make a control for x=None"):
        controls.interactive(f, x=None)
    with pytest.raises(ValueError, match=r"cannot make a control for x=<object"):
        controls.interactive(f, x=object())
    with pytest.raises(TypeError, match=r"'f' has no parameter 'y'"):
        controls.interactive(f, x=1, y=2)
    with pytest.raises(ValueError, match=r"min <= max"):
        controls.interactive(f, x=(10, 0))
    with pytest.raises(ValueError, match=r"step .* must be > 0"):
        controls.interactive(f, x=(0, 10, 0))
    with pytest.raises(TypeError, match=r"widget without a value"):
        controls.interactive(f, x=controls.Button())
    with pytest.raises(ValueError, match=r"unknown option"):
        controls.interactive(f, {"manul": True}, x=1)
    with pytest.raises(ValueError, match=r"unknown option"):
        controls.interact.options(manul=True)


def test_runs_shows_output_and_result(frontend: InProcessFrontend) -> None:
    calls: list[int] = []

    def square(x: int = 2) -> int:
        calls.append(x)
        print("x is", x)
        if x == 7:
            raise ValueError("seven")
        return x * x

    w = controls.interactive(square, x=(0, 10))
    slider, out = w.children
    assert type(out) is controls.Output and w.out is out and w.widget is w and w.f is square
    assert calls == [2] and w.result == 4 and w.kwargs == {"x": 2}
    assert tuple(out.outputs) == ({"output_type": "stream", "name": "stdout", "text": "x is 2\n"},)  # no auto_display
    slider.value = 3
    assert w.result == 9 and out.outputs[0]["text"] == "x is 3\n" and len(out.outputs) == 1  # cleared per run
    slider.value = 7
    assert w.result is None and [o["output_type"] for o in out.outputs] == ["stream", "error"]
    assert out.outputs[-1]["evalue"] == "seven"
    traceback = "\n".join(out.outputs[-1]["traceback"])
    assert "in square" in traceback and "interaction.py" not in traceback  # from f on
    w.update()
    assert calls == [2, 3, 7, 7]

    shown = controls.interact.widget(square)  # interact's options: the return value is displayed
    assert [o["output_type"] for o in shown.out.outputs] == ["stream", "display_data"]
    assert shown.out.outputs[1]["data"]["text/plain"] == "4"

    def quiet(x: int = 1) -> None:
        if x == 2:
            print("two")

    q = controls.interactive(quiet)
    q.children[0].value = 2
    assert len(q.out.outputs) == 1
    q.children[0].value = 3  # prints nothing: the waiting clear still happens
    assert tuple(q.out.outputs) == ()


def test_decorator_forms_and_display(frontend: InProcessFrontend) -> None:
    config = Config()
    config.HistoryManager.enabled = False
    shell = InteractiveShell.instance(config=config)
    published: list[Any] = []
    shell.display_pub.publish = lambda data, metadata=None, **kw: published.append(data)  # type: ignore[method-assign]
    try:

        @controls.interact
        def plain(x: int = 1) -> None:
            print("plain", x)

        @controls.interact(x=(0, 4))
        def ranged(x: int = 1) -> None:
            print("ranged", x)

        def later(word: str = "hi") -> None:
            print(word)

        class Greeter:
            def greet(self, word: str = "hi") -> None:
                print(word)

        returned = controls.interact(later, word="hello")
        first = later.widget  # type: ignore[attr-defined]
        manual = controls.interact.options(manual=True, manual_name="Go")(later)
        bound = controls.interact(Greeter().greet)
    finally:
        InteractiveShell.clear_instance()
    assert returned is later and first.children[0].value == "hello" and plain.widget.children[0].value == 1  # type: ignore[attr-defined]
    assert ranged.widget.children[0].max == 4  # type: ignore[attr-defined]
    assert later.widget is manual.widget and manual.widget.manual_button.description == "Go"  # type: ignore[attr-defined]
    assert bound.__name__ != "greet" and bound.widget.children[0].value == "hi"  # type: ignore[attr-defined]
    ids = [data[widgets.MIMETYPE]["model_id"] for data in published]
    assert ids == [w.model_id for w in (plain.widget, ranged.widget, first, manual.widget, bound.widget)]  # type: ignore[attr-defined]
    assert plain.widget.out.outputs[0]["text"] == "plain 1\n"  # type: ignore[attr-defined]
    assert controls.interact_manual.opts["manual"] is True


def test_interact_manual_runs_on_click_only(frontend: InProcessFrontend) -> None:
    calls: list[tuple[int, str]] = []

    def f(x: int = 1, word: str = "a") -> None:
        calls.append((x, word))
        print(x, word)

    w = controls.interact_manual.widget(f)
    slider, text, button, out = w.children
    assert w.manual_button is not None and w.manual_button is button and button.description == "Run Interact"
    assert calls == [] and out.outputs == ()
    assert text.continuous_update is False
    slider.value = 2
    assert calls == []
    view = frontend.model(button)
    view.send({"event": "click"})
    assert calls == [(2, "a")] and out.outputs[0]["text"] == "2 a\n" and button.disabled is False
    text.value = "b"  # Enter in the text field runs it, as in ipywidgets
    assert calls[-1] == (2, "b")


def test_several_changes_in_one_hold_run_once() -> None:
    calls: list[tuple[int, int]] = []

    def f(a: int = 1, b: int = 2) -> None:
        calls.append((a, b))

    w = controls.interactive(f, a=(0, 10), b=(0, 10))
    a, b = controls_of(w)
    calls.clear()
    with w.hold_sync():
        a.value = 3
        b.value = 4
        assert calls == []
    assert calls == [(3, 4)]
    with w.hold_sync():
        pass
    assert calls == [(3, 4)]


def test_a_function_that_changes_its_controls_runs_again_not_recursively() -> None:
    depth: list[int] = []
    running = [0]

    def f(x: int = 0, lo: int = 0) -> None:
        running[0] += 1
        depth.append(running[0])
        if x > lo:
            lo_control.value = x  # the function moves another control
        running[0] -= 1

    w = controls.interactive(f, x=(0, 10), lo=(0, 10))
    x_control, lo_control = controls_of(w)
    depth.clear()
    x_control.value = 6
    assert depth == [1, 1] and w.kwargs == {"x": 6, "lo": 6}


def test_browser_updates_run_f_before_the_ack(frontend: InProcessFrontend) -> None:
    """The kernel acknowledges a slider's update only after its observers (so `f`) ran: while `f` runs,
    the browser still has the update in flight, so a drag sends at most one value per run."""
    in_flight: list[dict[str, Any]] = []

    def f(x: int = 0) -> None:
        in_flight.append(dict(view.pending))
        print("x =", x)

    w = controls.interactive(f, x=(0, 100))
    slider = w.children[0]
    view = frontend.model(slider)
    out_view = frontend.model(w.out)
    in_flight.clear()
    view.set("value", 40)
    view.save_changes()
    assert [list(p) for p in in_flight] == [["value"]] and not view.pending  # f ran with the update in flight
    frontend.flush()
    assert out_view.get("outputs")[0]["text"] == "x = 40\n"
    box = frontend.model(w)
    assert box.get("_kind") == "interactive"
    assert box.get("children") == [f"IPY_MODEL_{c.model_id}" for c in w.children]


def test_interactive_output() -> None:
    a, b = controls.IntSlider(1), controls.IntSlider(2)
    out = controls.interaction.interactive_output(lambda a, b: print(a + b), {"a": a, "b": b})
    assert out.outputs[0]["text"] == "3\n"
    b.value = 5
    assert tuple(out.outputs) == ({"output_type": "stream", "name": "stdout", "text": "6\n"},)


def test_fixed() -> None:
    value = object()
    assert controls.fixed(value).value is value and controls.fixed(value) == controls.fixed(value)
    assert repr(controls.fixed(3)) == "fixed(3)"
