"""Runs inside the agent-protocol-client 1.1.0 venv (pydantic<2): the seeds' test_entire_workflow, via the real client.

python ap_client_workflow.py BASE_URL UPLOAD_FILE  -> prints one JSON report on stdout
"""

import asyncio
import json
import sys

from agent_protocol_client import AgentApi, ApiClient, Configuration
from agent_protocol_client.exceptions import ApiException
from agent_protocol_client.models import StepRequestBody, TaskRequestBody

GOAL = "Write the word 'Washington' to a .txt file"


async def status_of(call):
    try:
        await call
    except ApiException as e:
        return e.status
    return 200


async def main(base: str, upload: str) -> dict:
    report = {}
    async with ApiClient(Configuration(host=base)) as client:
        api = AgentApi(client)
        report["count_before"] = (await api.list_agent_tasks()).pagination.total_items
        task = await api.create_agent_task(task_request_body=TaskRequestBody(input=GOAL))
        report["input"] = task.input
        report["count_after"] = (await api.list_agent_tasks()).pagination.total_items
        report["artifacts_before"] = len((await api.get_agent_task(task.task_id)).artifacts)
        uploaded = await api.upload_agent_task_artifacts(task.task_id, file=upload, relative_path="inputs")
        report["uploaded"] = uploaded.to_dict()
        steps = []
        for _ in range(10):
            step = await api.execute_agent_task_step(task.task_id, step_request_body=StepRequestBody(input=""))
            steps.append({"name": step.name, "is_last": step.is_last, "status": step.status, "output": step.output})
            if step.is_last:
                break
        report["steps"] = steps
        listed = await api.list_agent_task_steps(task.task_id)
        report["listed_steps"] = listed.pagination.total_items
        fetched = await api.get_agent_task_step(task.task_id, listed.steps[-1].step_id)
        report["last_step_is_last"] = fetched.is_last
        artifacts = await api.list_agent_task_artifacts(task.task_id)
        report["artifacts"] = []
        for artifact in artifacts.artifacts:
            content = await api.download_agent_task_artifact(task.task_id, artifact.artifact_id)
            entry = artifact.to_dict() | {"content": bytes(content).decode()}
            report["artifacts"].append(entry)
        report["not_found"] = [
            await status_of(api.get_agent_task("nope")),
            await status_of(api.list_agent_task_steps("nope")),
            await status_of(api.get_agent_task_step(task.task_id, "nope")),
            await status_of(api.download_agent_task_artifact(task.task_id, "nope")),
            await status_of(api.execute_agent_task_step("nope", step_request_body=StepRequestBody(input=""))),
        ]
    return report


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(sys.argv[1], sys.argv[2]))))
