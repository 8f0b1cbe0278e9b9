"""SVG snapshot tests of the scenarios in ``inductiva_top.demo.scenarios``."""
