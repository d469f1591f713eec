"""The plux plugin LocalStack looks up in ``localstack.lambda.runtime_executor``."""

from localstack.services.lambda_.invocation.plugins import RuntimeExecutorPlugin


class NoopRuntimeExecutorPlugin(RuntimeExecutorPlugin):
    name = "noop"

    def load(self, *args, **kwargs):
        # Imported lazily, like LocalStack's own docker plugin: plux may list plugins
        # before the Lambda service (and its imports) is ready.
        from localstack_noop_executor.executor import NoopRuntimeExecutor

        return NoopRuntimeExecutor
