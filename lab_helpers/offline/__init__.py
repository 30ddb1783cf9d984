"""The offline stand-in for AWS: moto plus the lab's add-ons (DataZone, SQL engines, RAM).

Nothing in the notebooks imports this package: they talk to it over HTTP through boto3,
exactly as they talk to AWS. `lab_helpers.offline.server` starts and stops it.
"""
