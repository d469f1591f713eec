"""A runtime executor that never runs anything."""

import logging

from localstack import config
from localstack.services.lambda_.invocation.lambda_models import (
    FunctionVersion,
    InvocationResult,
)
from localstack.services.lambda_.invocation.runtime_executor import (
    LambdaRuntimeException,
    RuntimeExecutor,
)

LOG = logging.getLogger(__name__)

_MESSAGE = (
    "the 'noop' Lambda runtime executor cannot run functions "
    "(it only lets functions reach State=Active without Docker)"
)


class NoopRuntimeExecutor(RuntimeExecutor):
    @classmethod
    def prepare_version(cls, function_version: FunctionVersion) -> None:
        # Nothing to build or pull: this is what lets the version become Active.
        LOG.debug("noop executor: prepared %s", function_version.qualified_arn)

    @classmethod
    def cleanup_version(cls, function_version: FunctionVersion) -> None:
        LOG.debug("noop executor: cleaned up %s", function_version.qualified_arn)

    @classmethod
    def validate_environment(cls) -> bool:
        return True

    # These two are read while the environment variables for start() are built,
    # so they must answer rather than raise.
    def get_endpoint_from_executor(self) -> str:
        return "127.0.0.1"

    def get_runtime_endpoint(self) -> str:
        port = config.GATEWAY_LISTEN[0].port
        return f"http://127.0.0.1:{port}/_localstack_lambda/{self.id}"

    def get_address(self) -> str:
        return "127.0.0.1"

    def start(self, env_vars: dict[str, str]) -> None:
        raise LambdaRuntimeException(_MESSAGE)

    def stop(self) -> None:
        pass

    def invoke(self, payload: dict[str, str]) -> InvocationResult:
        raise LambdaRuntimeException(_MESSAGE)

    def get_logs(self) -> str:
        return ""
