"""The imported rows as our definition: the survey's id, title and languages, a page for
each group (or run of questions outside groups, or repeat outside groups), each question
with its type, texts, expressions, default and choice filter in our names, a repeat with
its count and its own questions, and the choice lists the questions use, each choice with
its filter columns. Each page and question is placed at its row, for the validator's
problems."""

from __future__ import annotations

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from .choices import Choice
from .columns import QUESTION_TEXTS
from .languages import Languages
from .messages import Report
from .names import our_name
from .placing import Places
from .questions import Group, Page, Question, each_question
from .references import Expressions
from .settings import Identity
from .writing import code_node, text_node

# Appearances that make a select_one a dropdown.
DROPDOWN_APPEARANCES = {"minimal", "autocomplete"}


def build_definition(
    identity: Identity,
    pages: list[Page],
    choice_lists: dict[str, list[Choice]],
    *,
    source: str,
    languages: Languages,
    expressions: Expressions,
    report: Report,
    places: Places,
) -> CommentedMap:
    """Our definition as the YAML mapping to write; `source` is the workbook's file name."""
    builder = _Builder(languages, expressions, report, places)
    return builder.definition(identity, pages, choice_lists, source)


class _Builder:
    def __init__(
        self, languages: Languages, expressions: Expressions, report: Report, places: Places
    ) -> None:
        self.languages = languages
        self.expressions = expressions
        self.report = report
        self.places = places
        self.used_languages: set[str] = {languages.default}  # those of the texts written
        self.rewritten: dict[tuple[int, str], dict[str, str]] = {}  # (row, key) -> texts

    def text(self, texts: dict[str, str]) -> CommentedMap:
        return text_node(texts, self.languages)

    def definition(
        self,
        identity: Identity,
        pages: list[Page],
        choice_lists: dict[str, list[Choice]],
        source: str,
    ) -> CommentedMap:
        default = self.languages.default
        data = CommentedMap()
        data.yaml_set_start_comment(
            f"Imported from {source} by `flask surveys import`; review before loading."
        )
        data["id"] = identity.survey_id
        data["version"] = identity.version
        data["title"] = self.text({default: identity.title})
        data["default_language"] = default
        data["languages"] = CommentedSeq()  # filled in below, from the texts used
        page_nodes = self.pages(pages, identity.title)
        if not page_nodes and not self.report.problems:
            self.report.problem("no questions left to import", "survey")
        data["pages"] = page_nodes
        choice_node = self.choices(pages, choice_lists)
        if choice_node:
            data["choices"] = choice_node
        data["languages"].extend(sorted(self.used_languages, key=self.languages.rank))
        data["languages"].fa.set_flow_style()
        return data

    def pages(self, pages: list[Page], title: str) -> CommentedSeq:
        page_nodes = CommentedSeq()
        page_names: set[str] = set()
        for index, page in enumerate(pages, start=1):
            questions = CommentedSeq(self.question(question) for question in page.questions)
            if not questions:
                continue
            node = CommentedMap()
            group, repeat = page.group, page.repeat
            if repeat is not None:
                wanted = repeat.name
            elif group and group.raw_name:
                wanted = our_name(group.raw_name)
            else:
                wanted = f"page_{index}"
            name, suffix = wanted, 2
            while name in page_names:
                name, suffix = f"{wanted}_{suffix}", suffix + 1
            page_names.add(name)
            node["name"] = name
            if repeat is not None:  # the repeat's label, written as its own below
                node["title"] = self.texts(repeat, "label")
            elif group is None:
                node["title"] = self.text({self.languages.default: title})
            else:
                node["title"] = self.group_title(group, name)
            node["questions"] = questions
            page_nodes.append(node)
            row = group.row if group and not repeat else page.questions[0].row
            self.places.add(f"page {name!r}", "survey", row, {})
        return page_nodes

    def group_title(self, group: Group, name: str) -> CommentedMap:
        """A group's label as its page's title; one made from its name when it has none (or,
        when skipping, when it only showed answers left out), with a warning."""
        made = (group.raw_name or name).replace("_", " ").strip().capitalize()
        label = self.expressions.texts(
            group.label, group.label_headers, "label", "survey", group.row, group
        )
        if any(label.values()):
            self.used_languages.update(label)
            return self.text({code: text or made for code, text in label.items()})
        if not group.label:
            self.report.warn(
                f"the group has no label; its page is titled {made!r}", "survey", group.row, "label"
            )
        return self.text({self.languages.default: made})

    def question(self, question: Question) -> CommentedMap:
        node = CommentedMap()
        kind = question.type
        for key in QUESTION_TEXTS:
            self.used_languages.update(question.texts[key])
        node["name"] = question.name
        node["type"] = f"{kind.name} {our_name(kind.list_name)}" if kind.list_name else kind.name
        for key in ("label", "hint"):
            if question.texts[key] or (key == "label" and kind.name != "calculate"):
                node[key] = self.texts(question, key)
        if question.required:
            node["required"] = True
            if question.texts["required_message"]:
                node["required_message"] = self.texts(question, "required_message")
        relevants = []
        for group in question.groups:
            relevant = self.expressions.group_relevant(group)
            if relevant:
                relevants.append(relevant)
        own = self.expressions.rewrite(question.relevant, "relevant", question.row)
        if own:
            relevants.append(own)
        if relevants:
            node["relevant"] = (
                relevants[0] if len(relevants) == 1 else " and ".join(f"({r})" for r in relevants)
            )
        if kind.name == "repeat":
            self.repeat(question, node)
            return node
        constraint = self.expressions.rewrite(question.constraint, "constraint", question.row)
        if constraint:
            node["constraint"] = constraint
            if question.texts["constraint_message"]:
                node["constraint_message"] = self.texts(question, "constraint_message")
        calculation = self.expressions.rewrite(question.calculation, "calculation", question.row)
        if calculation:
            node["calculation"] = calculation
        choice_filter = self.expressions.rewrite(
            question.choice_filter, "choice_filter", question.row, kind.list_name
        )
        if choice_filter:
            node["choice_filter"] = choice_filter
        default = question.default
        if default is not None and default.expression and default.rewrite:
            text = self.expressions.rewrite((default.text, default.header), "default", question.row)
            if text:
                node["default"] = text
        elif default is not None:
            node["default"] = code_node(default.text)
        if question.read_only:
            node["read_only"] = True
        if kind.other:
            node["other"] = True
        appearance = set((question.appearance or "").split())
        if kind.name == "select_one" and appearance & DROPDOWN_APPEARANCES:
            node["appearance"] = "dropdown"
        if question.privacy:
            node["privacy"] = question.privacy
        self.places.add(f"question {question.name!r}", "survey", question.row, question.headers)
        return node

    def repeat(self, question: Question, node: CommentedMap) -> None:
        """A repeat's count and its own questions."""
        if question.fixed_count is not None:
            node["repeat_count"] = question.fixed_count
        else:
            count = self.expressions.rewrite(question.repeat_count, "repeat_count", question.row)
            if count:
                node["repeat_count"] = count
        if question.min_count is not None:
            node["min_count"] = question.min_count
        if question.max_count is not None:
            node["max_count"] = question.max_count
        node["questions"] = CommentedSeq(self.question(inner) for inner in question.questions)
        self.places.add(f"question {question.name!r}", "survey", question.row, question.headers)

    def texts(self, question: Question, key: str) -> CommentedMap:
        """A text of the question, the answers it shows in our names (worked out once: a
        repeat's label is its page's title too)."""
        if (question.row, key) not in self.rewritten:
            self.rewritten[question.row, key] = self.expressions.texts(
                question.texts[key], question.text_headers[key], key, "survey", question.row
            )
        return self.text(self.rewritten[question.row, key])

    def choices(self, pages: list[Page], choice_lists: dict[str, list[Choice]]) -> CommentedMap:
        """The choice lists that questions still on `pages` use, under our names."""
        used = {q.type.list_name for q in each_question(pages) if q.type.list_name}
        node = CommentedMap()
        for list_name, choices in choice_lists.items():
            if list_name not in used:
                continue
            columns = self.expressions.columns.get(list_name)
            copies = columns.copies if columns else []
            items = CommentedSeq()
            for choice in choices:
                item = CommentedMap()
                item["code"] = code_node(choice.code)
                label = self.expressions.texts(
                    choice.label, choice.label_headers, "label", "choices", choice.row
                )
                # A label that only showed answers left out (when skipping): the code.
                item["label"] = self.text({c: text or choice.code for c, text in label.items()})
                values = choice.filter(copies)
                if values:
                    item["filter"] = CommentedMap(
                        (column, code_node(value)) for column, value in values.items()
                    )
                    item["filter"].fa.set_flow_style()
                items.append(item)
                self.used_languages.update(choice.label)
            node[our_name(list_name)] = items
        return node
