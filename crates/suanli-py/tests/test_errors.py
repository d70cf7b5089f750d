"""Bad input raises InputError naming the field; no solution raises Infeasible with the
answer when there is one; the CLI agrees on which is which."""

from __future__ import annotations

import json

import pytest

import suanli

INFER = dict(model="llama3-8b", gpu="h100", input_tokens=1000, output_tokens=200)


@pytest.mark.parametrize(
    "call,field",
    [
        (lambda: suanli.infer(**{**INFER, "tp": 0}), "tp"),
        (lambda: suanli.infer(**{**INFER, "gpu": "h1000"}), "gpu"),
        (lambda: suanli.infer(**{**INFER, "model": "llama-9"}), "model"),
        (lambda: suanli.infer(**{**INFER, "precision": "fp7"}), "precision"),
        (lambda: suanli.infer(**{**INFER, "max_ttft": -1.0}), "max_ttft"),
        (lambda: suanli.infer(**{**INFER, "tp": "two"}), "tp"),
        (lambda: suanli.infer(**{**INFER, "max_ttft": float("nan")}), "max_ttft"),
        (lambda: suanli.infer(model="llama3-8b", gpu="h100", output_tokens=200), "input_tokens"),
        (lambda: suanli.infer(gpu="h100", input_tokens=1000, output_tokens=200), "model"),
        (lambda: suanli.train("llama3-8b", gpu="h100", gpus=64, zero=7), "zero"),
        (lambda: suanli.finetune("llama3-8b", gpu="h100", method="dpo"), "method"),
        (lambda: suanli.serve("llama3-8b", gpu="h100", rate=-2, ttft_p99=1, tpot_p99=0.1, input_tokens=100, output_tokens=10), "rate"),
        (lambda: suanli.simulate("llama3-8b", gpu="h100", replicas=0, rate=1), "replicas"),
        (lambda: suanli.sweep("llama3-8b", gpu="h100", input_tokens=[], output_tokens=100), "input_tokens"),
        (lambda: suanli.validate(set="gpt4"), "set"),
        (lambda: suanli.catalog("chips"), "kind"),
        (lambda: suanli.catalog(), "kind"),
        (lambda: suanli.catalog(id="no-such-chip"), "id"),
        (lambda: suanli.flops(model_config={"model_type": "llama"}), "model_config.hidden_size"),
        (lambda: suanli.flops("/no/such/folder/config.json"), "model"),
        (lambda: suanli.flops("llama3-8b", catalog="/no/such/catalog.toml"), "catalog"),
        (lambda: suanli.flops("llama3-8b", catalog="[[accelerator]]\nid = 3\n"), "catalog"),
        (lambda: suanli.flops("llama3-8b", catalog={"accelerator": [{"id": "x"}]}), "catalog"),
        (lambda: suanli.plan("title = 3\n[market\n"), "document"),
    ],
)
def test_bad_input_names_the_field(call, field):
    with pytest.raises(suanli.InputError) as e:
        call()
    assert e.value.field == field or (field and e.value.field and e.value.field.startswith(field)), (
        e.value.field,
        str(e.value),
    )
    assert e.value.status == 400
    assert str(e.value) == e.value.message and e.value.message
    assert isinstance(e.value, ValueError) and isinstance(e.value, suanli.SuanliError)


def test_input_error_message_matches_the_cli(cli):
    with pytest.raises(suanli.InputError) as e:
        suanli.infer(**{**INFER, "gpu": "h1000"})
    rc, _, err = cli.run("infer", "-m", "llama3-8b", "--gpu", "h1000", "--input-tokens", "1000", "--output-tokens", "200")
    assert rc == 2
    assert "unknown accelerator `h1000`" in err and "unknown accelerator `h1000`" in e.value.message


def test_a_layout_that_does_not_fit_is_infeasible_with_its_answer(cli):
    args = dict(model="llama3.1-405b", gpu="l4", input_tokens=1000, output_tokens=200, tp=1)
    with pytest.raises(suanli.Infeasible) as e:
        suanli.infer(**args)
    assert e.value.status == 422 and e.value.field is None
    assert "does not fit" in e.value.message
    assert isinstance(e.value.answer, dict) and e.value.answer["fits"] is False
    rc, out, err = cli.run("infer", "-m", "llama3.1-405b", "--gpu", "l4", "--input-tokens", "1000", "--output-tokens", "200", "--tp", "1", "-f", "json")
    assert rc == 1 and "does not fit" in err
    # suanli-api re-parses a 422 answer with serde_json's default float parser, which may
    # differ from the rendered text in the 17th significant digit.
    assert close(e.value.answer, json.loads(out))


def close(a, b) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(close(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float):
        return a == pytest.approx(b, rel=1e-14, abs=0)
    return a == b


def test_targets_no_fleet_meets_are_infeasible(cli):
    with pytest.raises(suanli.Infeasible) as e:
        suanli.serve("llama3-70b", gpu="l4", ttft_p99=0.001, tpot_p99=0.001, rate=10, input_tokens=1000, output_tokens=100)
    assert "meets" in e.value.message
    rc, _, _ = cli.run("serve", "-m", "llama3-70b", "--gpu", "l4", "--ttft-p99", "0.001", "--tpot-p99", "0.001", "--rate", "10", "--input-tokens", "1000", "--output-tokens", "100")
    assert rc == 1


def test_an_unknown_or_missing_keyword_is_a_type_error():
    """As for any Python function (the stubs tell a type checker the same)."""
    with pytest.raises(TypeError):
        suanli.infer(**INFER, tpp=2)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="gpu"):
        suanli.infer("llama3-8b", input_tokens=1000, output_tokens=200)  # type: ignore[call-arg]


def test_the_native_call_reports_status_404_for_an_unknown_command():
    from suanli import _suanli

    with pytest.raises(_suanli.CallError) as e:
        _suanli.call("bake", "{}")
    assert e.value.args[0] == 404
    with pytest.raises(_suanli.CallError) as e:
        _suanli.call("infer", "not json")
    assert e.value.args[0] == 400


def test_a_panic_is_an_internal_error_not_a_crash():
    from suanli import _core, _suanli

    with pytest.raises(_suanli.CallError) as e:
        _suanli._panic_for_tests()
    err = _core._error(*e.value.args)
    assert isinstance(err, suanli.InternalError) and isinstance(err, RuntimeError)
    assert err.status == 500 and "a test panic" in err.message
