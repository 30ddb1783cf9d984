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


def test_aws_role_arn_is_assumed_from_the_profile(tmp_path, monkeypatch, lab_config):
    persona_session(lab_config, "publisher")
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
