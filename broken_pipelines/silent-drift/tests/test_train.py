from mlflow import MlflowClient

from credit_risk.config import CHAMPION_ALIAS, MODEL_NAME
from credit_risk.registry import connect


def test_training_registers_a_champion(store, champion_version):
    connect(store)
    client = MlflowClient()
    version = client.get_model_version_by_alias(MODEL_NAME, CHAMPION_ALIAS)
    assert str(version.version) == champion_version


def test_training_logs_a_validation_auc(store):
    connect(store)
    client = MlflowClient()
    version = client.get_model_version_by_alias(MODEL_NAME, CHAMPION_ALIAS)
    auc = client.get_run(version.run_id).data.metrics["valid_auc"]
    assert 0.6 < auc <= 1.0
