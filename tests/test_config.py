"""Parameters are normalised and bad input is stopped with a message naming the fix."""

import pytest

from lab_helpers.config import ConfigError, load_config, make_config, normalise_account_id, read_params_file
from lab_helpers.validate import region


@pytest.mark.parametrize("value, expected", [
    (12345678901, "012345678901"),  # papermill turns `-p id 012345678901` into the int 12345678901
    (1234567890, "001234567890"),  # two leading zeros lost: still padded (10 digits is the documented floor)
    (111122223333, "111122223333"),
    ("012345678901", "012345678901"),
    (" 012345678901 ", "012345678901"),
    ("0123-4567-8901", "012345678901"),  # as the console shows it
])
def test_papermill_int_and_strings_give_twelve_digits(value, expected):
    assert normalise_account_id(value) == expected


@pytest.mark.parametrize("value, words", [
    ("12345", "has 5 digits"),
    ("1234567890123", "has 13 digits"),
    (1234567890123, "has 13 digits"),  # papermill passes ints: a 13-digit int is no account either
    (99999999999999, "has 14 digits"),
    (123456789, "has only 9 digits"),  # 9 digits as an int: too many zeros lost to guess
    (0, "has only 1 digits"),
    ("12345678901a", "digits only"),
    ("-12345678901", "digits only"),
    (-12345678901, "is not an AWS account id"),
    ("", "digits only"),
    ("01234567890 1", "digits only"),
    ("1234-5678-901", "digits only"),
    (3.5, "is not an AWS account id"),
    (True, "is missing"),
    (None, "is missing"),
])
def test_malformed_ids_are_rejected_naming_the_parameter(value, words):
    with pytest.raises(ConfigError, match="producer_account_id") as refused:
        normalise_account_id(value, "producer_account_id")
    assert words in str(refused.value)


@pytest.mark.parametrize("value", ["us-east-1x", "xus-east-1", "us-east-1 x", "us-east-1\nus-west-2", "us-east-", "US-EAST-1",
                                   "us_east_1", "us-east-1/"])
def test_region_must_be_exactly_a_known_region(value):
    with pytest.raises(ConfigError, match="is not an AWS Region"):
        region(value)


@pytest.mark.parametrize("value", [" us-east-1", "us-east-1\n", "\tus-east-1 "])
def test_region_surrounding_whitespace_is_trimmed_never_passed_on(value):
    # Like every text parameter (validate.text strips), the value is normalised: boto3 gets exactly "us-east-1".
    assert region(value) == "us-east-1"
    assert make_config(region=value).region == "us-east-1"


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
    ({"redshift": "serverles"}, "did you mean 'serverless'"),
    ({"redshift": "cluster"}, "'provisioned'.*'serverless'"),
    ({"redshift_workgroup": "Lab_WG"}, "redshift_workgroup.*lowercase"),
    ({"redshift_namespace": "ns"}, "redshift_namespace"),
])
def test_bad_parameters_name_what_to_fix(params, match):
    with pytest.raises(ConfigError, match=match):
        make_config(**params)


def test_the_redshift_setting_chooses_the_compute_every_helper_targets():
    assert make_config().warehouse.data_api() == {"ClusterIdentifier": "datazone-lab-cluster"}  # the default
    serverless = make_config(redshift=" Serverless ", redshift_workgroup="wg-1").warehouse
    assert serverless.data_api() == {"WorkgroupName": "wg-1"} and serverless.wrangler() == {"workgroup_name": "wg-1"}
    assert serverless.environment_parameters("arn:s", "dev") == {"dataAccessSecretsArn": "arn:s", "dbName": "dev",
                                                                 "workgroupName": "wg-1"}
    assert serverless.storage() == {"redshiftServerlessSource": {"workgroupName": "wg-1"}}


def test_aws_backend_only_checks_prerequisites_by_default():
    config = make_config(backend="aws", producer_account_id="111122223333", consumer_account_id="444455556666")
    assert not config.creates_prerequisites


@pytest.mark.parametrize("arn", ["arn:aws:iam::111122223333:role/DataPublisher extra",
                                 "arn:aws:iam::111122223333:role/DataPublisher,arn:aws:iam::111122223333:role/Other",
                                 "arn:aws:iam::111122223333:user/DataPublisher", "xarn:aws:iam::111122223333:role/P"])
def test_role_arn_must_be_one_whole_role_arn(arn):
    with pytest.raises(ConfigError, match="is not an IAM role ARN"):
        make_config(backend="aws", producer_account_id="111122223333", consumer_account_id="444455556666",
                    role_arns={"publisher": arn})
