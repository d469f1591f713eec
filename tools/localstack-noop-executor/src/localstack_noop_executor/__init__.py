"""A LocalStack Lambda runtime executor for hosts without Docker.

Select it with ``LAMBDA_RUNTIME_EXECUTOR=noop``. Creating or updating a function then
succeeds (State=Active, LastUpdateStatus=Successful) because ``prepare_version`` does
nothing; starting an execution environment fails, so every invocation errors out.
"""
