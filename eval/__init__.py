"""Evaluation scripts that sit beside the dev set (`python -m eval.bakeoff`)."""
