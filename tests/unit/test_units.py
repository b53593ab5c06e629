import pytest

from immunomet.errors import UnitError
from immunomet.units import parse_unit


def test_compound_units_reduce_to_dimensions():
    assert parse_unit("pg/mL/day").describe_dims() == "time^-1 mass volume^-1"
    assert parse_unit("L/day/kg").same_dimension(parse_unit("mL/day/g"))
    assert parse_unit("1").dimensionless and parse_unit("").dimensionless


def test_scale_factors_convert_between_units():
    assert parse_unit("h").factor_to(parse_unit("day")) == pytest.approx(1 / 24)
    assert parse_unit("ug/mL").factor_to(parse_unit("mg/L")) == pytest.approx(1.0)
    assert parse_unit("nM").factor_to(parse_unit("pM")) == pytest.approx(1000.0)
    # 1 ug/mL of a 150 kDa antibody is 6.67 nM
    conc = parse_unit("ug/mL") / parse_unit("g/mol")
    assert (conc.scale / parse_unit("nM").scale) / 150000 == pytest.approx(6.6667, rel=1e-4)


def test_unknown_unit_is_named():
    with pytest.raises(UnitError, match="furlong"):
        parse_unit("furlong/day")


def test_converting_across_dimensions_raises():
    with pytest.raises(UnitError):
        parse_unit("cell").factor_to(parse_unit("day"))
