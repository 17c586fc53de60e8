"""Aftertalk: anonymous phone polls for a workshop about the feelings people have after sex."""
from .checks import install_check
from .client import Room, RoomError
from .local_server import room
from .questions import Option, Question, QuestionError, load_questions

__all__ = ["install_check", "Option", "Question", "QuestionError", "Room", "RoomError", "load_questions", "room"]
