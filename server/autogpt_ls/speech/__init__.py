"""Speak mode (`autogpt-ls run --speak`): the agent's thoughts as audio, one module per voice behind `Voice`."""
