"""Agent ops: eval cases (YAML and database), the runner, baseline comparison and the gate."""
