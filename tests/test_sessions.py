"""Persona sessions: offline through STS on the stand-in, aws through profiles or role ARNs."""

import pytest
from botocore.exceptions import ClientError

from lab_helpers import sessions
from lab_helpers.config import make_config
from lab_helpers.sessions import CredentialsError, check_identity, persona_session, whoami


def test_offline_personas_act_in_their_accounts(lab_config):
    for persona, account, role in [("producer_admin", "111111111111", "LabProducerAdmin"),
                                   ("publisher", "111111111111", "LabPublisher"),
                                   ("consumer_admin", "222222222222", "LabConsumerAdmin"),
                                   ("subscriber", "222222222222", "LabSubscriber")]:
        ident = whoami(persona_session(lab_config, persona))
        assert ident["Account"] == account
        assert f":assumed-role/{role}/" in ident["Arn"]


def test_wrong_persona_credentials_are_named(lab_config):
    publisher = persona_session(lab_config, "publisher")
    with pytest.raises(CredentialsError, match="expects the data subscriber of the consumer account 222222222222"):
        check_identity(publisher, lab_config, "subscriber")


def _aws_profiles(tmp_path, monkeypatch, lab_config, keys="AKIDPROFILE"):
    config_file = tmp_path / "config"
    config_file.write_text(
        "[profile lab-producer]\n"
        f"aws_access_key_id = {keys}\naws_secret_access_key = x\n"
    )
    # "AWS" here is the stand-in, reached the way any AWS client can be pointed elsewhere
    monkeypatch.setenv("AWS_ENDPOINT_URL", lab_config.endpoint_url)
    monkeypatch.delenv("_LAB_KIT_ENDPOINT", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config_file))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)


def test_aws_profile_of_the_wrong_account_is_refused(tmp_path, monkeypatch, lab_config):
    persona_session(lab_config, "publisher")  # make sure the stand-in runs
    _aws_profiles(tmp_path, monkeypatch, lab_config)
    config = make_config(backend="aws", producer_account_id="111111111111", consumer_account_id="222222222222",
                         profiles={"publisher": "lab-producer"})
    sessions.clear_cache()
    # moto answers for unknown keys as account 123456789012: not the producer account
    with pytest.raises(CredentialsError, match="act in account 123456789012.*producer account 111111111111"):
        persona_session(config, "publisher")


def _account_admin(lab_config, account_id):
    """The member account's administrator: the management account's credentials through OrganizationAccountAccessRole."""
    from lab_helpers.sessions import OFFLINE_KEY, _assume, new_session

    persona_session(lab_config, "publisher")  # starts the stand-in
    base = new_session(aws_access_key_id=OFFLINE_KEY, aws_secret_access_key=OFFLINE_KEY, region_name=lab_config.region)
    return _assume(base, f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole", "test-admin", lab_config.region)


def test_aws_role_arn_is_assumed_from_the_profile(tmp_path, monkeypatch, lab_config):
    import json

    iam = _account_admin(lab_config, "111111111111").client("iam")
    try:  # a role the profile's principal (the management account) may assume, as an admin would set it up
        iam.create_role(RoleName="DataPublisher", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}}]}))
    except iam.exceptions.EntityAlreadyExistsException:
        pass
    _aws_profiles(tmp_path, monkeypatch, lab_config)
    config = make_config(backend="aws", producer_account_id="111111111111", consumer_account_id="222222222222",
                         profiles={"publisher": "lab-producer"},
                         role_arns={"publisher": "arn:aws:iam::111111111111:role/DataPublisher"})
    sessions.clear_cache()
    session = persona_session(config, "publisher")
    assert ":assumed-role/DataPublisher/" in whoami(session)["Arn"]


def test_missing_profile_names_the_parameter(tmp_path, monkeypatch, lab_config):
    _aws_profiles(tmp_path, monkeypatch, lab_config)
    config = make_config(backend="aws", producer_account_id="111111111111", consumer_account_id="222222222222",
                         profiles={"publisher": "no-such-profile"})
    sessions.clear_cache()
    with pytest.raises(CredentialsError, match=r"profiles\['publisher'\]"):
        persona_session(config, "publisher")


def test_expired_credentials_say_how_to_refresh(lab_config, monkeypatch):
    session = persona_session(lab_config, "publisher")

    def expired(_session):
        raise ClientError({"Error": {"Code": "ExpiredToken", "Message": "The security token included in the request is expired"}}, "GetCallerIdentity")

    monkeypatch.setattr(sessions, "whoami", expired)
    with pytest.raises(CredentialsError, match="expired: refresh them"):
        check_identity(session, lab_config, "publisher")


def test_personas_carry_their_policy_and_cannot_cross_accounts(lab_config):
    """Each offline persona holds exactly its documented policy: the subscriber cannot read the producer's
    bucket, cannot become a producer role, and cannot do an administrator's work in its own account."""
    from botocore.exceptions import ClientError

    from lab_helpers.policies import POLICY_NAME, persona_policy
    from lab_helpers.sessions import offline_role_arn, persona_session

    admin = _account_admin(lab_config, lab_config.producer_account_id)
    subscriber = persona_session(lab_config, "subscriber")
    bucket = f"datazone-lab-{lab_config.producer_account_id}-governance-test"
    admin.client("s3").create_bucket(Bucket=bucket)
    admin.client("s3").put_object(Bucket=bucket, Key="raw/sales.csv", Body=b"a,b\n1,2\n")

    def refused(call, code):
        try:
            call()
        except ClientError as exc:
            assert exc.response["Error"]["Code"] == code, exc.response["Error"]
            return True
        return False

    assert refused(lambda: subscriber.client("s3").get_object(Bucket=bucket, Key="raw/sales.csv"), "AccessDenied")
    assert refused(lambda: subscriber.client("s3").list_objects_v2(Bucket=bucket), "AccessDenied")
    assert refused(lambda: subscriber.client("sts").assume_role(
        RoleArn=offline_role_arn(lab_config, "publisher"), RoleSessionName="sneaky"), "AccessDenied")
    assert refused(lambda: subscriber.client("iam").create_role(
        RoleName="Sneaky", AssumeRolePolicyDocument="{}"), "AccessDenied")
    iam = _account_admin(lab_config, lab_config.consumer_account_id).client("iam")
    stored = iam.get_role_policy(RoleName="LabSubscriber", PolicyName=POLICY_NAME)["PolicyDocument"]
    assert stored == persona_policy("subscriber")
    assert admin.client("s3").get_object(Bucket=bucket, Key="raw/sales.csv")["Body"].read() == b"a,b\n1,2\n"


def _handlers(session) -> list[tuple[str, list[str]]]:
    """Every event name of a boto3 session's registry with its handlers' names, in call order."""
    found = []

    def walk(node, prefix):
        for key, child in node["children"].items():
            walk(child, [*prefix, key])
        if node.get("values"):
            values = node["values"]
            found.append((".".join(prefix), [getattr(h, "__qualname__", type(h).__name__)
                                             for h in [*values.first, *values.middle, *values.last]]))

    walk(session._session._original_handler._handlers._root, [])
    return sorted(found)


def test_the_kits_sessions_handle_botocores_events_as_a_plain_boto3_session_does():
    import boto3

    plain = boto3.Session(aws_access_key_id="a", aws_secret_access_key="b", region_name="us-east-1")
    kits = [sessions.new_session(aws_access_key_id="a", aws_secret_access_key="b", region_name="us-east-1")
            for _ in range(2)]
    assert len(_handlers(plain)) > 100
    assert _handlers(kits[0]) == _handlers(kits[1]) == _handlers(plain)
    def mine(**kwargs):
        pass

    kits[0].events.register("before-call.sts.GetCallerIdentity", mine)  # one session's handler stays its own
    assert _handlers(kits[1]) == _handlers(plain) != _handlers(kits[0])


def test_a_handler_added_to_botocores_built_in_list_reaches_the_kits_next_session(monkeypatch):
    """moto appends its request interceptor to botocore's built-in handlers when it is imported (tests, a user's
    mock_aws): the kit's sessions, which copy a registry of them, get it as plain boto3 sessions do."""
    import boto3
    import botocore.handlers

    sessions.new_session()  # the registry is made

    def intercept(**kwargs):
        pass

    monkeypatch.setattr(botocore.handlers, "BUILTIN_HANDLERS", [*botocore.handlers.BUILTIN_HANDLERS, ("before-send", intercept)])
    kit, plain = sessions.new_session(region_name="us-east-1"), boto3.Session(region_name="us-east-1")
    assert any(name.endswith("intercept") for name in dict(_handlers(kit))["before-send"])
    assert _handlers(kit) == _handlers(plain)


def test_a_persona_role_is_made_when_missing_and_its_policy_restored_when_changed(lab_config):
    import json

    from lab_helpers.config import OFFLINE_ROLES
    from lab_helpers.policies import POLICY_NAME, persona_policy

    account = lab_config.consumer_account_id
    iam = _account_admin(lab_config, account).client("iam")
    name = OFFLINE_ROLES["subscriber"]
    sessions.clear_cache()
    try:
        iam.delete_role_policy(RoleName=name, PolicyName=POLICY_NAME)
        iam.delete_role(RoleName=name)
    except iam.exceptions.NoSuchEntityException:
        pass
    persona_session(lab_config, "subscriber")  # the role is missing: made, with the kit's policy
    assert iam.get_role_policy(RoleName=name, PolicyName=POLICY_NAME)["PolicyDocument"] == persona_policy("subscriber")
    iam.put_role_policy(RoleName=name, PolicyName=POLICY_NAME, PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}]}))
    sessions.clear_cache()
    identity = check_identity(persona_session(lab_config, "subscriber"), lab_config, "subscriber")
    assert identity["Account"] == account
    assert iam.get_role_policy(RoleName=name, PolicyName=POLICY_NAME)["PolicyDocument"] == persona_policy("subscriber")


def test_a_session_hands_out_one_client_per_service_and_region():
    from botocore.config import Config

    session = sessions.new_session(aws_access_key_id="a", aws_secret_access_key="b", region_name="us-east-1")
    assert session.client("sts") is session.client("sts")
    assert session.client("sts", "eu-west-1") is not session.client("sts")
    assert session.client("sts", "eu-west-1").meta.region_name == "eu-west-1"
    assert session.client("sts", config=Config(retries={"max_attempts": 1})) is not session.client("sts")  # its own
    # awswrangler asks on every call, with a new Config of the same options: one client serves it
    assert session.client("sts", config=Config(retries={"max_attempts": 1}), use_ssl=True) is \
        session.client("sts", config=Config(retries={"max_attempts": 1}), use_ssl=True)
    assert session.client("sts", config=Config(retries={"max_attempts": 2})) is not \
        session.client("sts", config=Config(retries={"max_attempts": 1}))
    assert session.client("sts", endpoint_url="http://127.0.0.1:1") is not session.client("sts")
    assert session.client("sts", aws_access_key_id="e", aws_secret_access_key="f") is not \
        session.client("sts", aws_access_key_id="e", aws_secret_access_key="f")  # credentials of its own: never shared
    other = sessions.new_session(aws_access_key_id="c", aws_secret_access_key="d", region_name="us-east-1")
    assert other.client("sts") is not session.client("sts")


def test_the_next_kernel_reuses_an_offline_personas_credentials_while_they_hold(lab_config, monkeypatch):
    """Every notebook runs in a fresh kernel: the first to make an offline persona saves its role credentials beside
    the stand-in, and the next ones act with them (no AssumeRole, no policy put) while the same stand-in process
    serves, the kit's policy document is the one put, and they have time left."""
    import json
    from datetime import datetime, timedelta, timezone

    from lab_helpers import policies
    from lab_helpers.config import OFFLINE_ROLES
    from lab_helpers.offline.server import server_dir

    assumed: list[str] = []
    assume = sessions._assume_credentials
    monkeypatch.setattr(sessions, "_assume_credentials", lambda base, arn, persona: assumed.append(arn) or assume(base, arn, persona))

    def next_kernel() -> list[str]:  # a new process: no session in memory, only what the work dir holds
        sessions._cache.clear()
        sessions._admins.clear()
        assumed.clear()
        identity = check_identity(persona_session(lab_config, "publisher"), lab_config, "publisher")
        assert identity["Account"] == lab_config.producer_account_id
        return [arn.rsplit("/", 1)[-1] for arn in assumed]

    sessions.clear_cache()  # what earlier tests saved is ignored from here on
    assert next_kernel() == ["OrganizationAccountAccessRole", "LabPublisher"]
    assert next_kernel() == []
    saved = server_dir(lab_config.work_dir) / f"personas-{lab_config.offline_port}.json"
    passes = json.loads(saved.read_text())

    saved.write_text(json.dumps({**passes, "stand_in_pid": passes["stand_in_pid"] + 1}))  # another stand-in's
    assert next_kernel() == ["OrganizationAccountAccessRole", "LabPublisher"]

    passes = json.loads(saved.read_text())
    entry = passes["personas"][f"arn:aws:iam::{lab_config.producer_account_id}:role/LabPublisher"]
    entry["Expiration"] = (datetime.now(timezone.utc) + timedelta(minutes=5)).isoformat()  # about to expire
    saved.write_text(json.dumps(passes))
    assert next_kernel() == ["OrganizationAccountAccessRole", "LabPublisher"]

    changed = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "datazone:*", "Resource": "*"}]}
    kits = policies.persona_policy
    monkeypatch.setattr(policies, "persona_policy", lambda persona: changed if persona == "publisher" else kits(persona))
    assert next_kernel() == ["OrganizationAccountAccessRole", "LabPublisher"]  # the kit's document changed: put again
    iam = _account_admin(lab_config, lab_config.producer_account_id).client("iam")
    assert iam.get_role_policy(RoleName=OFFLINE_ROLES["publisher"], PolicyName=policies.POLICY_NAME)["PolicyDocument"] == changed
    monkeypatch.setattr(policies, "persona_policy", kits)
    assert next_kernel() == ["OrganizationAccountAccessRole", "LabPublisher"]
    assert next_kernel() == []
