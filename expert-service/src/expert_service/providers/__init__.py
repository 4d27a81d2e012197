"""The engines that write an expert's answer: offline, Anthropic Claude, OpenAI-compatible."""
