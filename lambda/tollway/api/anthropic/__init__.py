"""Anthropic's Messages API as a front door: any model behind Tollway, Claude clients in front."""
