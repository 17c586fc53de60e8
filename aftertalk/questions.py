"""The question bank: the `Question` model, loaded from data/questions/*.yaml or built in code.

Every problem is reported as a `QuestionError` that names the file, the line and the field, so an
educator can fix a typo before it reaches a live room.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import yaml

from aftertalk import privacy
from aftertalk.paths import current_kit
from aftertalk.privacy import (  # PREFER_NOT_TO_SAY is re-exported: the question model's own id
    PREFER_NOT_TO_SAY,
    DesignOutOfBounds,
    PrivacyError,
    check_design_bounds,
    pairs_with,
)

KINDS = ("single", "multi", "scale", "yesno", "word")
WORD_MAX_LENGTH = 30  # a one-word check-in: a word, maybe two
PRIVACY_MODES = ("direct", "randomized")
PREFER_NOT_TO_SAY_LABEL = "Prefer not to say"
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_]{0,63}$")
MAX_TEXT = 500
MAX_LABEL = 120
MAX_OPTIONS = 20
QUESTION_FIELDS = (
    "id",
    "text",
    "kind",
    "options",
    "prefer_not_to_say",
    "privacy",
    "randomization",
    "notes",
    "translations",
    "max_length",
    "after",
    "correct",
    "evidence",
    "instead_of",
)
TRANSLATION_FIELDS = ("text", "options", "notes", "evidence")
MAX_EVIDENCE = 300  # two lines under a chart on the projector
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")
# Settings of a randomized question's design, by kind (defaults in aftertalk.privacy).
RANDOMIZATION_FIELDS = {
    "yesno": ("p_yes", "p_no"),
    "single": ("epsilon",),
    "scale": ("epsilon",),
    "multi": ("epsilon",),
}
OPTION_FIELDS = ("id", "label", "exclusive")
DEFAULT_OPTIONS: dict[str, list[dict[str, str]]] = {
    "yesno": [{"id": "yes", "label": "Yes"}, {"id": "no", "label": "No"}],
    "scale": [{"id": str(n), "label": str(n)} for n in range(1, 6)],
}


class QuestionError(ValueError):
    """A question definition is invalid. The message says where and what to do."""

    def __init__(
        self, message: str, *, source: str | None = None, line: int | None = None, field_name: str | None = None
    ):
        self.source, self.line, self.field_name = source, line, field_name
        where = ":".join(str(part) for part in (source, line) if part is not None)
        about = f"field '{field_name}': " if field_name else ""
        super().__init__(f"{where}: {about}{message}" if where else f"{about}{message}")


@dataclass(frozen=True)
class Option:
    id: str
    label: str
    exclusive: bool = False  # "none of these" cannot be ticked together with anything else

    def to_dict(self) -> dict:
        data: dict[str, str | bool] = {"id": self.id, "label": self.label}
        if self.exclusive:
            data["exclusive"] = True
        return data


@dataclass(frozen=True)
class Question:
    """One poll. `options` lists the answers; "prefer not to say" is added as the last option."""

    id: str
    text: str
    kind: str
    options: tuple[Option, ...] = ()
    prefer_not_to_say: bool = True
    privacy: str = "direct"
    randomization: dict = field(default_factory=dict)  # design settings for privacy: randomized
    notes: str = ""
    # {"es": {"text": ..., "options": {option id: label}, "notes": ...}}; answers in any language
    # count towards the same option ids.
    translations: dict = field(default_factory=dict)
    max_length: int = WORD_MAX_LENGTH  # for kind "word": the longest answer accepted
    # The id of the first half of a before/after pair: the same question asked earlier in the room,
    # whose second asking the server releases only when subtracting the two points at nobody.
    after: str | None = None
    # A myth-or-fact round: the option that is right, and the evidence for it (the study, its sample
    # and its measure). The chart marks the option and shows the evidence, after the reveal only.
    correct: str | None = None
    evidence: str = ""
    # Another version of the question with this id (pcd_ever_private is instead_of: pcd_ever): the poll
    # panel lets the facilitator choose which to ask, and a room asks only one of the two.
    instead_of: str | None = None
    prefer_not_label: str = field(default=PREFER_NOT_TO_SAY_LABEL, compare=False)
    source: str | None = field(default=None, compare=False, repr=False)
    line: int | None = field(default=None, compare=False, repr=False)  # where its id is, in `source`

    def __post_init__(self):
        if self.kind == "word":  # free text has no options; Skip is how a phone declines
            object.__setattr__(self, "prefer_not_to_say", False)
        if not self.options and self.kind in DEFAULT_OPTIONS:
            object.__setattr__(self, "options", tuple(Option(o["id"], o["label"]) for o in DEFAULT_OPTIONS[self.kind]))
        object.__setattr__(self, "options", tuple(o if isinstance(o, Option) else Option(**o) for o in self.options))
        _validate(self)

    @property
    def all_options(self) -> tuple[Option, ...]:
        """The options a participant sees, "prefer not to say" included."""
        if not self.prefer_not_to_say:
            return self.options
        return self.options + (Option(PREFER_NOT_TO_SAY, self.prefer_not_label, exclusive=True),)

    def translated(self, language: str, prefer_not_label: str | None = None) -> Question:
        """This question in `language` (English where no translation exists); the same option ids."""
        words = self.translations.get(language, {})
        labels = words.get("options", {})
        return dataclasses.replace(
            self,
            text=words.get("text", self.text),
            notes=words.get("notes", self.notes),
            evidence=words.get("evidence", self.evidence),
            options=tuple(Option(o.id, labels.get(o.id, o.label), o.exclusive) for o in self.options),
            prefer_not_label=prefer_not_label or self.prefer_not_label,
        )

    def option(self, option_id: str) -> Option | None:
        return next((o for o in self.all_options if o.id == option_id), None)

    def design(self) -> dict | None:
        """How the phone randomizes this question's answer, or None for a direct question.

        yes/no: forced response; single choice and scale: generalized (k-ary) randomized response;
        multi-select: each option randomized on its own. See aftertalk.privacy for the formulas.
        """
        if self.privacy != "randomized":
            return None

        settings = self.randomization
        if self.kind == "yesno":
            return {
                "method": "forced",
                **privacy.forced_response_probabilities(
                    settings.get("p_yes", 0.125), settings.get("p_no", 0.125), question_id=self.id
                ),
            }
        if self.kind == "multi":
            return {"method": "unary", **privacy.unary_probabilities(settings.get("epsilon", 1.5), question_id=self.id)}
        return {
            "method": "grr",
            **privacy.grr_probabilities(len(self.options), settings.get("epsilon", 3.0), question_id=self.id),
        }

    def to_dict(self) -> dict:
        data = {
            "id": self.id,
            "text": self.text,
            "kind": self.kind,
            "options": [o.to_dict() for o in self.options],
            "prefer_not_to_say": self.prefer_not_to_say,
            "privacy": self.privacy,
        }
        if self.randomization:
            data["randomization"] = dict(self.randomization)
        if self.kind == "word":
            data["max_length"] = self.max_length
        if self.translations:
            data["translations"] = self.translations
        if self.notes:
            data["notes"] = self.notes
        if self.after:
            data["after"] = self.after
        if self.correct:
            data["correct"] = self.correct
            data["evidence"] = self.evidence
        if self.instead_of:
            data["instead_of"] = self.instead_of
        return data

    @classmethod
    def from_dict(cls, data, *, source: str | None = None, lines: dict | None = None) -> Question:
        """Build a question from plain data (a YAML entry or a JSON body), checking every field."""
        lines = lines or {}

        def fail(message: str, field_name: str | None = None, key: tuple = ()) -> NoReturn:
            line = lines.get(key) or lines.get(key[:1]) or lines.get(())
            raise QuestionError(message, source=source, line=line, field_name=field_name)

        if not isinstance(data, dict):
            fail("a question must be a mapping with id, text and kind")
        for name in data:
            if name not in QUESTION_FIELDS:
                fail(f"unknown field; known fields are {', '.join(QUESTION_FIELDS)}", str(name), (name,))
        for name in ("id", "text", "kind"):
            if name not in data:
                fail("is missing", name)
            if not isinstance(data[name], str):
                fail("must be text", name, (name,))
        options = data.get("options", [])
        if not isinstance(options, list):
            fail("must be a list of options, each with an id and a label", "options", ("options",))
        built = []
        for index, option in enumerate(options):
            key: tuple[str | int, ...] = ("options", index)
            if not isinstance(option, dict):
                fail(f"option {index + 1} must be a mapping with an id and a label", "options", key)
            for name in option:
                if name not in OPTION_FIELDS:
                    fail(
                        f"unknown field in option {index + 1}; known fields are id, label, exclusive",
                        f"options[{index}].{name}",
                        key + (name,),
                    )
            for name in ("id", "label"):
                if not isinstance(option.get(name), str) or not option[name].strip():
                    fail(f"option {index + 1} needs a {name} (text)", f"options[{index}].{name}", key)
            if not isinstance(option.get("exclusive", False), bool):
                fail("must be true or false", f"options[{index}].exclusive", key + ("exclusive",))
            built.append(Option(option["id"], option["label"], option.get("exclusive", False)))
        for name in ("prefer_not_to_say",):
            if not isinstance(data.get(name, True), bool):
                fail("must be true or false", name, (name,))
        for name in ("privacy", "notes", "after", "correct", "evidence", "instead_of"):
            if name in data and not isinstance(data[name], str):
                fail("must be text", name, (name,))
        option_ids = [o.id for o in built] or [o["id"] for o in DEFAULT_OPTIONS.get(data["kind"], [])]
        _check_translations(data.get("translations", {}), option_ids, fail, needs_evidence="evidence" in data)
        if "randomization" in data and not isinstance(data["randomization"], dict):
            fail("must be a mapping, for example {p_yes: 0.125, p_no: 0.125}", "randomization", ("randomization",))
        try:
            return cls(
                id=data["id"],
                text=data["text"],
                kind=data["kind"],
                options=tuple(built),
                prefer_not_to_say=data.get("prefer_not_to_say", True),
                privacy=data.get("privacy", "direct"),
                notes=data.get("notes", ""),
                randomization=data.get("randomization", {}),
                translations=data.get("translations", {}),
                max_length=data.get("max_length", WORD_MAX_LENGTH),
                after=data.get("after"),
                correct=data.get("correct"),
                evidence=data.get("evidence", ""),
                instead_of=data.get("instead_of"),
                source=source,
                line=lines.get(("id",)) or lines.get(()),
            )
        except QuestionError as error:
            key = (error.field_name,) if error.field_name else ()
            if error.field_name and error.field_name.startswith("options["):
                key = ("options", int(error.field_name[8 : error.field_name.index("]")]))
            fail(str(error).split(": ", 1)[-1] if error.field_name else str(error), error.field_name, key)


def _check_translations(translations, option_ids, fail, *, needs_evidence: bool = False) -> None:
    """Each language gives the text and a label for every option (and the evidence, for a
    myth-or-fact question, since the room reads it on the chart); notes are optional."""
    if not isinstance(translations, dict):
        fail("must be a mapping of language code to text, options and notes", "translations", ("translations",))
    for language, words in translations.items():
        key = ("translations", language)
        where = f"translations.{language}"
        if not isinstance(language, str) or not LANGUAGE_CODE.fullmatch(language):
            fail(
                f"'{language}' is not a language code; use two or three lower-case letters, like es",
                "translations",
                key,
            )
        if not isinstance(words, dict):
            fail("must be a mapping with text, options and notes", where, key)
        for name in words:
            if name not in TRANSLATION_FIELDS:
                fail(
                    f"unknown field; a translation has {', '.join(TRANSLATION_FIELDS)}",
                    f"{where}.{name}",
                    key + (name,),
                )
        if not isinstance(words.get("text"), str) or not words["text"].strip():
            fail("the translated question text is missing", f"{where}.text", key)
        labels = words.get("options", {})
        if not isinstance(labels, dict):
            fail("must map each option id to its translated label", f"{where}.options", key + ("options",))
        for option_id in option_ids:
            if not isinstance(labels.get(option_id), str) or not labels[option_id].strip():
                fail(f"the translated label of option '{option_id}' is missing", f"{where}.options", key + ("options",))
        for option_id in labels:
            if option_id not in option_ids:
                fail(
                    f"'{option_id}' is not an option of this question", f"{where}.options", key + ("options", option_id)
                )
        for name in ("notes", "evidence"):
            if name in words and not isinstance(words[name], str):
                fail("must be text", f"{where}.{name}", key + (name,))
        if needs_evidence and not str(words.get("evidence", "")).strip():
            fail("the translated evidence is missing (the room reads it under the chart)", f"{where}.evidence", key)
        if len(str(words.get("evidence", ""))) > MAX_EVIDENCE:
            fail(f"must be at most {MAX_EVIDENCE} characters", f"{where}.evidence", key + ("evidence",))


def _validate(question: Question) -> None:
    def fail(message, field_name):
        raise QuestionError(message, field_name=field_name)

    if not ID_PATTERN.fullmatch(question.id):
        fail(f"'{question.id}' is not a valid id; use lower-case letters, digits and _ (up to 64)", "id")
    if not question.text.strip() or len(question.text) > MAX_TEXT:
        fail(f"must be between 1 and {MAX_TEXT} characters", "text")
    if question.kind not in KINDS:
        fail(f"unknown kind '{question.kind}'; choose one of {', '.join(KINDS)}", "kind")
    if question.privacy not in PRIVACY_MODES:
        fail(f"unknown privacy '{question.privacy}'; choose one of {', '.join(PRIVACY_MODES)}", "privacy")
    if question.after is not None and (not ID_PATTERN.fullmatch(question.after) or question.after == question.id):
        fail(
            f"'{question.after}' cannot be paired: give the id of the question this one repeats "
            "(asked earlier, for example comfort_before)",
            "after",
        )
    if question.instead_of is not None and (
        not ID_PATTERN.fullmatch(question.instead_of) or question.instead_of == question.id
    ):
        fail(
            f"'{question.instead_of}' cannot be replaced: give the id of the question this one is a version of",
            "instead_of",
        )
    _validate_answer(question)
    if question.kind == "word":
        if question.options:
            fail("a one-word check-in has no options: people type their word", "options")
        if question.privacy != "direct":
            fail("a one-word check-in cannot be randomized", "privacy")
        if not isinstance(question.max_length, int) or not 1 <= question.max_length <= WORD_MAX_LENGTH:
            fail(f"must be a whole number from 1 to {WORD_MAX_LENGTH}", "max_length")
        return
    if len(question.options) < 2:
        fail("a question needs at least two options", "options")
    if len(question.options) > MAX_OPTIONS:
        fail(f"a question can have at most {MAX_OPTIONS} options", "options")
    seen = set()
    for index, option in enumerate(question.options):
        if not ID_PATTERN.fullmatch(option.id):
            fail(
                f"'{option.id}' is not a valid option id; use lower-case letters, digits and _", f"options[{index}].id"
            )
        if option.id in seen:
            fail(f"option id '{option.id}' is used twice", f"options[{index}].id")
        if option.id == PREFER_NOT_TO_SAY:
            fail("'prefer_not_to_say' is added for you; set prefer_not_to_say: true instead", f"options[{index}].id")
        if not option.label.strip() or len(option.label) > MAX_LABEL:
            fail(f"must be between 1 and {MAX_LABEL} characters", f"options[{index}].label")
        seen.add(option.id)
    if question.kind != "multi" and any(o.exclusive for o in question.options):
        fail("only multi-select questions can have exclusive options", "options")
    if question.kind == "yesno" and question.privacy == "randomized" and len(question.options) != 2:
        fail("a randomized yes/no question has exactly two options, yes and no", "options")
    if question.randomization:
        if question.privacy != "randomized":
            fail("only a question with privacy: randomized takes randomization settings", "randomization")
        allowed = RANDOMIZATION_FIELDS[question.kind]
        for name in question.randomization:
            if name not in allowed:
                fail(
                    f"unknown setting '{name}' for a {question.kind} question; use {', '.join(allowed)}",
                    "randomization",
                )

    try:
        design = question.design()
        if design:
            check_design_bounds(design, question_id=question.id)
    except DesignOutOfBounds as error:
        fail(str(error), f"randomization.{error.setting}")
    except PrivacyError as error:
        fail(str(error), "randomization")


def _validate_answer(question: Question) -> None:
    """A myth-or-fact question names one of its own options as right, with the evidence for it."""

    def fail(message, field_name):
        raise QuestionError(message, field_name=field_name)

    if question.correct is None:
        if question.evidence:
            fail("evidence goes with correct: name the option that is right (for example correct: myth)", "evidence")
        return
    if question.kind != "single" or question.privacy != "direct":
        fail("only a single-choice question with direct privacy can name a correct option", "correct")
    option_ids = [o.id for o in question.options]
    if question.correct not in option_ids:
        fail(f"'{question.correct}' is not one of this question's options ({', '.join(option_ids)})", "correct")
    if not question.evidence.strip() or len(question.evidence) > MAX_EVIDENCE:
        fail(
            f"a question with correct: needs evidence: the study, its sample and measure, in 1 to {MAX_EVIDENCE} "
            "characters (the room reads it under the chart)",
            "evidence",
        )


# --- loading YAML with line numbers -------------------------------------------------------------


def _to_python(node, path, lines):
    """Turn a YAML node into plain data, recording the line of every mapping key and list item."""
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        result = {}
        for key_node, value_node in node.value:
            key = key_node.value
            lines[path + (key,)] = key_node.start_mark.line + 1
            result[key] = _to_python(value_node, path + (key,), lines)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_to_python(item, path + (index,), lines) for index, item in enumerate(node.value)]
    if node.tag == "tag:yaml.org,2002:str":
        return node.value
    if node.tag == "tag:yaml.org,2002:bool" and node.value.lower() not in ("true", "false"):
        return node.value  # YAML 1.2 reading: a label "No" or "Yes" is text, not a boolean
    return yaml.SafeLoader("").construct_object(node)


def load_question_file(path) -> list[Question]:
    """Load one YAML file of questions: a mapping with a `questions:` list."""
    path = Path(path)
    source = str(path)
    try:
        node = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        raise QuestionError(
            f"this is not valid YAML ({error.problem}); check indentation and quotes",
            source=source,
            line=mark.line + 1 if mark else None,
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise QuestionError(f"cannot read the file ({error})", source=source) from None
    lines: dict = {}
    data = _to_python(node, (), lines) if node is not None else None
    if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
        raise QuestionError(
            "a question file is a mapping with a 'questions:' list", source=source, line=1, field_name="questions"
        )
    for name in data:
        if name not in ("questions", "languages"):
            raise QuestionError(
                "unknown top-level field; a question file has 'languages' and 'questions'",
                source=source,
                line=lines.get((name,)),
                field_name=name,
            )
    languages = data.get("languages", [])
    if not isinstance(languages, list) or not all(isinstance(c, str) and LANGUAGE_CODE.fullmatch(c) for c in languages):
        raise QuestionError(
            "must be a list of language codes, like [es]",
            source=source,
            line=lines.get(("languages",)),
            field_name="languages",
        )
    questions = []
    for index, entry in enumerate(data["questions"]):
        sub_lines = {key[2:]: line for key, line in lines.items() if key[:2] == ("questions", index)}
        question = Question.from_dict(entry, source=source, lines=sub_lines)
        for language in languages:
            if language not in question.translations:
                raise QuestionError(
                    f"question '{question.id}' has no '{language}' translation, and this file "
                    f"declares languages: {languages}. Add translations: {language}: with text "
                    "and options",
                    source=source,
                    line=question.line,
                    field_name="translations",
                )
        questions.append(question)
    return questions


def load_questions(folder=None) -> dict[str, Question]:
    """Load every data/questions/*.yaml file into one bank keyed by question id."""
    folder = Path(folder) if folder else default_question_folder()
    bank: dict[str, Question] = {}
    for path in sorted(folder.glob("*.yaml")):
        for question in load_question_file(path):
            if question.id in bank:
                raise QuestionError(
                    f"id '{question.id}' is already used in {bank[question.id].source}; give this question another id",
                    source=str(path),
                    line=question.line,
                    field_name="id",
                )
            bank[question.id] = question
    for question in bank.values():
        for field_name, problem in (
            ("after", pair_problem(question, bank)),
            ("instead_of", version_problem(question, bank)),
        ):
            if problem:
                raise QuestionError(problem, source=question.source, line=question.line, field_name=field_name)
    return bank


def pair_problem(question: Question, bank: dict[str, Question]) -> str | None:
    """What is wrong with a question's declared before/after pair, or None (also when it has none).

    The first half must exist, be the same question (kind, text, options), and not itself be the
    second half of another pair: a room asks each question at most twice.
    """
    if question.after is None:
        return None

    first = bank.get(question.after)
    if first is None:
        return f"there is no question '{question.after}' to pair with; give the id of the first asking"
    if first.after is not None:
        return (
            f"'{first.id}' is itself the second half of a pair; a question can be asked twice at most, "
            f"so pair this one with '{first.after}' or ask something else"
        )
    if not pairs_with(first.to_dict(), question.to_dict()):
        return (
            f"'{first.id}' is not the same question; a pair asks the same text with the same kind and "
            "options (ids and labels), so the two charts compare like with like"
        )
    return None


def version_problem(question: Question, bank: dict[str, Question]) -> str | None:
    """What is wrong with a question declared `instead_of` another, or None (also when it declares none).

    The other must exist, ask the same thing (the same text), and be a plain question: not itself a
    version of a third, nor half of a before/after pair (the pair's charts must compare like with like).
    """
    if question.instead_of is None:
        return None

    usual = bank.get(question.instead_of)
    if usual is None:
        return f"there is no question '{question.instead_of}'; give the id of the question this one is a version of"
    if usual.instead_of is not None or usual.after is not None or question.after is not None:
        return (
            f"'{usual.id}' cannot have another version: it is itself a version of another question or half "
            "of a before/after pair"
        )
    if usual.text != question.text:
        return f"'{usual.id}' asks something else; a version asks the same text (it may differ in privacy)"
    return None


def default_question_folder() -> Path:
    """The question bank of the kit in use (`kits.find_kit`)."""

    return current_kit() / "data" / "questions"
