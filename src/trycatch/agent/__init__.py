"""The AI agent: prompt versions, tools, model providers, answers, escalation, feedback."""
