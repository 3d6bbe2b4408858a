"""The spec CLI commands (validate, schema, convert) and writing models as specs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

import opt_model as om
from opt_model.cli import main
from opt_model.errors import ModelError, SpecError
from opt_model.spec import SCHEMA, load_spec, loads_spec, to_spec
from opt_model.spec.export import dump_yaml, model_to_spec

PROBLEMS = Path(__file__).resolve().parent.parent / "problems"


def test_validate_accepts_good_specs(capsys: pytest.CaptureFixture[str]) -> None:
    specs = [str(PROBLEMS / "vm_placement.yaml"), str(PROBLEMS / "diet.yaml")]
    assert main(["validate", *specs]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith("valid MILP 'vm_placement': 85 variables, 106 constraint rows, 2 resources")
    assert "valid LP 'diet'" in out[1]
    assert main(["validate", "--quiet", specs[0]]) == 0
    assert capsys.readouterr().out == ""


def test_validate_reports_problems_of_several_files_and_non_yaml(capsys: pytest.CaptureFixture[str],
                                                                 tmp_path: Path) -> None:
    broken = Path(__file__).parent / "specs" / "broken"
    code = main(["validate", str(broken / "cycle.yaml"), str(broken / "unknown_name.yaml"),
                 str(tmp_path / "model.mps")])
    lines = capsys.readouterr().err.splitlines()
    assert code == 2
    assert lines[0] == "opt-model: error: 3 problems"
    assert lines[1].startswith(str(broken / "cycle.yaml") + ":6:11:")
    assert lines[3].endswith("model.mps:1:1: not a YAML spec (expected .yaml or .yml)")


def test_missing_spec_file_is_an_input_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["validate", str(tmp_path / "none.yaml")]) == 2
    assert "cannot read the spec" in capsys.readouterr().err


def test_schema_is_printed_and_accepts_every_example(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    assert main(["schema"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads(json.dumps(SCHEMA))
    jsonschema.Draft202012Validator.check_schema(printed)
    validator = jsonschema.Draft202012Validator(printed)
    for spec in [*PROBLEMS.glob("*.yaml"), *PROBLEMS.glob("infeasible/*.yaml")]:
        document = load_spec(spec).metadata["spec"].document
        assert list(validator.iter_errors(document)) == [], spec.name
    assert main(["schema", "-o", str(tmp_path / "schema.json")]) == 0
    assert json.loads((tmp_path / "schema.json").read_text())["title"].startswith("opt-model spec")


def test_convert_to_mps_and_lp_and_back_to_yaml(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = PROBLEMS / "batch_deadline.yaml"
    expected = load_spec(spec).solve().objective
    mps = tmp_path / "batch.mps"
    assert main(["convert", str(spec), "--to", "mps", "-o", str(mps)]) == 0
    assert main(["convert", str(spec), "--to", "lp"]) == 0
    lp = capsys.readouterr().out
    assert lp.splitlines()[1] == "min" and lp.rstrip().endswith("end")
    converted = tmp_path / "batch.yaml"
    assert main(["convert", str(mps), "--to", "yaml", "-o", str(converted)]) == 0
    model = load_spec(converted)
    assert model.solve().objective == pytest.approx(expected, rel=1e-9)


def test_convert_spec_to_yaml_keeps_the_document_and_fixes_csv_paths(tmp_path: Path) -> None:
    out = tmp_path / "copy.yaml"
    assert main(["convert", str(PROBLEMS / "vm_placement.yaml"), "--to", "yaml", "-o", str(out)]) == 0
    document = yaml.safe_load(out.read_text())
    assert document["resources"]["memory"]["usage"] == "sum(vm_memory * place, over=vm)"
    assert (tmp_path / document["dims"]["vm"]["csv"]).resolve() == (PROBLEMS / "vm_placement_vms.csv").resolve()
    with pytest.raises(SpecError, match=r"outside the spec.s folder"):  # data stays beside the spec by default
        load_spec(out)
    assert load_spec(out, data_roots=[PROBLEMS]).solve().objective == pytest.approx(616.32)


def test_convert_reports_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["convert", str(tmp_path / "model.txt"), "--to", "mps"]) == 2
    assert "unknown input format" in capsys.readouterr().err


def _api_model() -> om.Model:
    m = om.Model("placement")
    task = om.Dim("task", ["etl", "train", "serve"])
    host = om.Dim("host", ["h1", "h2"])
    x = m.add_variables("x", dims=(task, host), lb=0, ub=1)
    m.add_constraints("assign", x.sum("host") == 1)
    need = om.data([[8, 8], [48, 48], [16, 16]], dims=(task, host))
    m.add_resource("memory", unit="GiB", capacity=om.data({"h1": 32, "h2": 64}, dims=host)).add_usage(
        (need * x).sum("task"))
    m.add_resource("slots", unit="1", capacity=2, dims=host, provision=om.Provision(max=1, price=0.5)).add_usage(
        x.sum("task"))
    price = om.data([[1, 2], [3, 4], [2, 1]], dims=(task, host))
    m.minimize((price * x).sum() + m.resources["slots"].cost() + 1.5)
    return m


def test_api_model_round_trips_through_a_spec(tmp_path: Path) -> None:
    model = _api_model()
    expected = model.solve().objective
    document = to_spec(model)
    assert document["resources"]["memory"]["usage"] == "sum(memory_x * x, over=task)"
    assert document["data"]["memory_x"]["unit"] == "GiB"
    assert document["resources"]["slots"]["provision"] == {"max": 1.0, "price": 0.5}
    assert document["constraints"]["assign"] == "sum(x, over=host) == 1"
    assert "provisioned(slots)" in document["objective"]["minimize"]
    reloaded = loads_spec(dump_yaml(document))
    assert reloaded.solve().objective == pytest.approx(expected)
    # large tables go to CSV files when a folder is given
    path = tmp_path / "spec.yaml"
    document = model_to_spec(model, tmp_path, "spec")
    path.write_text(dump_yaml(document))
    assert load_spec(path).solve().objective == pytest.approx(expected)


def test_models_a_spec_cannot_express_are_refused() -> None:
    m = om.Model()
    i = om.Dim("i", ["a", "b"])
    x = m.add_variables("x", dims=i)
    m.add_constraints("cross", x.sel(i=["a", "b"]).sum() - x.sum() <= 1)  # fine: no shared dims
    y = m.add_variables("y", dims=i)
    m.add_constraints("shifted", x.sel(i="a") + y.sel(i="b") <= 1)       # fine: scalars
    to_spec(m)
    m.minimize(x.sum() * x.sum())
    with pytest.raises(ModelError, match=r"quadratic|not linear"):
        to_spec(m)
