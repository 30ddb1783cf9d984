"""Parameters are normalised and bad input is stopped with a message naming the fix."""

import pytest

from lab_helpers.config import ConfigError, load_config, make_config, normalise_account_id, read_params_file


@pytest.mark.parametrize("value", [12345678901, "012345678901", " 012345678901 "])
def test_papermill_int_and_strings_give_twelve_digits(value):
    # papermill turns `-p producer_account_id 012345678901` into the int 12345678901
    assert normalise_account_id(value) == "012345678901"


@pytest.mark.parametrize("value", ["12345", "1234567890123", "12345678901a", "-12345678901", "", 3.5, True, None])
def test_malformed_ids_are_rejected_naming_the_parameter(value):
    with pytest.raises(ConfigError, match="producer_account_id"):
        normalise_account_id(value, "producer_account_id")


def test_yaml_octal_looking_id_stays_as_written(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("backend: aws\nproducer_account_id: 012345670123\nconsumer_account_id: 444455556666\nsample_rows: 10\n")
    params = read_params_file(path)
    assert params["producer_account_id"] == "012345670123"  # plain YAML would give 1402433619 (octal)
    assert params["sample_rows"] == 10
    config = load_config(path)
    assert (config.producer_account_id, config.consumer_account_id) == ("012345670123", "444455556666")


def test_equal_accounts_are_rejected():
    with pytest.raises(ConfigError, match="the same"):
        make_config(backend="aws", producer_account_id="111122223333", consumer_account_id=111122223333)


def test_offline_defaults():
    config = make_config()
    assert (config.backend, config.region, config.producer_account_id, config.consumer_account_id) == (
        "offline", "us-east-1", "111111111111", "222222222222")
    assert config.account_of("subscriber") == "222222222222"
    assert config.creates_prerequisites


@pytest.mark.parametrize("params, match", [
    ({"backend": "cloud"}, "backend"),
    ({"region": "useast1"}, "region"),
    ({"backend": "aws", "producer_account_id": "111122223333"}, "consumer_account_id"),
    ({"role_arns": {"publisher": "arn:aws:iam::999999999999:role/X"}}, "publisher"),
    ({"profiles": {"tester": "x"}}, "persona"),
])
def test_bad_parameters_name_what_to_fix(params, match):
    with pytest.raises(ConfigError, match=match):
        make_config(**params)


def test_aws_backend_only_checks_prerequisites_by_default():
    config = make_config(backend="aws", producer_account_id="111122223333", consumer_account_id="444455556666")
    assert not config.creates_prerequisites
