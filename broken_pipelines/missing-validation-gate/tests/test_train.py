import mlflow

from credit_risk.config import FEATURES, MODEL_NAME


def test_the_first_model_becomes_the_champion(client, champion_version):
    versions = client.search_model_versions(f"name='{MODEL_NAME}'")
    assert [str(v.version) for v in versions] == ["1"]
    assert champion_version == "1"


def test_training_logs_a_validation_auc_and_the_input_signature(client, champion_version):
    version = client.get_model_version(MODEL_NAME, champion_version)
    assert 0.6 < client.get_run(version.run_id).data.metrics["valid_auc"] <= 1.0
    signature = mlflow.models.get_model_info(f"models:/{MODEL_NAME}/{champion_version}").signature
    assert signature.inputs.input_names() == FEATURES
