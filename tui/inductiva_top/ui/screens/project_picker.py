"""The project picker: every project from ``GET /projects`` with its task count."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option, OptionDoesNotExist

from inductiva_top.api.models import Project
from inductiva_top.monitor.sanitize import sanitize_name

__all__ = ["ProjectChoice", "ProjectPicker"]

_ALL = "\x00all"  # an option id no project name can have (names are sanitized)


@dataclass(frozen=True)
class ProjectChoice:
    """The picked project; ``name`` None means every project."""

    name: str | None


class ProjectPicker(ModalScreen[ProjectChoice | None]):
    """Dismisses with a :class:`ProjectChoice`, or None on cancel."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "cancel", "Cancel", id="project_picker.cancel"),
    ]

    def __init__(self, projects: Sequence[Project], current: str | None) -> None:
        super().__init__()
        self.projects = list(projects)
        self.current = current

    def compose(self) -> ComposeResult:
        options = [Option(Text("All projects", style="italic"), id=_ALL)]
        for project in sorted(self.projects, key=lambda p: p.name.lower()):
            label = Text(sanitize_name(project.name))
            label.append(f"  {project.num_tasks or 0} tasks", style="dim")
            options.append(Option(label, id=project.name))
        with Vertical(id="project-dialog", classes="dialog"):
            yield Label(Text("Show tasks of project…", style="bold"), classes="dialog-title")
            yield OptionList(*options, id="project-options")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        if self.current is not None:
            try:
                options.highlighted = options.get_option_index(self.current)
            except OptionDoesNotExist:  # the current project may have vanished
                options.highlighted = 0
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        choice = event.option.id
        self.dismiss(ProjectChoice(None if choice == _ALL else choice))

    def action_cancel(self) -> None:
        self.dismiss(None)
