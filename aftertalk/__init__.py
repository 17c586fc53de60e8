"""Aftertalk: anonymous phone polls for a workshop about the feelings people have after sex."""
from .questions import Option, Question, QuestionError, load_questions

__all__ = ["Option", "Question", "QuestionError", "load_questions"]
