"""Parameters are normalised and bad input is stopped with a message naming the fix."""

from pathlib import Path

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


def test_serverless_needs_a_region_with_redshift_serverless():
    # botocore's endpoint data offers DataZone, but not Redshift Serverless, in me-south-1: a serverless lab stops
    # there before anything is created, naming the service; the same Region passes with clusters.
    assert make_config(region="me-south-1").region == "me-south-1"
    with pytest.raises(ConfigError, match="Amazon Redshift Serverless is not offered there"):
        make_config(region="me-south-1", redshift="serverless")


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


# ------------------------------------------------------------------ a room: many consumer accounts
ROOM = ["222222222222", "333333333333", "444444444444"]


def test_a_single_consumer_account_id_is_a_room_of_one():
    config = make_config(consumer_account_id="222222222222")
    assert config.consumers == ("222222222222",) and config.state_scope is None
    assert config.each_consumer() == [config]


def test_consumer_account_ids_first_is_chosen_unless_one_is_named():
    config = make_config(consumer_account_ids=ROOM)
    assert config.consumers == tuple(ROOM) and config.consumer_account_id == ROOM[0] and config.state_scope is None
    third = make_config(consumer_account_ids=", ".join(ROOM), consumer_account_id=ROOM[2])
    assert third.consumer_account_id == ROOM[2] and third.state_scope == ROOM[2]
    assert [c.consumer_account_id for c in third.each_consumer()] == ROOM


@pytest.mark.parametrize("params, match", [
    ({"consumer_account_ids": ["222222222222", "222222222222"]}, "lists 222222222222 twice: keep each consumer account once"),
    ({"consumer_account_ids": ["222222222222", "111111111111"]}, "lists the producer account 111111111111"),
    ({"consumer_account_ids": ["222222222222", "33333"]}, r"consumer_account_ids\[1\]='33333' has 5 digits"),
    ({"consumer_account_ids": []}, "consumer_account_ids is empty"),
    ({"consumer_account_ids": 222222222222}, "must be a list of 12-digit account ids"),
    ({"consumer_account_ids": ROOM, "consumer_account_id": "555555555555"}, "is not among consumer_account_ids"),
    ({"consumer_account_ids": ROOM, "profiles": {"subscriber": {"555555555555": "x"}}},
     "names account 555555555555, which is not a consumer account"),
    ({"consumer_account_ids": ROOM, "profiles": {"publisher": {"222222222222": "x"}}},
     "the publisher acts in the one producer account"),
    ({"consumer_account_ids": ROOM, "role_arns": {"subscriber": "arn:aws:iam::222222222222:role/S"}},
     "acts in the consumer account 333333333333: give one per consumer account"),
])
def test_bad_consumer_lists_name_the_fix(params, match):
    with pytest.raises(ConfigError, match=match):
        make_config(**params)


def test_each_consumer_has_its_own_credentials():
    config = make_config(
        backend="aws", producer_account_id="111122223333", consumer_account_ids=["444455556666", "777788889999"],
        profiles={"publisher": "pub", "consumer_admin": "admins", "subscriber": {"444455556666": "team-a",
                                                                                   "777788889999": "team-b"}},
        role_arns={"subscriber": {"777788889999": "arn:aws:iam::777788889999:role/Sub"}})
    first, second = config.each_consumer()
    assert first.profiles == {"publisher": "pub", "consumer_admin": "admins", "subscriber": "team-a"}
    assert first.role_arns == {}
    assert second.profiles["subscriber"] == "team-b" and second.role_arns == {
        "subscriber": "arn:aws:iam::777788889999:role/Sub"}
    assert first.account_of("subscriber") == "444455556666" and second.account_of("subscriber") == "777788889999"


def test_the_room_file_reads(tmp_path):
    config = load_config(Path(__file__).parent.parent / "parameters" / "offline-three-consumers.yaml",
                         work_dir=str(tmp_path))
    assert config.consumers == tuple(ROOM)
