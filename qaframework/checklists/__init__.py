"""Checklist templates: the model (``model``) and the YAML loader with precise errors (``loader``)."""

from qaframework.checklists.model import PLAN_SECTIONS, Basis, Grading, Question, Section, Template

__all__ = ["PLAN_SECTIONS", "Basis", "Grading", "Question", "Section", "Template"]
